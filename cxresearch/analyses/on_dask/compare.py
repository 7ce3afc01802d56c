"""The brand against its competitors on a Dask study, from per-partition sums.

Every measure of :func:`~cxresearch.analyses.measures.measures` (KPI means and
shares, NPS, touchpoint experiences, feedback shares) is summarised per brand
by the five sums of :class:`~cxresearch.stats.GroupedSums` (NPS: those of its
promoters and of its detractors); each partition sends them per brand met in
it, they add up, and the summaries (value, interval, n, Kish's effective n,
per-respondent variance) are computed once from the totals by the in-memory
engine's own :func:`~cxresearch.analyses.measures.summary_rows`. From there
the in-memory module's own :func:`~cxresearch.analyses.compare.comparison`
builds the result (differences, tests, the family's correction, leaders,
positions), so it is the same :class:`~cxresearch.analyses.compare.Comparison`.

Feedback reasons: which reasons are measures (those given by at least
``min_base`` records) and their order (most frequent first, ties in the order
of their first appearance, as :meth:`pandas.Series.value_counts`) are decided
over the whole data: each partition counts every reason and notes where it
first appears.

Importance for the "own experiences" (``drivers=``): a
:class:`~cxresearch.analyses.drivers.Drivers` passed in is used as it is;
otherwise :func:`cxresearch.drivers` is called on the Dask study, which runs
its Dask version (or says in words that it has none).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ...stats import CORRECTIONS, GroupedSums
from .._common import survey_weights
from .._engine import dask_version
from ..compare import Comparison, chosen_brand, comparison, summary_frame
from ..measures import Measure, measure_sums, measures, sum_names, summary_rows
from .partials import Keyed, measure_columns, merge_keyed, over_partitions, partition_groups

SUMS = ("count", "sw", "sw2", "swx", "swx2")
REASON = "reason:"
NEGATIVE = "negative_share"


@dataclass(frozen=True)
class ComparePart:
    """The summary of some partitions: each measure's sums per brand
    (``measure|name|sum``, ``name`` one of
    :func:`~cxresearch.analyses.measures.sum_names`), each feedback reason's
    count and first appearance (partition, row), and the reasons' measures
    (without values)."""

    sums: Keyed
    reasons: dict[str, tuple[int, tuple[int, int]]]
    measures: dict[str, Measure]


def summarise(frame: pd.DataFrame, number: int, codebook, weighted: bool) -> ComparePart:
    """One partition's :class:`ComparePart` (``codebook`` with ``min_base`` 1, so
    that every reason the partition meets is a measure)."""
    view = SimpleNamespace(codebook=codebook, responses=frame)
    column = codebook.brand_column
    codes, keys = partition_groups(frame, [] if column is None else [column])
    weights = survey_weights(view, frame, weighted)
    sums, reasons = {}, {}
    for m in measures(view):
        for name, found in measure_sums(m, codes, weights, len(keys)).items():
            for field in SUMS:
                sums[f"{m.key}|{name}|{field}"] = getattr(found, field)
        if m.key.startswith(REASON):
            reasons[m.key] = dataclasses.replace(m, values=None)
    return ComparePart(Keyed(keys, sums), _reason_counts(frame, number, codebook), reasons)


def _reason_counts(frame, number: int, codebook) -> dict[str, tuple[int, tuple[int, int]]]:
    spec = codebook.feedback
    if spec is None or spec.reason is None:
        return {}
    reasons = frame[spec.reason].astype("string").reset_index(drop=True)
    first = reasons.dropna().drop_duplicates()
    counts = reasons.value_counts()
    return {
        f"{REASON}{reason}": (int(counts[reason]), (number, int(row)))
        for row, reason in first.items()
    }


def merge(parts: list[ComparePart]) -> ComparePart:
    """Summaries of several partitions as one."""
    reasons: dict[str, tuple[int, tuple[int, int]]] = {}
    for part in parts:
        for key, (count, first) in part.reasons.items():
            before, earliest = reasons.get(key, (0, first))
            reasons[key] = (before + count, min(earliest, first))
    found = {key: m for part in parts for key, m in part.measures.items()}
    return ComparePart(merge_keyed([p.sums for p in parts]), reasons, found)


@dask_version("compare")
def compare_dask(
    study,
    *,
    brand: str | None = "auto",
    correction: str = "bonferroni",
    weighted: bool = True,
    drivers=None,
    confidence: float = 0.95,
) -> Comparison:
    """The comparison of a Dask study's brand with its competitors, from
    per-partition sums: the same :class:`~cxresearch.analyses.compare.Comparison`
    as :func:`cxresearch.compare`.

    Parameters are those of :func:`cxresearch.compare`. One pass over the data;
    each partition sends five sums per measure and brand (ten for NPS) and the
    count of each feedback reason.

    Notes
    -----
    Exact: every summary is a function of the sums; the tests, corrections and
    positions are the in-memory code's. Without ``drivers=``, the importance
    comes from :func:`cxresearch.drivers` on the Dask study.
    """
    brand = chosen_brand(study, brand)
    if correction not in CORRECTIONS:  # before the pass over the data
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    counting = dataclasses.replace(study.codebook, min_base=1)
    column = study.codebook.brand_column
    weight = study.codebook.weight if weighted else None
    needed = [c for c in (column, weight, *measure_columns(study.codebook)) if c is not None]
    part = over_partitions(
        study,
        summarise,
        merge,
        counting,
        weighted,
        numbered=True,
        frame=study.frame(needed),  # only these columns read and checked
    )
    keys, totals = part.sums.labelled([] if column is None else [column])
    brands = [brand] if column is None else list(keys[column])
    rows = []
    for m in _measures(study, part):
        rows += summary_rows(m, _sums(m, totals, len(keys)), brands, confidence)
    return comparison(
        study,
        summary_frame(study, rows, brand, confidence),
        brand,
        correction=correction,
        drivers=drivers,
        confidence=confidence,
    )


def _measures(study, part: ComparePart) -> list[Measure]:
    """The study's measures in the in-memory order: those of the codebook, then
    the reasons given by at least ``min_base`` records, most frequent first."""
    view = SimpleNamespace(codebook=study.codebook, responses=study.responses._meta)
    fixed = measures(view)  # no rows: no reasons
    ordered = sorted(part.reasons.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
    frequent = [key for key, (count, _) in ordered if count >= study.codebook.min_base]
    return fixed + [part.measures[key] for key in frequent]


def _sums(m: Measure, totals: dict[str, np.ndarray], k: int) -> dict[str, GroupedSums]:
    """A measure's summed :func:`~cxresearch.analyses.measures.measure_sums`. A
    reason's base is that of the negative share (both count the records with a
    sentiment), so partitions without the reason count in it."""

    def of(key: str, name: str) -> GroupedSums:
        return GroupedSums(*(totals.get(f"{key}|{name}|{field}", np.zeros(k)) for field in SUMS))

    if not m.key.startswith(REASON):
        return {name: of(m.key, name) for name in sum_names(m)}
    base, hits = of(NEGATIVE, "values"), of(m.key, "values")
    return {"values": GroupedSums(base.count, base.sw, base.sw2, hits.swx, hits.swx)}
