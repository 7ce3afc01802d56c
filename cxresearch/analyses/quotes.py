"""Customers' own words for a report: a seeded sample of comments, contacts masked.

Every quote is HTML-escaped when shown and has its e-mail addresses, phone
numbers, card and account numbers masked (:func:`mask_contacts`, which lists
the formats), so a report never leaks a customer's contact details. With
``contains=``, the result also gives the share of comments that mention the
word, with its Wilson interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from ..results import Result
from ..stats import Estimate, wilson_interval
from ..tables import Findings
from ._engine import dask_aware

# -- contact masking -------------------------------------------------------------------
# Invisible format characters that can hide or disguise a contact: zero-width space
# and non-joiner, word joiner, byte-order mark, soft hyphen, bidirectional embeddings,
# overrides and isolates. A zero-width joiner stays between emoji (it builds one).
INVISIBLE = re.compile(
    "[\u200b\u200c\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069]"
    r"|(?<=[\w@.])\u200d|\u200d(?=[\w@.])"
)
KNOWN_TLDS = (
    "com net org info biz edu gov io co me eu uk de pl ru ro bg ua cz sk hu fr es it nl "
    "at ch us ca au by kz md rs hr si lt lv ee fi se no dk be pt gr tr"
).split()
_AT_WORDS = r"(?i:at|@|małpa|malpa|собака)"
_DOT_WORDS = r"(?i:dot|kropka|точка)"
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_LOCAL = r"(?<![\w.+-])[\w.+-]*\w"
_LABEL = r"[\w-]+"
_TLD = r"[^\W\d_]{2,24}(?![\w-])"
_KNOWN_TLD = r"(?i:" + "|".join(KNOWN_TLDS) + r")(?![\w-])"
_AT_SIGN = r"[ \t]?[@＠﹫][ \t]?"
_AT_BRACKET = rf"\s*{_OPEN}\s*{_AT_WORDS}\s*{_CLOSE}\s*"
_AT_BARE = rf"\s+{_AT_WORDS}\s+"
_DOT = r"[.．。]"
_ANY_DOT = rf"(?:{_DOT}|\s*{_OPEN}\s*{_DOT_WORDS}\s*{_CLOSE}\s*|\s+{_DOT_WORDS}\s+)"
EMAIL = re.compile(
    "|".join(
        (
            # john@example.com, john @ example.com, john＠example．com
            rf"{_LOCAL}{_AT_SIGN}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{_TLD}",
            # john (at) example (dot) com, john [at] example.com, john {at} example [dot] pl
            rf"{_LOCAL}{_AT_BRACKET}{_LABEL}(?:{_ANY_DOT}{_LABEL})*{_ANY_DOT}{_TLD}",
            # john at example dot com, jan małpa example kropka pl: a known domain only
            rf"{_LOCAL}{_AT_BARE}{_LABEL}(?:{_ANY_DOT}{_LABEL})*{_ANY_DOT}{_KNOWN_TLD}",
        )
    )
)
IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?!\w)")
_SEPARATOR = "[ \t\u00a0.\\-\u2010\u2011\u2013/]{0,3}"
_DIGITS = r"(?:\(\d{1,5}\)|\d)"
DIGIT_RUN = re.compile(rf"(?<!\d)[+＋]?{_DIGITS}(?:{_SEPARATOR}{_DIGITS})*")
_CURRENCY = (
    r"(?i:(?:zł|zl|pln|eur|euro|usd|gbp|rub|руб|lei|ron|лв|bgn|kr|czk|kč|uah|chf)(?!\w)"
    r"|[€$£₽₴%])"
)
_AMOUNT = r"(?:\d{1,3}(?:[ \u00a0.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)"
_NUMBER_START = r"(?<![\d.,])(?<!\d[ \u00a0.,])"  # the start of a number, never inside one


def _date(n: int) -> str:
    """A date's shape (year-month-day or day-month-year, one separator), its
    separators captured as groups ``s<n>`` and ``t<n>``."""
    return (
        rf"(?:\d{{4}}(?P<s{n}>[-./])\d{{1,2}}(?P=s{n})\d{{1,2}}"
        rf"|\d{{1,2}}(?P<t{n}>[-./])\d{{1,2}}(?P=t{n})(?:\d{{4}}|\d{{2}}))"
    )


DATE = re.compile(r"\d+([-./])\d+\1\d+")
KEEP = re.compile(
    "|".join(
        (
            # dates and date ranges (real dates only, see _real_date):
            # 2024-03-15, 15.03.2024, 03/15/2024, 15.03.2024-20.03.2024
            rf"(?P<dates>(?<![\d.\-/]){_date(1)}(?:\s?[-–]\s?{_date(2)})?(?!\d|[.\-/]\d))",
            # time ranges (real times only): 10.30-12.30, 9:00 - 17:00
            r"(?P<times>(?<![\d.])\d{1,2}[.:]\d{2}\s?[-–]\s?\d{1,2}[.:]\d{2}(?!\.?\d))",
            # year ranges: 2019-2024, 2023/2024
            r"(?<![\d.])(?:19|20)\d{2}\s?[-–/]\s?(?:19|20)\d{2}(?!\d)",
            # amounts with a currency, percentages: 299.99 zł, € 1 250 000, 12,5 %
            rf"{_NUMBER_START}{_AMOUNT}\s?{_CURRENCY}",
            rf"{_CURRENCY}\s?{_AMOUNT}(?!\d)",
        )
    )
)
MIN_PHONE_DIGITS = 7  # a phone number, even a local one, has at least 7 digits
MAX_PHONE_DIGITS = 15  # and at most 15 (ITU-T E.164); longer runs: cards, accounts


def _real_date(text: str) -> bool:
    """Whether a date-shaped text (year-month-day, day-month-year or
    month-day-year) names a real day, of a year from 1900 to 2100 when the year
    has four digits (``12-34-5678`` is not a date)."""
    parts = re.split(r"[-./]", text)
    if len(parts[0]) != 4:
        parts = parts[::-1]  # day-month-year: read it from the year
    year, month, day = (int(p) for p in parts)
    if month > 12:  # month first (US)
        month, day = day, month
    if len(parts[0]) == 4 and not 1900 <= year <= 2100:
        return False
    return 1 <= month <= 12 and 1 <= day <= 31


def _real_times(text: str) -> bool:
    """Whether both ends of a time range are times of day (hours to 24, minutes to 59)."""
    numbers = [int(p) for p in re.findall(r"\d+", text)]
    return all(h <= 24 for h in numbers[::2]) and all(m <= 59 for m in numbers[1::2])


def _kept_spans(text: str) -> list[tuple[int, int]]:
    """Where the dates, time ranges, year ranges, amounts and percentages are."""
    spans = []
    for match in KEEP.finditer(text):
        dates = match.group("dates")
        if dates and not all(_real_date(d.group()) for d in DATE.finditer(dates)):
            continue
        if match.group("times") and not _real_times(match.group("times")):
            continue
        spans.append(match.span())
    return spans


def _mask_runs(text: str) -> str:
    def number(match: re.Match) -> str:
        digits = sum(c.isdigit() for c in match.group())
        if digits < MIN_PHONE_DIGITS:
            return match.group()
        return "[phone]" if digits <= MAX_PHONE_DIGITS else "[number]"

    return DIGIT_RUN.sub(number, text)


def _mask_numbers(text: str) -> str:
    """Mask the long digit runs outside the kept spans (dates, amounts, ...)."""
    pieces, last = [], 0
    for start, end in _kept_spans(text):
        pieces += [_mask_runs(text[last:start]), text[start:end]]
        last = end
    pieces.append(_mask_runs(text[last:]))
    return "".join(pieces)


def mask_contacts(text: str) -> str:
    """Mask the contact details in a customer's comment.

    Invisible format characters (zero-width spaces, soft hyphens, bidirectional
    overrides) are removed first: they can hide a contact or disguise it. Then:

    ``[e-mail]``
        an e-mail address, also written ``john @ example.com``, with a full-width
        ``＠`` or ``．``, or spelled out: ``john (at) example (dot) com``,
        ``john [at] example [dot] com``, ``john {at} example.com``, and, with a
        known top-level domain (:data:`KNOWN_TLDS`), ``john at example dot com``
        (also Polish ``małpa``/``kropka`` and Russian ``собака``/``точка``);
    ``[number]``
        an IBAN (``PL61 1090 1014 0000 0712 1981 2874``), or a run of more than
        15 digits (a card or account number: ``4111 1111 1111 1111``);
    ``[phone]``
        a run of 7 to 15 digits (ITU-T E.164 allows 15) separated by at most
        three spaces, dots, dashes or slashes, with an optional ``+`` and
        bracketed area code; so every national style: ``+48 601 234 567``,
        ``601-234-567``, ``(030) 1234567``, ``0171/1234567``,
        ``+7 (495) 123-45-67``, ``8 800 555-35-35``, ``+40 721 234 567``,
        ``0721.234.567``, ``+359 88 123 4567``, ``+1-202-555-0143``,
        ``12-34-5678``, and an 8-digit order number.

    Kept as written: runs of 6 digits or fewer (``order 12345``, ``9/10``,
    ``Section 5.2``, years), real dates (``2024-03-15``, ``15.03.2024``,
    ``03/15/2024``), times and time ranges (``10:30``, ``10.30-12.30``), year
    ranges (``2019-2024``), and amounts with a currency or a percent sign
    (``299.99 zł``, ``€ 1 250 000``, ``12,5%``).

    >>> mask_contacts("Call me on +48 601 234 567 or write to jan.kowalski@example.pl")
    'Call me on [phone] or write to [e-mail]'
    >>> mask_contacts("Delivered on 2026-03-14, order 12345, paid 1 299,99 zł")
    'Delivered on 2026-03-14, order 12345, paid 1 299,99 zł'
    """
    text = INVISIBLE.sub("", text)
    text = EMAIL.sub("[e-mail]", text)
    text = IBAN.sub("[number]", text)
    return _mask_numbers(text)


@dataclass(frozen=True)
class Quotes(Result):
    """Result of :func:`quotes`: ``table`` has one row per quoted comment
    (``respondent``, ``column``, ``quote`` masked); ``source`` says how they
    were drawn; ``mentions`` is the share (%) of comments containing the word
    asked for, with its interval (None without ``contains``)."""

    has_plot = False

    table: pd.DataFrame
    source: str
    mentions: Estimate | None
    min_base: int
    confidence: float = 0.95

    @property
    def lines(self) -> tuple[str, ...]:
        """The quotes as text (masked, not escaped)."""
        return tuple(self.table["quote"])

    def display(self) -> pd.DataFrame:
        return self.table.set_index("respondent")[["quote"]]

    def findings(self, top: int = 3) -> Findings:
        """The first ``top`` quotes."""
        return Findings(self.lines[:top], "No comments to quote.")

    def caption(self) -> str:
        if self.mentions is None:
            return self.source
        m = self.mentions
        return (
            f"{self.source} {m.value:.1f}% of the comments mention it "
            f"[{m.low:.1f}, {m.high:.1f}], n={m.n:,} comments ({self.interval}, Wilson)."
        )

    def _repr_html_(self) -> str:
        if self.table.empty:
            return f"<p class='cx-note'>No comments to quote. {escape(self.source)}</p>"
        items = "".join(f"<blockquote>{escape(line)}</blockquote>" for line in self.lines)
        return f"{items}<p class='cx-note'>{escape(self.caption())}</p>"


@dask_aware
def quotes(
    study,
    *,
    n: int = 5,
    contains: str | None = None,
    random_state: int = 0,
    confidence: float = 0.95,
) -> Quotes:
    """A seeded sample of ``n`` comments (from the ``text:`` columns or the
    feedback text), optionally containing a word; contacts masked."""
    columns = [t.column for t in study.codebook.text]
    if study.codebook.feedback is not None and study.codebook.feedback.text:
        columns.append(study.codebook.feedback.text)
    empty = pd.DataFrame({"respondent": [], "column": [], "quote": []})
    if not columns:
        return Quotes(
            empty, "The study has no comments.", None, study.codebook.min_base, confidence
        )
    texts = pd.concat(
        [study.responses[c].dropna().astype(str).to_frame("text").assign(column=c) for c in columns]
    )
    texts = texts.rename_axis("respondent").reset_index().drop_duplicates(subset="text")
    mentions = None
    if contains:
        hit = texts["text"].str.contains(contains, case=False, regex=False).to_numpy()
        share = float(hit.mean()) if len(hit) else np.nan
        low, high = wilson_interval(share, len(hit), confidence)
        mentions = Estimate(
            100 * share, 100 * float(low), 100 * float(high), len(hit), "Wilson", None, confidence
        )
        texts = texts[hit]
    total = len(texts)
    picked = texts.sample(n=min(n, total), random_state=random_state) if total else texts
    table = pd.DataFrame(
        {
            "respondent": picked["respondent"].to_numpy(),
            "column": picked["column"].to_numpy(),
            "quote": [mask_contacts(t) for t in picked["text"]],
        }
    )
    about = f" containing '{contains}'" if contains else ""
    source = (
        f"{len(picked)} of {total:,} distinct comments{about}, drawn at random "
        f"(seed {random_state}); e-mail addresses, phone, card and account numbers masked."
    )
    return Quotes(table, source, mentions, study.codebook.min_base, confidence)
