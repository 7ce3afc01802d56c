"""Analyses of a Dask study from per-partition sufficient statistics.

An estimate that is a function of sums (a mean, a share, the NPS, their
intervals) is computed exactly on data of any size: each partition gives, per
group, the count of answers, ``sum w``, ``sum w^2``, ``sum w x`` and ``sum w x^2``
(:class:`~cxresearch.stats.GroupedSums`), or for a share the weighted count of
answers meeting its condition; sums of partitions add up, and the estimate is
computed once from the totals (Chan, Golub & LeVeque 1979, "Updating formulae
and a pairwise algorithm for computing sample variances": mergeable moments).

The statistics are the very ones of the in-memory KPI table
(:func:`cxresearch.metrics.statistics_for`): each is run first on a recorder
that notes which sums it asks for (the answers, or the answers meeting a
condition such as ``>= 9``), then, once those sums are added up over the
partitions, on the totals. So :func:`kpis_dask` returns the same
:class:`~cxresearch.analyses.kpis.KpiTable` as :func:`cxresearch.kpis` on the same
data, up to the rounding of the sums' order (far below 1e-9).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from ...metrics import statistics_for
from ...stats import GroupedSums, Groups
from .._common import as_list, group_codes, item_values
from .._engine import dask_version
from ..kpis import KpiTable, kpi_table

dask = LazyModule("dask")

_SUMS = ("count", "sw", "sw2", "swx", "swx2")
_OPERATORS: dict[str, Callable] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Condition:
    """A condition on an item's values, as a statistic states it (``values >= 9``)."""

    op: str
    threshold: float

    def mask(self, values: np.ndarray) -> np.ndarray:
        return _OPERATORS[self.op](values, self.threshold)


class _Values:
    """Stands for an item's values: a comparison gives the :class:`Condition`."""

    def __ge__(self, other):
        return Condition(">=", float(other))

    def __le__(self, other):
        return Condition("<=", float(other))

    def __gt__(self, other):
        return Condition(">", float(other))

    def __lt__(self, other):
        return Condition("<", float(other))

    def __eq__(self, other):  # type: ignore[override]
        return Condition("==", float(other))

    __hash__ = None  # type: ignore[assignment]


SUMS = "sums"
"""The request for an item's own sums (a mean, a 0/1 share), beside :class:`Condition`\\ s."""


class _Recorder:
    """An item's answers as a statistic sees them (``values``, ``sums()``,
    ``share(condition)``), noting the sums asked for; it answers with NaN."""

    def __init__(self):
        self.values = _Values()
        self.asked: list = []

    def sums(self) -> GroupedSums:
        self.asked.append(SUMS)
        return _empty()

    def share(self, condition: Condition) -> GroupedSums:
        self.asked.append(condition)
        return _empty()


class _Totals:
    """An item's answers as a statistic sees them, answering with the summed totals."""

    def __init__(self, totals: dict):
        self.values = _Values()
        self.totals = totals

    def sums(self) -> GroupedSums:
        return self.totals[SUMS]

    def share(self, condition: Condition) -> GroupedSums:
        return self.totals[condition]


def _empty() -> GroupedSums:
    zero = np.zeros(1)
    return GroupedSums(zero.astype(int), zero, zero, zero, zero)


def requests(study) -> dict[str, list]:
    """Per outcome, the sums its KPI statistics ask for (in order, once each)."""
    asked = {}
    for kpi, item in study.codebook.outcomes.items():
        recorder = _Recorder()
        for statistic in statistics_for(kpi, item):
            with np.errstate(all="ignore"):
                statistic.compute(recorder, 0.95)
        asked[kpi] = list(dict.fromkeys(recorder.asked))
    return asked


def partition_sums(
    frame: pd.DataFrame,
    codebook,
    columns: list[str],
    weight: str | None,
    asked: dict[str, list],
) -> pd.DataFrame:
    """One partition's sums: a row per group met in it (the group columns' own
    values, for the groups to be matched over partitions), a column per sum
    (``kpi|request|count``, ``...|sw``, ...)."""
    if frame.empty:
        names = [
            _key(kpi, r, name) for kpi, wanted in asked.items() for r in wanted for name in _SUMS
        ]
        return pd.concat([frame[columns], pd.DataFrame(columns=names, dtype=float)], axis=1)
    codes, keys = group_codes(frame, columns)
    first = np.unique(codes, return_index=True)[1]
    out = frame[columns].iloc[first].reset_index(drop=True)
    weights = None if weight is None else frame[weight].to_numpy(dtype=float)
    groups = Groups(codes, len(keys), weights)
    rows = SimpleNamespace(responses=frame)
    sums = {}
    for kpi, wanted in asked.items():
        answers = groups.answers(item_values(rows, codebook.outcomes[kpi]))
        for request in wanted:
            found = (
                answers.sums() if request == SUMS else answers.share(request.mask(answers.values))
            )
            for name in _SUMS:
                sums[_key(kpi, request, name)] = getattr(found, name)
    return pd.concat([out, pd.DataFrame(sums)], axis=1) if sums else out


def _key(kpi: str, request, name: str) -> str:
    what = request if request == SUMS else f"{request.op}{request.threshold!r}"
    return f"{kpi}|{what}|{name}"


def combine(parts: list[pd.DataFrame], columns: list[str], asked: dict[str, list]):
    """The partitions' sums added up per group: the group keys (as
    :func:`~cxresearch.analyses._common.group_codes` orders and labels them for the
    whole data) and, per outcome and request, the :class:`GroupedSums` of all rows."""
    every = pd.concat(parts, ignore_index=True)
    codes, keys = group_codes(every, columns)
    k = len(keys)
    totals = {}
    for kpi, wanted in asked.items():
        totals[kpi] = {}
        for request in wanted:
            arrays = {
                name: np.bincount(codes, every[_key(kpi, request, name)].to_numpy(float), k)
                for name in _SUMS
            }
            arrays["count"] = np.rint(arrays["count"]).astype(np.int64)
            totals[kpi][request] = GroupedSums(**arrays)
    return keys, totals


@dataclass(frozen=True)
class KpiSums:
    """The sums a pass over the partitions gathers for a KPI table grouped by
    ``columns``, and the table made of them: what :func:`kpis_dask` runs, and
    what another pass (the segmentation's, by segment) can gather alongside its own."""

    columns: list[str]
    weight: str | None
    asked: dict[str, list]

    @classmethod
    def of(cls, study, columns: list[str], weight: str | None) -> KpiSums:
        return cls(columns, weight, requests(study))

    def read(self, study) -> list[str]:
        """The columns the sums read."""
        outcomes = [item.column for item in study.codebook.outcomes.values()]
        wanted = [*self.columns, self.weight, *outcomes]
        return list(dict.fromkeys(c for c in wanted if c is not None))

    def partition(self, frame: pd.DataFrame, codebook) -> pd.DataFrame:
        """One partition's (or chunk's) sums: :func:`partition_sums`."""
        return partition_sums(frame, codebook, self.columns, self.weight, self.asked)

    def table(self, study, parts: list[pd.DataFrame], confidence: float) -> KpiTable:
        """The KPI table from the sums of every partition."""
        keys, totals = combine(parts, self.columns, self.asked)
        return kpi_table(
            study,
            keys,
            self.columns,
            lambda kpi, item: _Totals(totals[kpi]),
            weighted=self.weight is not None,
            confidence=confidence,
        )


@dask_version("kpis")
def kpis_dask(study, *, by=None, weighted: bool = True, confidence: float = 0.95) -> KpiTable:
    """The KPI table of a Dask study (:func:`cxresearch.data.dask_study.load_dask_study`),
    from per-partition sums: the same :class:`KpiTable` as :func:`cxresearch.kpis`.

    Parameters are those of :func:`cxresearch.kpis`. One pass over the data:
    each partition sends, per group met in it and per outcome, the five sums of
    :class:`~cxresearch.stats.GroupedSums` for the answers and for each share's
    condition; a few kilobytes whatever its size.

    Notes
    -----
    Exact: NPS, shares and means and their intervals (adjusted Wald, Wilson,
    Student t on Kish's effective n) are functions of these sums only.
    """
    columns = [study.resolve_column(b) for b in as_list(by)]
    plan = KpiSums.of(study, columns, study.codebook.weight if weighted else None)
    parts = study.frame(plan.read(study)).to_delayed()  # only these columns
    sums = study.compute(
        *[
            dask.delayed(partition_sums)(p, study.codebook, columns, plan.weight, plan.asked)
            for p in parts
        ]
    )
    return plan.table(study, list(sums), confidence)
