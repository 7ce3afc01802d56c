"""The KPI table: every outcome of the codebook with its interval, by group.

One row per group and statistic (NPS, CSAT top-2-box and mean, CES mean and
agree share, loyalty, retention, referral), computed from grouped sufficient
statistics (:mod:`cxresearch.metrics`): a handful of ``numpy.bincount``
passes, whatever the number of respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..metrics import statistics_for
from ..plots import estimate_dots
from ..results import Result
from ..stats import Groups
from ..tables import Findings, estimates_wide, html_table
from ._common import as_list, group_codes, item_values
from ._engine import dask_aware


@dataclass(frozen=True)
class KpiTable(Result):
    """The KPI table of :func:`kpis`.

    ``table`` is long (one row per group and statistic) for code;
    ``display()`` is the people's view (one row per group, ``value [low,
    high] n=...`` cells, small bases suppressed).
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    min_base: int
    weighted: bool
    confidence: float = 0.95

    def display(self) -> pd.DataFrame:
        if self.table.empty:
            return pd.DataFrame(index=pd.Index([], name="statistic"))
        return estimates_wide(self.table, list(self.by), "statistic", self.min_base)

    wide = display  # the name of 0.1

    def statistics(self) -> list[str]:
        """The statistics in the table, in codebook order."""
        return list(dict.fromkeys(self.table["statistic"])) if not self.table.empty else []

    def estimate(self, statistic: str, **group) -> pd.Series:
        """The row of one statistic (and group), e.g. ``estimate("NPS", brand="Acme")``."""
        rows = self.table[self.table["statistic"] == statistic]
        for column, value in group.items():
            rows = rows[rows[column] == value]
        if len(rows) != 1:
            raise KeyError(f"{len(rows)} rows for {statistic!r} {group}")
        return rows.iloc[0]

    def findings(self, top: int = 3) -> Findings:
        """The first ``top`` statistics: the value of the whole sample, or the
        highest and lowest group with a base of at least ``min_base``."""
        lines = []
        for statistic in self.statistics()[:top]:
            rows = self.table[
                (self.table["statistic"] == statistic) & ~self.table["below_min_base"]
            ]
            rows = rows.dropna(subset=["value"])
            if rows.empty:
                continue
            if not self.by:
                lines.append(f"{statistic}: {_cell(rows.iloc[0])}.")
                continue
            high, low = rows.loc[rows["value"].idxmax()], rows.loc[rows["value"].idxmin()]
            lines.append(
                f"{statistic}: highest {_group(high, self.by)} {_cell(high)}; "
                f"lowest {_group(low, self.by)} {_cell(low)}."
            )
        return Findings(tuple(lines), "No KPI has a base large enough to report.")

    def plot(self, ax=None, statistic: str | None = None):
        """Dot-and-interval chart of one statistic (default: the first) across the
        groups. ``plot("NPS")`` (the statistic first, as in 0.1) works too."""
        if isinstance(ax, str):
            ax, statistic = statistic, ax
        if statistic is None:
            if self.table.empty:
                raise KeyError("the study declares no KPIs to plot")
            statistic = self.statistics()[0]
        return estimate_dots(
            self.table, statistic, list(self.by), self.min_base, ax=ax, confidence=self.confidence
        )

    def caption(self) -> str:
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        return f"Value [{self.interval}] and base n; {weighting}."

    def _repr_html_(self) -> str:
        if self.table.empty:
            return "<p class='cx-note'>The study declares none of these KPIs.</p>"
        return html_table(self.display(), self.min_base, self.caption())


def _cell(row: pd.Series) -> str:
    return f"{row['value']:.1f} [{row['low']:.1f}, {row['high']:.1f}] (n={int(row['n']):,})"


def _group(row: pd.Series, by: tuple[str, ...]) -> str:
    return " / ".join(str(row[c]) for c in by)


@memoised(parts=SURVEY_PARTS)
@dask_aware
def kpis(study, *, by=None, weighted: bool = True, confidence: float = 0.95) -> KpiTable:
    """The KPI table: n, NPS, CSAT, CES, loyalty, retention and referral with intervals.

    Parameters
    ----------
    study : Study
    by : str or list of str, optional
        ``"brand"``, ``"wave"``, a profile column, or several. None: the whole sample.
    weighted : bool
        Use the study's survey weights when it has them (Kish effective n).
    confidence : float

    Returns
    -------
    KpiTable
        ``.table`` has one row per group and statistic: the group columns,
        ``kpi``, ``statistic``, ``value``, ``low``, ``high``, ``n`` (answers),
        ``n_eff``, ``method`` and ``below_min_base``.

    Notes
    -----
    NPS: see :func:`nps`. Shares (top-2-box, agree, retention, referral): Wilson
    interval. Means: t interval. Only KPIs declared in the codebook appear.
    """
    columns = [study.resolve_column(b) for b in as_list(by)]
    codes, keys = group_codes(study.responses, columns)
    w_series = study.weights() if weighted else None
    weights = None if w_series is None else w_series.to_numpy(dtype=float)
    groups = Groups(codes, len(keys), weights)
    return kpi_table(
        study,
        keys,
        columns,
        lambda kpi, item: groups.answers(item_values(study, item)),
        weighted=w_series is not None,
        confidence=confidence,
    )


def kpi_table(study, keys, columns, answers_of, *, weighted: bool, confidence: float) -> KpiTable:
    """The KPI table from each outcome's grouped answers, ``answers_of(kpi, item)``
    (a :class:`~cxresearch.stats.GroupedAnswers` or anything with its sums: the
    Dask engine's per-partition totals), one row per group and statistic."""
    method_note = ", weighted (Kish effective n)" if weighted else ""
    rows = []  # (kpi, statistic, method, (value, low, high, n, n_eff)) per statistic
    for kpi, item in study.codebook.outcomes.items():
        answers = answers_of(kpi, item)
        for statistic in statistics_for(kpi, item):
            estimates = statistic.compute(answers, confidence)
            rows.append((kpi, statistic.name, statistic.method + method_note, estimates))
    table = _long_table(keys, rows)
    if not table.empty:
        table["below_min_base"] = table["n"] < study.codebook.min_base
        table = _own_brand_first(table, study, columns)
    return KpiTable(
        table=table,
        by=tuple(columns),
        min_base=study.codebook.min_base,
        weighted=weighted,
        confidence=confidence,
    )


def _long_table(keys: pd.DataFrame, rows: list) -> pd.DataFrame:
    """One row per group and statistic: the group keys repeated for each statistic
    (statistics in order, groups in key order within each), then the estimates."""
    if not rows:
        return pd.DataFrame()
    k, m = len(keys), len(rows)
    groups = np.tile(np.arange(k), m)

    def repeated(i: int) -> np.ndarray:
        return np.repeat(np.array([row[i] for row in rows], dtype=object), k)

    def stacked(i: int) -> np.ndarray:
        return np.concatenate([np.asarray(row[3][i]) for row in rows])

    columns = {c: keys[c].array.take(groups) for c in keys.columns}
    columns |= {"kpi": repeated(0), "statistic": repeated(1)}
    columns |= {"value": stacked(0), "low": stacked(1), "high": stacked(2)}
    columns |= {"n": stacked(3).astype(int), "n_eff": stacked(4), "method": repeated(2)}
    return pd.DataFrame(columns)


def _own_brand_first(table: pd.DataFrame, study, columns: list[str]) -> pd.DataFrame:
    brand_column = study.codebook.brand_column
    if brand_column not in columns or study.brand is None:
        return table
    first = (table[brand_column] != study.brand).to_numpy()
    order = np.lexsort((np.arange(len(table)), first))
    return table.iloc[order].reset_index(drop=True)
