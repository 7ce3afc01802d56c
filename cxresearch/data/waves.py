"""The order of survey waves: the codebook's ``waves:`` list, or natural order.

Waves are labels ("2026-Q2", "Wave 9", "2019", "March 2024"), and text order
puts "Wave 10" before "Wave 9" and "2019" after "11". The wave column is
typed as an *ordered* category at load time, so that every analysis (KPIs by
wave, trends, the re-measure plan) sees the waves in the same order:

1. the order the codebook declares (``waves: [Wave 9, Wave 10]``), when it does;
2. else numbers by value, when every label is a number;
3. else dates by time, when every label reads as a date;
4. else natural order: runs of digits compare as numbers ("Wave 9" <
   "Wave 10", "2026-Q2" < "2026-Q10" < "2027-Q1").
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import pandas as pd

_DIGITS = re.compile(r"(\d+)")


def natural_key(label: str) -> tuple:
    """Sort key that compares runs of digits as numbers.

    >>> sorted(["Wave 10", "Wave 9", "Wave 11"], key=natural_key)
    ['Wave 9', 'Wave 10', 'Wave 11']
    """
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _DIGITS.split(str(label))
        if part != ""
    )


def natural_order(labels: Iterable) -> list[str]:
    """Distinct wave labels in their natural order (numbers, dates, or natural text).

    >>> natural_order(["2019", "2021", "2020", "11"])
    ['11', '2019', '2020', '2021']
    >>> natural_order(["Mar 2024", "Dec 2023", "Jan 2024"])
    ['Dec 2023', 'Jan 2024', 'Mar 2024']
    >>> natural_order(["2026-Q3", "2026-Q2", "2025-Q4"])
    ['2025-Q4', '2026-Q2', '2026-Q3']
    """
    distinct = list(dict.fromkeys(str(v) for v in labels))
    numbers = pd.to_numeric(pd.Series(distinct, dtype="string"), errors="coerce")
    if distinct and numbers.notna().all():
        return [label for _, label in sorted(zip(numbers, distinct, strict=True))]
    if distinct and not any(re.fullmatch(r"\D*", label) for label in distinct):
        with warnings.catch_warnings():  # pandas warns when it guesses formats
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(pd.Series(distinct), errors="coerce", format="mixed")
        if dates.notna().all() and not _looks_like_quarters(distinct):
            return [label for _, label in sorted(zip(dates, distinct, strict=True))]
    return sorted(distinct, key=natural_key)


def _looks_like_quarters(labels: list[str]) -> bool:
    """ "2026-Q2" and friends: natural order, not a date parser's guess."""
    return any(re.search(r"[QqHhWw]\d", label) for label in labels)
