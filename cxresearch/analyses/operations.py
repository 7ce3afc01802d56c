"""Operational measures: waiting, response and delivery times against their targets.

For each measure declared under ``operational:`` in the codebook: the median
and the 90th percentile with distribution-free intervals (order statistics:
the interval for quantile q runs from the l-th to the u-th smallest value,
l and u the binomial(n, q) quantiles; Conover 1999, *Practical Nonparametric
Statistics*, section 3.2; :func:`cxresearch.stats.quantile_interval`: a bound
whose order statistic does not exist, with too few values, is "no bound",
never the sample's extreme), and the share over target with its Wilson
interval. :meth:`Operations.relation` shows an outcome by wait band (within
target, up to twice the target, beyond), the evidence that waits cost
satisfaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..errors import Problem, StudyError
from ..plots import operations_chart
from ..results import Result
from ..stats import quantile_interval, wilson_interval
from ..tables import Findings, format_bound, suppressed_note
from ._common import group_codes
from ._engine import dask_aware, on_dask
from .kpis import KpiTable, kpis


@dataclass(frozen=True)
class Operations(Result):
    """Result of :func:`operations`: ``table`` has one row per measure (and group)
    with ``n``, ``median`` (``median_low``/``median_high``), ``p90`` (with its
    interval), ``over_target`` share (Wilson interval) and ``ratio`` (median /
    target)."""

    table: pd.DataFrame
    by: str | None
    min_base: int
    study: object
    confidence: float = 0.95

    def findings(self, top: int = 3) -> Findings:
        """The measures furthest over their targets (median / target), in words."""
        t = self.table[~self.table["below_min_base"]].dropna(subset=["ratio"])
        lines = []
        for r in t.nlargest(top, "ratio").to_dict("records"):
            group = f"{r[self.by]}, " if self.by else ""
            lines.append(
                f"{group}{r['label']}: median {r['median']:.1f} {r['unit']} "
                f"[{_interval(r['median_low'], r['median_high'])}] against a target of "
                f"{r['target']:g}; {r['over_target']:.0%} [{r['over_low']:.0%}, "
                f"{r['over_high']:.0%}] wait longer (n={r['n']:,})."
            )
        return Findings(tuple(lines), "No measure with a target and a base large enough.")

    def plot(self, ax=None):
        """Medians and 90th percentiles with their intervals, against each target."""
        return operations_chart(self, ax=ax)

    def worst_wait(self) -> pd.Series | None:
        """The measure furthest over its target (largest median / target) among
        those with a base of at least ``min_base``; None when there is none."""
        t = self.table[~self.table["below_min_base"]].dropna(subset=["ratio"])
        return None if t.empty else t.loc[t["ratio"].idxmax()]

    def relation(self, column: str, outcome: str = "csat") -> KpiTable:
        """KPIs by wait band for one measure: within target, up to 2x, beyond 2x."""
        op = next(o for o in self.study.codebook.operational if o.column == column)
        values = self.study.responses[column]
        if not on_dask(self.study):
            bands = wait_bands(values, op)
        elif op.target is not None:  # fixed edges: each partition banded alone
            meta = wait_bands(values._meta, op)
            bands = values.map_partitions(wait_bands, op, meta=meta)
        else:
            raise StudyError(
                Problem(
                    str(self.study.codebook.path),
                    f"the wait bands of '{column}' are its thirds without a target, which "
                    "needs the column in memory: give the measure a target: in the "
                    "codebook, or load the study with engine='pandas'",
                    column,
                )
            )
        banded = replace(self.study, responses=self.study.responses.assign(wait_band=bands))
        result = kpis(banded, by="wait_band", confidence=self.confidence)
        names = {"csat": "CSAT", "ces": "CES", "loyalty": "Loyalty", "nps": "NPS"}
        prefix = names.get(outcome, outcome)
        if result.table.empty:  # the study has no KPIs to relate waits to
            return result
        table = result.table[result.table["statistic"].str.startswith(prefix)]
        return replace(result, table=table.reset_index(drop=True))

    def display(self) -> pd.DataFrame:
        t = self.table
        index = ([self.by] if self.by else []) + ["label"]
        shown = pd.DataFrame(index=pd.MultiIndex.from_frame(t[index].astype(str)))
        shown["target"] = [
            f"{x:g} {u}" if not np.isnan(x) else "-"
            for x, u in zip(t["target"], t["unit"], strict=True)
        ]
        shown[f"median [{self.interval}]"] = [
            f"{m:.1f} [{_interval(lo, hi)}]"
            for m, lo, hi in zip(t["median"], t["median_low"], t["median_high"], strict=True)
        ]
        shown[f"90th percentile [{self.interval}]"] = [
            f"{m:.1f} [{_interval(lo, hi)}]"
            for m, lo, hi in zip(t["p90"], t["p90_low"], t["p90_high"], strict=True)
        ]
        shown[f"over target [{self.interval}]"] = [
            "-" if np.isnan(s) else f"{s:.0%} [{lo:.0%}, {hi:.0%}]"
            for s, lo, hi in zip(t["over_target"], t["over_low"], t["over_high"], strict=True)
        ]
        shown["n"] = t["n"].map("{:,}".format).to_numpy()
        small = t["below_min_base"].to_numpy()
        for column in shown.columns[1:-1]:
            shown.loc[small, column] = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        return shown

    def caption(self) -> str:
        return (
            f'Medians and 90th percentiles with order-statistic {self.interval}s ("no upper '
            f'bound": too few values for one); shares over target with Wilson {self.interval}s; '
            "unweighted (each answer counts once)."
        )


def wait_bands(values: pd.Series, op) -> pd.Series:
    """Each value's band: within the target, up to twice the target, beyond
    (without a target: the shortest, middle and longest third)."""
    if op.target is None:
        return pd.qcut(values, 3, labels=["shortest third", "middle third", "longest third"])
    edges = [-np.inf, op.target, 2 * op.target, np.inf]
    names = [
        f"within target (<= {op.target:g} {op.unit})",
        f"up to twice the target (<= {2 * op.target:g})",
        "more than twice the target",
    ]
    return pd.cut(values, edges, labels=names)


def _interval(low: float, high: float) -> str:
    """An order-statistic interval; a missing order statistic reads "no ... bound"."""
    return f"{format_bound(low, side='lower')}, {format_bound(high)}"


@memoised(parts=SURVEY_PARTS)
@dask_aware
def operations(
    study, *, by: str | None = None, brand: str | None = "auto", confidence: float = 0.95
) -> Operations:
    """Operational measures by touchpoint (and group), for the brand's customers by default."""
    rows_frame, _ = study.brand_rows(brand)
    group = study.resolve_column(by) if by else None
    codes, keys = group_codes(rows_frame, [group] if group else [])
    records = []
    for op in study.codebook.operational:
        values = rows_frame[op.column].to_numpy(dtype=float)
        for g in range(len(keys)):
            x = values[codes == g]
            x = x[~np.isnan(x)]
            over = 0 if op.target is None else int(np.count_nonzero(x > op.target))
            summary = WaitSummary(
                len(x),
                over,
                quantile_interval(x, 0.5, confidence),
                quantile_interval(x, 0.9, confidence),
            )
            records.append(operations_record(study, op, summary, group, keys, g, confidence))
    return operations_result(study, records, group, confidence)


@dataclass(frozen=True)
class WaitSummary:
    """What a row of the operations table is made of, for one measure and group:
    ``n`` values, ``over`` of them above the target, and the median and 90th
    percentile each as (value, low, high) (:func:`cxresearch.stats.quantile_interval`)."""

    n: int
    over: int
    median: tuple[float, float, float]
    p90: tuple[float, float, float]


def operations_record(study, op, summary: WaitSummary, group, keys, g: int, confidence) -> dict:
    """One row of the operations table, from the measure's :class:`WaitSummary`
    in group ``g`` (shared by the in-memory and the Dask engine)."""
    labels = {tp.id: tp.label for tp in study.codebook.touchpoints}
    n = summary.n
    over = np.nan if op.target is None or not n else summary.over / n
    o_low, o_high = wilson_interval(over, n, confidence) if not np.isnan(over) else (np.nan, np.nan)
    median, m_low, m_high = summary.median
    p90, p_low, p_high = summary.p90
    record = {
        "measure": op.column,
        "touchpoint": op.touchpoint,
        "label": labels.get(op.touchpoint, op.column),
        "unit": op.unit,
        "target": np.nan if op.target is None else op.target,
        "n": n,
        "median": median,
        "median_low": m_low,
        "median_high": m_high,
        "p90": p90,
        "p90_low": p_low,
        "p90_high": p_high,
        "over_target": over,
        "over_low": float(o_low),
        "over_high": float(o_high),
        "ratio": median / op.target if op.target else np.nan,
        "below_min_base": n < study.codebook.min_base,
    }
    if group:
        record = {group: keys[group].iloc[g], **record}
    return record


def operations_result(study, records: list[dict], group: str | None, confidence) -> Operations:
    """The :class:`Operations` result from its rows (:func:`operations_record`)."""
    columns = ([group] if group else []) + list(OPERATIONS_COLUMNS)
    text = ("measure", "touchpoint", "label", "unit", "n", "below_min_base")
    numbers = {c: float for c in OPERATIONS_COLUMNS if c not in text}
    table = pd.DataFrame(records, columns=columns)
    table = table.astype({**numbers, "n": int, "below_min_base": bool})
    return Operations(table, group, study.codebook.min_base, study, confidence)


OPERATIONS_COLUMNS = (
    "measure", "touchpoint", "label", "unit", "target", "n",
    "median", "median_low", "median_high", "p90", "p90_low", "p90_high",
    "over_target", "over_low", "over_high", "ratio", "below_min_base",
)  # fmt: skip
