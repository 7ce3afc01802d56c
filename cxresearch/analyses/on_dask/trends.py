"""Trends of a Dask study: the last wave against the previous one, from sums per wave.

Every measure of :func:`cxresearch.analyses.measures.measures` (KPIs, shares,
touchpoint experiences, feedback shares) is, per wave, a function of the
sums of :class:`~cxresearch.stats.GroupedSums` (count, ``sum w``, ``sum w^2``,
``sum w x``, ``sum w x^2``; for the NPS those of its promoters and of its
detractors), and so are the tests between two waves (Welch t, the
two-proportion z with Newcombe's interval, the z on an NPS difference). Each
partition sends these sums per wave met in it (as
:mod:`cxresearch.analyses.on_dask.kpis` does for the KPI table); the totals
give each wave's summary by the in-memory
:func:`~cxresearch.analyses.measures.summary_rows`, and
:func:`cxresearch.analyses.trends.trend_result`,
the in-memory module's own builder, the :class:`~cxresearch.analyses.trends.Trends`.

The feedback reasons compared are those with at least ``min_base`` records in
the whole study, in the order of ``value_counts`` (most records first, ties
in order of first appearance): each partition also sends its reasons' counts
in order of appearance.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from ...stats import GroupedSums
from .._common import group_codes, require, survey_weights
from .._engine import dask_version
from ..measures import Measure, measure_sums, measures, sum_names, summary_rows
from ..trends import Trends, check_correction, last_two_waves, trend_result
from .partials import measure_columns

dask = LazyModule("dask")

_FIELDS = ("count", "sw", "sw2", "swx", "swx2")
_REASON = "reason:"


def partition_sums(frame: pd.DataFrame, codebook, brand: str | None, weighted: bool):
    """One partition's share: (a frame with a row per wave met, the wave column's
    own values and a column per measure, sum and field; the measures as met,
    without their values; its feedback reasons' counts in order of appearance)."""
    wave, column = codebook.wave, codebook.brand_column
    rows = SimpleNamespace(codebook=replace(codebook, min_base=0), responses=frame)
    codes, keys = group_codes(frame, [wave])
    first = np.unique(codes, return_index=True)[1]
    out = frame[[wave]].iloc[first].reset_index(drop=True)
    if column is not None and brand is not None:
        codes = np.where((frame[column] == brand).to_numpy(), codes, -1)
    w = survey_weights(rows, frame, weighted)
    columns, found = {}, {}
    for m in measures(rows):
        found[m.key] = replace(m, values=None)
        for name, sums in measure_sums(m, codes, w, len(keys)).items():
            for f in _FIELDS:
                columns[f"{m.key}|{name}|{f}"] = getattr(sums, f)
    reasons = {}
    spec = codebook.feedback
    if spec is not None and spec.reason is not None:
        counts = frame[spec.reason].astype("string").value_counts(sort=False)
        reasons = {str(r): int(n) for r, n in counts.items() if n}
    return pd.concat([out, pd.DataFrame(columns)], axis=1), found, reasons


def _reasons_kept(parts: list, min_base: int) -> list[str]:
    """The feedback reasons with ``min_base`` records, in ``value_counts`` order."""
    counts: dict[str, int] = {}
    for _, _, reasons in parts:
        for reason, n in reasons.items():
            counts[reason] = counts.get(reason, 0) + n
    if not counts:
        return []
    ordered = pd.Series(counts, dtype="int64").sort_values(ascending=False, kind="stable")
    return [str(r) for r in ordered[ordered >= min_base].index]


def _measures_in_order(parts: list, min_base: int) -> list[Measure]:
    """The measures of the whole study in :func:`measures`' order (each partition
    lists every measure but the reasons, which come last)."""
    found: dict[str, Measure] = {}
    for _, measures_met, _ in parts:
        for key, m in measures_met.items():
            found.setdefault(key, m)
    fixed = [m for key, m in found.items() if not key.startswith(_REASON)]
    return fixed + [found[_REASON + r] for r in _reasons_kept(parts, min_base)]


@dask_version("trends")
def trends_dask(
    study,
    *,
    brand: str | None = "auto",
    weighted: bool = True,
    correction: str = "bonferroni",
    confidence: float = 0.95,
) -> Trends:
    """The trends of a Dask study from per-wave sums: the same
    :class:`~cxresearch.analyses.trends.Trends` as :func:`cxresearch.trends`.

    Parameters are those of :func:`cxresearch.trends`. One pass: each partition
    sends, per wave and measure, five sums (ten for the NPS), a few kilobytes.

    Notes
    -----
    Exact: every value, interval, test and corrected verdict is a function of
    the per-wave sums (up to the rounding of the sums' order, far below 1e-9).
    """
    check_correction(correction)
    require(study, "trends", "waves", "measures")
    wave, column = study.codebook.wave, study.codebook.brand_column
    chosen = study.brand if brand == "auto" else brand
    chosen_rows = chosen if column is not None else None
    weight = study.codebook.weight if weighted else None
    needed = [wave, column, weight, *measure_columns(study.codebook)]
    work = [
        dask.delayed(partition_sums)(p, study.codebook, chosen_rows, weighted)
        for p in study.frame(needed).to_delayed()  # only these columns read and checked
    ]
    parts = list(study.compute(*work))
    every = pd.concat([p[0] for p in parts], ignore_index=True)
    codes, keys = group_codes(every, [wave])
    waves = list(keys[wave])
    previous, last = last_two_waves(waves)

    def total(name: str) -> GroupedSums:
        arrays = {
            f: np.bincount(codes, every[f"{name}|{f}"].fillna(0).to_numpy(float), len(waves))
            for f in _FIELDS
        }
        arrays["count"] = np.rint(arrays["count"]).astype(np.int64)
        return GroupedSums(**arrays)

    by_wave = []
    for m in _measures_in_order(parts, study.codebook.min_base):
        sums = {name: total(f"{m.key}|{name}") for name in sum_names(m)}
        by_wave.append({s["brand"]: s for s in summary_rows(m, sums, waves, confidence)})
    return trend_result(
        study,
        by_wave,
        previous,
        last,
        chosen if column else None,
        correction=correction,
        confidence=confidence,
    )
