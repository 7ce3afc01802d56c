"""The data-quality record of a study: what was read, checked, flagged and dropped.

:class:`DataQuality` is what ``study.quality`` shows and the report's
data-quality appendix prints: every removed row and every "don't know" code
is counted here, so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DataQuality:
    """What was read, checked, flagged and dropped, with counts.

    Attributes
    ----------
    source : str
        The responses file, named relative to the study folder (never by an
        absolute path: the record is shown in reports).
    read_notes : tuple of str
        How the file was read (format, encoding, skipped header rows).
    rows_read, rows_kept : int
        Data rows in the file, and rows in ``study.responses``.
    dropped : dict
        Reason -> number of rows removed (only blank rows are ever removed).
    dont_know : dict
        Column -> number of declared "don't know" codes turned into missing.
    unanswered : dict
        Column -> number of respondents with no answer (after the above).
    notes : tuple of str
        Other things a researcher should know (generated ids, ...).
    na_like : dict
        Column -> {text: count} of "NA"-like text (``NA``, ``None``, ``#N/A``,
        ``null``, ...) found in the column. In a category column where it is
        one of several categories it is kept as a category (a code such as
        ``NA`` for Namibia); elsewhere it became a missing value.
    na_like_kept : tuple of str
        The columns of ``na_like`` where the text was kept as a category.
    weight_ratio, effective_n : float or None
        For a weighted study: the largest weight over the smallest, and Kish's
        effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965, *Survey
        Sampling*, section 11.7), the number of unweighted respondents the
        weighted results are worth.
    warnings : tuple of str
        What may spoil results without being an error (extreme weights, a
        column nobody answered).
    """

    source: str
    read_notes: tuple[str, ...]
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)
    dont_know: dict[str, int] = field(default_factory=dict)
    unanswered: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    events_source: str | None = None
    events_read: int = 0
    events_kept: int = 0
    events_dropped: dict[str, int] = field(default_factory=dict)
    na_like: dict[str, dict[str, int]] = field(default_factory=dict)
    na_like_kept: tuple[str, ...] = ()
    weight_ratio: float | None = None
    effective_n: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def table(self) -> pd.DataFrame:
        """Per column: answered, "don't know" and no answer, as counts and shares."""
        columns = list(dict.fromkeys([*self.dont_know, *self.unanswered]))
        dont_know = np.array([self.dont_know.get(c, 0) for c in columns])
        blank = np.array([self.unanswered.get(c, 0) for c in columns]) - dont_know
        answered = self.rows_kept - blank - dont_know
        return pd.DataFrame(
            {
                "column": columns,
                "answered": answered,
                "dont_know": dont_know,
                "no_answer": blank,
                "answered_share": answered / max(self.rows_kept, 1),
            }
        )

    def summary(self) -> str:
        """A plain-text summary, as ``cxresearch validate`` prints it."""
        lines = [f"Responses: {self.source}", *(f"  {n}" for n in self.read_notes)]
        lines.append(f"  rows read: {self.rows_read:,}; rows kept: {self.rows_kept:,}")
        for reason, count in self.dropped.items():
            lines.append(f"  dropped: {count:,} {reason}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        lines += [f"  warning: {warning}" for warning in self.warnings]
        if self.effective_n is not None:
            lines.append(
                f"  weights: effective sample size (Kish) {self.effective_n:,.0f} of "
                f"{self.rows_kept:,}; largest weight / smallest {self.weight_ratio:,.3g}"
            )
        if self.na_like:
            lines.append(f'  "NA"-like text: {self._na_like_text()}')
        total_dk = sum(self.dont_know.values())
        if total_dk:
            worst = max(self.dont_know, key=self.dont_know.get)
            lines.append(
                f'  "don\'t know" codes set to missing: {total_dk:,} answers in '
                f"{sum(1 for v in self.dont_know.values() if v)} columns "
                f"(most in '{worst}': {self.dont_know[worst]:,})"
            )
        blanks = {c: n - self.dont_know.get(c, 0) for c, n in self.unanswered.items()}
        most = sorted((c for c in blanks if blanks[c]), key=blanks.get, reverse=True)[:3]
        if most:
            shown = ", ".join(f"'{c}' {blanks[c]:,}" for c in most)
            lines.append(f"  most blank answers: {shown} (the table of every column has the rest)")
        if self.events_source is not None:
            lines.append(f"Events: {self.events_source}")
            lines.append(f"  events read: {self.events_read:,}; kept: {self.events_kept:,}")
            for reason, count in self.events_dropped.items():
                lines.append(f"  dropped: {count:,} {reason}")
        return "\n".join(lines)

    def _na_like_text(self) -> str:
        parts = []
        for column, found in self.na_like.items():
            counts = ", ".join(f"'{text}' {n:,}" for text, n in found.items())
            kept = "kept as a category" if column in self.na_like_kept else "set to missing"
            parts.append(f"'{column}' {counts} ({kept})")
        return "; ".join(parts)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{escape(line.strip())}</li>" for line in self.summary().splitlines())
        least = self.table.sort_values("answered_share").head(10)
        rows = "".join(
            f"<tr><td>{escape(str(r.column))}</td><td>{r.answered:,}</td><td>{r.dont_know:,}</td>"
            f"<td>{r.no_answer:,}</td><td>{r.answered_share:.0%}</td></tr>"
            for r in least.itertuples()
        )
        return (
            f"<ul class='cx-quality'>{items}</ul>"
            "<div class='cx-scroll'><table class='cx-table'>"
            "<caption>The ten items with the fewest answers "
            f"(base: {self.rows_kept:,} respondents)</caption><thead><tr><th>column</th>"
            '<th>answered</th><th>"don\'t know"</th><th>no answer</th><th>answered share</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>"
        )
