"""Customers' own words for a report: a seeded sample of comments, contacts masked.

Every quote is HTML-escaped when shown and has its e-mail addresses and
phone numbers masked (:func:`mask_contacts`), so a report never leaks a
customer's contact details. With ``contains=``, the result also gives the
share of comments that mention the word, with its Wilson interval.
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

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{6,}\d(?![\w])")
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def mask_contacts(text: str) -> str:
    """Replace e-mail addresses by ``[e-mail]`` and phone numbers (7 or more
    digits, with spaces, dots, dashes or brackets; not dates) by ``[phone]``.

    >>> mask_contacts("Call me on +48 601 234 567 or write to jan.kowalski@example.pl")
    'Call me on [phone] or write to [e-mail]'
    >>> mask_contacts("Delivered on 2026-03-14, order 12345")
    'Delivered on 2026-03-14, order 12345'
    """
    text = EMAIL.sub("[e-mail]", text)

    def phone(match: re.Match) -> str:
        found = match.group()
        if DATE.fullmatch(found.strip()) or sum(c.isdigit() for c in found) < 7:
            return found
        return "[phone]"

    return PHONE.sub(phone, text)


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
        f"(seed {random_state}); e-mail addresses and phone numbers masked."
    )
    return Quotes(table, source, mentions, study.codebook.min_base, confidence)
