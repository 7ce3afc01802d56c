"""Estimate tables for people: value [interval] with base, small bases suppressed.

Every number a stakeholder sees carries its base and interval; a cell whose
base is below the study's ``min_base`` is replaced by a visible note, never
shown and never silently dropped. All text is HTML-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

SUPPRESSED = "suppressed"


def interval_label(confidence: float) -> str:
    """The interval label for a confidence level: labels follow the confidence an
    analysis was run with, never a hard-coded 95%.

    >>> interval_label(0.95), interval_label(0.9), interval_label(0.995)
    ('95% interval', '90% interval', '99.5% interval')
    """
    return f"{100 * confidence:g}% interval"


def format_p(p: float) -> str:
    """A p-value for people: ``<0.001``, ``0.032``, or ``-`` when there is none."""
    if pd.isna(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def suppressed_note(n: int, min_base: int) -> str:
    """The text that replaces a number whose base is too small: ``suppressed (n=12 < 30)``."""
    return f"{SUPPRESSED} (n={n:,} < {min_base})"


def format_estimate(value: float, low: float, high: float, n: int, digits: int = 1) -> str:
    """An estimate for people; a missing value reads ``no answers``.

    >>> format_estimate(42.0, 38.1, 45.9, 400)
    '42.0 [38.1, 45.9] n=400'
    >>> format_estimate(float("nan"), float("nan"), float("nan"), 0)
    'no answers'
    """
    if n == 0 or pd.isna(value):
        return "no answers"
    if pd.isna(low):
        return f"{value:.{digits}f} [no interval] n={n:,}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}] n={n:,}"


def _bound(x: float, digits: int) -> str:
    """A signed interval bound that keeps its side of zero: a bound that would round
    to zero gets more digits (up to four more), so ``[+0.004, ...]`` never reads
    ``[+0.00, ...]`` beside a "significant"."""
    for extra in range(5):
        text = f"{x:+.{digits + extra}f}"
        if x == 0 or float(text) != 0:
            return text
    return text


def format_difference(value: float, low: float, high: float, digits: int = 1) -> str:
    """A difference with its interval, signed: ``+11.9 [+4.0, +19.9]``. An infinite
    bound reads "no lower bound" / "no upper bound"; a bound that would round to
    zero gets more digits, so the text shows on which side of zero it lies.

    >>> format_difference(-0.3, -0.61, -0.004)
    '-0.3 [-0.6, -0.004]'
    >>> format_difference(2.0, 0.5, float("inf"))
    '+2.0 [+0.5, no upper bound]'
    >>> format_difference(-0.001, -0.16, 0.16, 2)  # no "-0.00"
    '0.00 [-0.16, +0.16]'
    """
    if pd.isna(value):
        return "no answers"
    shown = f"{value:+.{digits}f}"
    if float(shown) == 0:  # a difference that rounds to zero has no sign
        shown = f"{0:.{digits}f}"
    if pd.isna(low) or pd.isna(high):
        return f"{shown} [no interval]"
    lo = "no lower bound" if low == float("-inf") else _bound(low, digits)
    hi = "no upper bound" if high == float("inf") else _bound(high, digits)
    return f"{shown} [{lo}, {hi}]"


def format_bound(x: float, digits: int = 1, side: str = "upper") -> str:
    """An interval bound for people: an infinite one reads ``no upper bound`` / ``no
    lower bound`` (an order statistic that does not exist), never the sample's extreme.

    >>> format_bound(12.345), format_bound(float("inf"))
    ('12.3', 'no upper bound')
    """
    if x in (float("inf"), float("-inf")):
        return f"no {side} bound"
    return f"{x:.{digits}f}"


def estimates_wide(
    table: pd.DataFrame, rows: list[str], columns: str = "statistic", min_base: int = 1
) -> pd.DataFrame:
    """Pivot a long estimate table to text cells, suppressing small bases.

    ``table`` needs ``value, low, high, n`` and the ``rows`` and ``columns``
    fields. Cells with ``n < min_base`` read ``suppressed (n=12 < 30)``.
    """
    cells = table.apply(
        lambda r: (
            suppressed_note(int(r["n"]), min_base)
            if 0 < r["n"] < min_base
            else format_estimate(r["value"], r["low"], r["high"], int(r["n"]))
        ),
        axis=1,
    )
    frame = (
        table[rows + [columns]].assign(cell=cells.to_numpy())
        if rows
        else table[[columns]].assign(cell=cells.to_numpy())
    )
    order = list(dict.fromkeys(table[columns]))
    if not rows:
        return frame.set_index(columns)["cell"].to_frame().T.rename(index={"cell": "all"})[order]
    wide = frame.pivot_table(
        index=rows, columns=columns, values="cell", aggfunc="first", sort=False
    )
    return wide[order]


def html_table(wide: pd.DataFrame, min_base: int, caption: str | None = None) -> str:
    """Render a text table as escaped HTML; suppressed cells are greyed out and
    explained in a note under the table."""
    head_names = [
        escape(str(n)) for n in (wide.index.names if wide.index.names != [None] else [""])
    ]
    header = "".join(f"<th>{n}</th>" for n in head_names)
    header += "".join(f"<th>{escape(str(c))}</th>" for c in wide.columns)
    body, any_suppressed = [], False
    for key, row in wide.iterrows():
        keys = key if isinstance(key, tuple) else (key,)
        cells = "".join(f"<th>{escape(str(k))}</th>" for k in keys)
        for value in row:
            text = "" if pd.isna(value) else str(value)
            if text.startswith(SUPPRESSED):
                any_suppressed = True
                cells += f"<td class='cx-suppressed'>{escape(text)}</td>"
            else:
                cells += f"<td>{escape(text)}</td>"
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    note = (
        f"<p class='cx-note'>Cells based on fewer than {min_base} answers are suppressed: "
        "too few to report reliably.</p>"
        if any_suppressed
        else ""
    )
    return (
        f"<div class='cx-scroll'><table class='cx-table'>{cap}<thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


@dataclass(frozen=True)
class Findings:
    """A short list of plain-language findings for a report (escaped HTML)."""

    lines: tuple[str, ...]
    empty: str = "Nothing to report."

    def _repr_html_(self) -> str:
        if not self.lines:
            return f"<p class='cx-note'>{escape(self.empty)}</p>"
        return (
            "<ol class='cx-findings'>"
            + "".join(f"<li>{escape(s)}</li>" for s in self.lines)
            + "</ol>"
        )

    def __str__(self) -> str:
        return "\n".join(self.lines) or self.empty
