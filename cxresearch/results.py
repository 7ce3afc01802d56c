"""Result objects: frozen dataclasses with ``.table``, ``.plot()`` and ``_repr_html_``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .tables import estimates_wide, html_table


@dataclass(frozen=True)
class KpiTable:
    """The KPI table of :func:`cxresearch.kpis`.

    ``table`` is long (one row per group and statistic) for code; ``wide()``
    is the people's view (one row per group, ``value [low, high] n=...``
    cells, small bases suppressed).
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    min_base: int
    weighted: bool
    confidence: float = 0.95

    def wide(self) -> pd.DataFrame:
        return estimates_wide(self.table, list(self.by), "statistic", self.min_base)

    def estimate(self, statistic: str, **group) -> pd.Series:
        """The row of one statistic (and group), e.g. ``estimate("NPS", brand="Acme")``."""
        rows = self.table[self.table["statistic"] == statistic]
        for column, value in group.items():
            rows = rows[rows[column] == value]
        if len(rows) != 1:
            raise KeyError(f"{len(rows)} rows for {statistic!r} {group}")
        return rows.iloc[0]

    def plot(self, statistic: str = "NPS", ax=None):
        """Dot-and-interval chart of one statistic across the groups."""
        from .plots import estimate_dots

        return estimate_dots(self.table, statistic, list(self.by), self.min_base, ax=ax)

    def _repr_html_(self) -> str:
        if self.table.empty:
            return "<p class='cx-note'>The study declares none of these KPIs.</p>"
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        caption = f"Value [{self.confidence:.0%} interval] and base n; {weighting}."
        return html_table(self.wide(), self.min_base, caption)
