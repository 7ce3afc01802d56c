"""Gaps of a Dask study: paired gaps, t tests and Wilcoxon signed-rank tests from sums.

Each partition gives, per group and per touchpoint (or stage), the five sums of
:class:`~cxresearch.stats.GroupedSums` of the paired differences ``d``, of the
expectations and of the experiences, and the histogram of ``d``: how often
each distinct difference occurs. The sums give the gap, its interval and the
paired t test (functions of ``n``, ``sum w``, ``sum w^2``, ``sum w d``,
``sum w d^2``); the histogram gives the Wilcoxon signed-rank test exactly
(:func:`~cxresearch.analyses.gaps.wilcoxon_from_counts`: ranks with ties
depend only on how often each ``|d|`` occurs). The in-memory module's own
builders (:func:`~cxresearch.analyses.gaps.paired_table`,
:func:`~cxresearch.analyses.gaps.gap_table`) make the result, so it is the same
:class:`~cxresearch.analyses.gaps.GapTable`.

By segment: labels in memory are sent once; lazy labels (the ``labels`` of
``cx.segment`` of a Dask study) are read partition by partition alongside the
responses (:func:`~cxresearch.analyses.on_dask.partials.over_partitions`), and
their groups matched by value, so the label column never meets in one process.

Differences that are not whole numbers: the histogram holds each distinct
difference exactly as a number (no binning), so the test is exact for any
values. Ratings are whole numbers (the data checks refuse others), so a
touchpoint's differences take few values (a 1-7 scale: 13); a stage's mean
over several touchpoints takes fractions, a few hundred to a few thousand
values. Where the differences of one touchpoint or stage take more than
:data:`MAX_DIFFERENCES` distinct values, the histogram would approach the size
of the data: the analysis then stops with a
:class:`~cxresearch.errors.StudyError` saying so, rather than give a different
p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ...errors import Problem, StudyError
from ...stats import GroupedSums
from .._common import group_codes, lazy_series, segment_labels, survey_weights
from .._engine import dask_version
from ..gaps import (
    GapTable,
    UnitSums,
    against_best_competitor,
    check_arguments,
    chosen_brand,
    gap_table,
    group_columns,
    no_respondents,
    paired_intervals,
    paired_table,
    paired_units,
    wilcoxon_from_counts,
)
from .partials import Keyed, merge_keyed, over_partitions, partition_groups

MAX_DIFFERENCES = 20_000  # distinct paired differences of one touchpoint or stage
SUMS = ("count", "sw", "sw2", "swx", "swx2")
UNIT, DIFFERENCE = "_unit", "_d"


@dataclass(frozen=True)
class GapPart:
    """The summary of some partitions: the selected rows, the sums per group
    (``unit|variable|sum``), the histogram of the differences per group, unit
    and value, and the units with too many distinct differences to count."""

    rows: int
    sums: Keyed
    differences: Keyed
    crowded: frozenset[int]


@dataclass(frozen=True)
class _Spec:
    """What a partition needs to know (sent once with every task)."""

    codebook: object
    by: str
    reference: str
    brand: str | None
    columns: list[str]
    weighted: bool
    segments: list | None  # the segment categories, for by="segment" (None: lazy labels)


def summarise(frame: pd.DataFrame, spec: _Spec, labels: pd.Series | None) -> GapPart:
    """One partition's :class:`GapPart`."""
    rows = _selected(frame, spec)
    view = SimpleNamespace(codebook=spec.codebook, responses=rows)
    weights = survey_weights(view, rows, spec.weighted)
    if spec.by == "segment":
        groups = pd.DataFrame({"segment": _segment(labels, rows.index, spec)}, index=rows.index)
    else:
        groups = rows
    codes, keys = partition_groups(groups, spec.columns)
    if spec.reference == "best_competitor":
        variables = [
            {"x": rows[tp.experience.column].to_numpy(dtype=float)}
            for tp in spec.codebook.touchpoints
            if tp.experience is not None
        ]
        return GapPart(len(rows), _sums(variables, weights, codes, keys), _NONE, frozenset())
    units, _ = paired_units(view, rows, spec.by, spec.reference)
    variables = [{"d": u.difference, "e": u.expectation, "x": u.experience} for u in units]
    histograms = [_histogram(unit.difference, codes, keys, i) for i, unit in enumerate(units)]
    crowded = frozenset(i for i, h in enumerate(histograms) if h is None)
    kept = [h for h in histograms if h is not None]
    return GapPart(
        len(rows),
        _sums(variables, weights, codes, keys),
        merge_keyed(kept) if kept else _NONE,
        crowded,
    )


_NONE = Keyed(pd.DataFrame(), {})


def _segment(labels: pd.Series, index: pd.Index, spec: _Spec):
    """The segments of the rows ``index``: as categories of all the labels (labels
    in memory), or as they are (this partition's lazy labels: their groups are
    matched by value over the partitions and sorted as the categories would be,
    ``(missing)`` last, by :meth:`Keyed.labelled`, so no pass is needed for them)."""
    found = labels.reindex(index)
    return found if spec.segments is None else pd.Categorical(found, categories=spec.segments)


def _sums(variables: list[dict], weights, codes, keys) -> Keyed:
    """``unit|variable|sum`` per group, for each unit's variables."""
    sums = {}
    for i, unit in enumerate(variables):
        for name, values in unit.items():
            found = GroupedSums.of(values, weights, codes, len(keys))
            for field in SUMS:
                sums[f"{i}|{name}|{field}"] = getattr(found, field)
    return Keyed(keys, sums)


def _selected(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    if spec.brand is None or spec.reference == "best_competitor":
        return frame
    return frame[frame[spec.codebook.brand_column] == spec.brand]


def _histogram(d: np.ndarray, codes: np.ndarray, keys: pd.DataFrame, unit: int) -> Keyed | None:
    """How often each difference occurs per group (None: more than
    :data:`MAX_DIFFERENCES` distinct values)."""
    answered = ~np.isnan(d)
    values, value_index = np.unique(d[answered], return_inverse=True)
    if len(values) > MAX_DIFFERENCES:
        return None
    cell = codes[answered] * len(values) + value_index.reshape(-1)
    cells, counts = np.unique(cell, return_counts=True)
    group, value = np.divmod(cells, max(len(values), 1))
    found = keys.iloc[group].reset_index(drop=True)
    found[UNIT] = unit
    found[DIFFERENCE] = values[value]
    return Keyed(found, {"count": counts.astype(np.int64)})


def merge(parts: list[GapPart]) -> GapPart:
    """Summaries of several partitions as one (units with too many distinct
    differences stop being counted)."""
    crowded = frozenset().union(*(p.crowded for p in parts))
    histograms = merge_keyed([p.differences for p in parts])
    if len(histograms):
        units = histograms.keys[UNIT].to_numpy()
        too_many = [u for u in np.unique(units) if (units == u).sum() > MAX_DIFFERENCES]
        crowded |= frozenset(int(u) for u in too_many)
        histograms = _without(histograms, crowded)
    return GapPart(
        sum(p.rows for p in parts), merge_keyed([p.sums for p in parts]), histograms, crowded
    )


def _without(histograms: Keyed, units: frozenset[int]) -> Keyed:
    keep = ~histograms.keys[UNIT].isin(list(units)).to_numpy()
    return Keyed(
        histograms.keys[keep].reset_index(drop=True),
        {name: a[keep] for name, a in histograms.sums.items()},
    )


@dask_version("gaps")
def gaps_dask(
    study,
    *,
    by: str = "touchpoint",
    brand: str | None = "auto",
    reference: str = "expectation",
    segments=None,
    weighted: bool = True,
    correction: str = "bonferroni",
    confidence: float = 0.95,
) -> GapTable:
    """The gaps of a Dask study from per-partition sums and histograms: the same
    :class:`~cxresearch.analyses.gaps.GapTable` as :func:`cxresearch.gaps`.

    Parameters are those of :func:`cxresearch.gaps`. One pass over the data;
    each partition sends, per group and touchpoint, 15 sums and the counts of
    each distinct paired difference.

    Notes
    -----
    Exact: gaps, intervals and paired t tests are functions of the sums; the
    Wilcoxon signed-rank p-values of the counts of each difference
    (:func:`~cxresearch.analyses.gaps.wilcoxon_from_counts`); the corrections
    are those of the in-memory table. Raises :class:`StudyError` when a
    touchpoint's differences take more than :data:`MAX_DIFFERENCES` values.
    """
    check_arguments(study, reference, correction)
    labels = segment_labels(segments, lazy=True)
    brand = chosen_brand(study, brand, reference)
    if by == "segment" and labels is None and reference != "best_competitor":
        raise ValueError("by='segment' needs segments= (e.g. cx.segment(study).labels)")
    best = reference == "best_competitor"
    columns = [study.codebook.brand_column] if best else group_columns(study, by, labels)
    spec = _Spec(
        study.codebook,
        "touchpoint" if best else by,
        reference,
        brand,
        columns,
        weighted,
        _categories(labels),
    )
    part = over_partitions(
        study,
        summarise,
        merge,
        spec,
        labels if by == "segment" else None,
        frame=study.frame(_needed(study, spec)),  # only these columns read and checked
    )
    if part.rows == 0 and brand is not None and not best:
        column = study.codebook.brand_column
        raise no_respondents(brand, study.responses.dtypes[column].categories)
    keys, totals = part.sums.labelled(columns)
    if best:
        table, interval_at, notes = _best(study, keys, totals, brand, confidence)
    else:
        empty = _no_rows(study)
        units, notes = paired_units(empty, empty.responses, by, reference)
        sums = [_unit_sums(u.key, i, totals) for i, u in enumerate(units)]
        table = paired_table(sums, keys, confidence)
        table["wilcoxon_p"] = _wilcoxon(study, part, columns, units, len(keys))
        interval_at = paired_intervals(table)
    return gap_table(
        study, table, interval_at, notes,
        by=by, reference=reference, brand=brand, correction=correction, confidence=confidence,
    )  # fmt: skip


def _needed(study, spec: _Spec) -> list[str]:
    """The columns a partition reads: the brand column, the weight, the group
    column (not the segments: they come with the labels) and each touchpoint's
    experience and, against expectations, its expectation."""
    cb = study.codebook
    touchpoints = [tp for tp in cb.touchpoints if tp.experience is not None]
    items = [tp.experience.column for tp in touchpoints]
    if spec.reference == "expectation":
        items += [tp.expectation.column for tp in touchpoints if tp.expectation is not None]
    groups = [c for c in spec.columns if not (spec.by == "segment" and c == "segment")]
    weight = cb.weight if spec.weighted else None
    return [c for c in (cb.brand_column, weight, *groups, *items) if c is not None]


def _categories(labels) -> list | None:
    """The categories of labels in memory (None: no labels, or lazy ones)."""
    if labels is None or lazy_series(labels):
        return None
    return list(labels.astype("category").cat.categories)


def _no_rows(study) -> SimpleNamespace:
    """The study with no rows (the units and notes depend on the codebook only)."""
    return SimpleNamespace(codebook=study.codebook, responses=study.responses._meta)


def _unit_sums(key: dict, i: int, totals: dict[str, np.ndarray]) -> UnitSums:
    def sums(name: str) -> GroupedSums:
        return GroupedSums(*(totals[f"{i}|{name}|{field}"] for field in SUMS))

    return UnitSums(key, sums("d"), sums("e"), sums("x"))


def _best(study, keys, totals, brand, confidence):
    """The brand against its best competitor, from the experiences' sums per brand
    (the summary's units: the touchpoints with an experience, in order)."""
    brands = list(keys[study.codebook.brand_column])
    touchpoints = [tp for tp in study.codebook.touchpoints if tp.experience is not None]
    experiences = {
        tp.id: GroupedSums(*(totals[f"{i}|x|{field}"] for field in SUMS))
        for i, tp in enumerate(touchpoints)
    }
    return against_best_competitor(study, brands, experiences, brand, confidence)


def _wilcoxon(study, part: GapPart, columns, units, k: int) -> list[float]:
    """The Wilcoxon p-value of every unit and group (units outer, groups inner)."""
    if part.crowded:
        names = ", ".join(units[u].key["label"] for u in sorted(part.crowded))
        raise StudyError(
            Problem(
                str(study.codebook.path),
                f"gaps on Dask: the Wilcoxon signed-rank test counts how often each paired "
                f"difference occurs, and the differences of {names} take more than "
                f"{MAX_DIFFERENCES:,} distinct values (ratings that are not whole numbers?), "
                "too many to count without holding the column in one process. Round the "
                "ratings to the scale's points, or load the study with engine='pandas'.",
            )
        )
    p = np.full(len(units) * k, np.nan)
    histograms = part.differences
    if not len(histograms):
        return list(p)
    every = pd.concat([part.sums.keys, histograms.keys[columns]], ignore_index=True)
    codes, _ = group_codes(every, columns)
    group = codes[len(part.sums.keys) :]
    unit = histograms.keys[UNIT].to_numpy()
    values = histograms.keys[DIFFERENCE].to_numpy(dtype=float)
    counts = histograms.sums["count"]
    cell = unit * k + group
    order = np.argsort(cell, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell[order]) != 0])
    for chunk in np.split(order, starts[1:]):
        p[cell[chunk[0]]] = wilcoxon_from_counts(values[chunk], counts[chunk])
    return list(p)
