"""Banner tables of a Dask study, from per-partition sums per cell.

Two passes over the data, each sending small summaries:

1. the categories: for every column that may be in the banner, the distinct
   values that occur (among all respondents, and among the brand's), so that
   ``columns="auto"`` counts a profile column's categories and each banner
   column gets the categories, in the order, that the in-memory banner gives
   it (:func:`~cxresearch.analyses.banner.column_categories`); and, for
   ``distributions=True`` on a scale whose ends are not whole numbers, the
   values seen, which are that scale's points;
2. the cells: per measure row and banner cell (the Total and every category of
   every banner column), the five sums of :class:`~cxresearch.stats.GroupedSums`
   (NPS: those of its promoters and of its detractors), and the respondents
   without a category per banner column.

The in-memory modules' own code turns the summed cells into the result
(:func:`~cxresearch.analyses._banner_tests.statistics_of`,
:func:`~cxresearch.analyses._banner_tests.tabulate`): the same
:class:`~cxresearch.analyses.banner.Banner`, letters and tests included.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ...data.codebook import ScaleItem
from ...stats import GroupedSums
from .._banner_tests import Cells, Column, row_sums, statistics_of, tabulate
from .._common import item_values, lazy_series, segment_labels, survey_weights
from .._engine import dask_version
from ..banner import (
    Banner,
    banner_items,
    banner_names,
    check_correction,
    checked_categories,
    column_categories,
    measure_rows,
    missing_note,
    no_respondents,
    respondents,
    segment_categories,
    whole_scale,
)
from .partials import add_arrays, over_partitions

SUMS = ("count", "sw", "sw2", "swx", "swx2")
ALL, BRAND = "all", "brand"  # every respondent, or the brand's


@dataclass(frozen=True)
class Seen:
    """Pass 1's summary: rows per variant (``all``, ``brand``), the distinct values
    of each column per variant (in their dtype, in order of appearance) and the
    points seen of the scales whose ends are not whole numbers."""

    rows: dict[str, int]
    values: dict[tuple[str, str], pd.Series]
    points: dict[tuple[str, str], np.ndarray]
    segments: pd.Series | None = None  # the distinct lazy segment labels (None: not asked)


@dataclass(frozen=True)
class _SeenSpec:
    codebook: object
    brand: str | None
    columns: list[str]
    items: list  # the scale items whose points are the values seen


def seen(frame: pd.DataFrame, spec: _SeenSpec, labels: pd.Series | None = None) -> Seen:
    """One partition's :class:`Seen` (``labels``: its lazy segment labels, whose
    distinct values are the segments' categories)."""
    variants = {ALL: frame}
    if spec.brand is not None:
        variants[BRAND] = frame[frame[spec.codebook.brand_column] == spec.brand]
    rows, values, points = {}, {}, {}
    for variant, part in variants.items():
        rows[variant] = len(part)
        for column in spec.columns:
            values[variant, column] = part[column].dropna().drop_duplicates()
        view = SimpleNamespace(codebook=spec.codebook, responses=part)
        for item in spec.items:
            answers = item_values(view, item)
            points[variant, item.column] = np.unique(answers[~np.isnan(answers)])
    distinct = None if labels is None else labels.dropna().drop_duplicates()
    return Seen(rows, values, points, distinct)


def merge_seen(parts: list[Seen]) -> Seen:
    """Several partitions' :class:`Seen` as one (first appearances kept in order)."""
    rows = add_arrays([p.rows for p in parts])
    values = {
        key: pd.concat([p.values[key] for p in parts if key in p.values]).drop_duplicates()
        for key in dict.fromkeys(k for p in parts for k in p.values)
    }
    points = {
        key: np.unique(np.concatenate([p.points[key] for p in parts if key in p.points]))
        for key in dict.fromkeys(k for p in parts for k in p.points)
    }
    segments = [p.segments for p in parts if p.segments is not None]
    distinct = pd.concat(segments).drop_duplicates() if segments else None
    return Seen(rows, values, points, distinct)


@dataclass(frozen=True)
class _ColumnSpec:
    name: str  # as shown ("segment" or the column)
    categories: list  # the raw categories, in order
    labels: list[str]  # as text


@dataclass(frozen=True)
class _CellSpec:
    codebook: object
    brand: str | None
    columns: list[_ColumnSpec]
    items: list
    distributions: bool
    points: dict[str, list[float]]
    weighted: bool
    lazy: bool = False  # the segments: each partition's lazy labels (else names by id)
    personas: pd.DataFrame | None = None  # the segments' names, for lazy labels


def cells(frame: pd.DataFrame, spec: _CellSpec, segments: pd.Series | None) -> dict:
    """One partition's sums per measure row and banner cell (``row|part|sum``) and
    its respondents without a category per banner column (``missing|column``)."""
    rows_ = frame if spec.brand is None else frame[frame[spec.codebook.brand_column] == spec.brand]
    view = SimpleNamespace(codebook=spec.codebook, responses=frame)
    columns, out = [], {}
    for c in spec.columns:
        values = _segments(segments, rows_.index, spec) if c.name == "segment" else rows_[c.name]
        codes = np.asarray(pd.Categorical(values, categories=c.categories).codes, dtype=np.intp)
        columns.append(Column(c.name, codes, c.labels))
        out[f"missing|{c.name}"] = np.array(int((codes < 0).sum()))
    weights = survey_weights(view, rows_, spec.weighted)
    measures = measure_rows(view, rows_, spec.items, spec.distributions, spec.points)
    for i, (_, sums) in enumerate(row_sums(measures, Cells.of(columns, len(rows_)), weights)):
        for j, found in enumerate(sums):
            for field in SUMS:
                out[f"{i}|{j}|{field}"] = getattr(found, field)
    return out


def _segments(segments: pd.Series, index: pd.Index, spec: _CellSpec):
    """The segment names of the rows ``index``: from the names by respondent id,
    or (lazy labels) this partition's labels named as in memory."""
    if not spec.lazy:
        return segments.reindex(index)
    return segment_categories(index, SimpleNamespace(labels=segments, personas=spec.personas))


@dask_version("banner")
def banner_dask(
    study,
    *,
    rows="auto",
    columns="auto",
    segments=None,
    brand: str | None = "auto",
    distributions: bool = False,
    weighted: bool = True,
    correction: str = "holm",
    confidence: float = 0.95,
) -> Banner:
    """The banner table of a Dask study from per-partition sums: the same
    :class:`~cxresearch.analyses.banner.Banner` as :func:`cxresearch.banner`.

    Parameters are those of :func:`cxresearch.banner`. Two passes over the data
    (the categories, then the cells' sums; see the module's docstring). Lazy
    segment labels (``cx.segment`` of a Dask study) are read partition by
    partition alongside the responses: pass 1 also collects their distinct
    values (the segments' categories), pass 2 names each partition's labels.

    Notes
    -----
    Exact: every cell (NPS, shares, means, their intervals) is a function of its
    sums, and the letters and tests are the in-memory code's.
    """
    check_correction(correction)
    items = banner_items(study, rows)
    candidate = study.brand if brand == "auto" else brand
    candidate = None if study.codebook.brand_column is None else candidate
    asked = _asked_columns(study, columns)
    to_count = [i for _, _, i in items if _needs_points(i, distributions)]
    labels = segment_labels(segments, lazy=True)
    lazy = lazy_series(labels) and _segment_column(columns)
    summary = over_partitions(
        study,
        seen,
        merge_seen,
        _SeenSpec(study.codebook, candidate, asked, to_count),
        labels if lazy else None,
        frame=study.frame(_projection(study, asked, to_count)),  # only these columns
    )
    nunique = {c: len(summary.values.get((ALL, c), ())) for c in study.codebook.profile}
    names, notes = banner_names(study, columns, segments, correction, nunique)
    chosen, respondents_text = respondents(study, brand, names)
    variant = ALL if chosen is None else BRAND
    if chosen is not None and summary.rows.get(BRAND, 0) == 0:
        raise no_respondents(chosen, summary.values[ALL, study.codebook.brand_column])
    specs, named = _column_specs(study, names, segments, summary, variant)
    points = {i.column: list(summary.points.get((variant, i.column), [])) for i in to_count}
    personas = getattr(segments, "personas", None)
    spec = _CellSpec(
        study.codebook, chosen, specs, items, distributions, points, weighted, lazy, personas
    )
    totals = over_partitions(
        study, cells, add_arrays, spec, named, frame=study.frame(_cell_columns(study, spec))
    )
    empty = SimpleNamespace(codebook=study.codebook, responses=study.responses._meta)
    measures = measure_rows(empty, empty.responses, items, distributions, points)
    layout = Cells.of([Column(c.name, np.zeros(0, np.intp), c.labels) for c in specs], 0)
    stats = [statistics_of(r.kind, _row_sums(totals, i, r.kind), confidence)
             for i, r in enumerate(measures)]  # fmt: skip
    table, tests = tabulate(
        measures, layout, stats, study.codebook.min_base, confidence, correction
    )
    notes += [n for c in specs if (n := missing_note(c.name, int(totals[f"missing|{c.name}"])))]
    return Banner(
        table=table,
        tests=tests,
        columns=tuple(c.name for c in specs),
        min_base=study.codebook.min_base,
        correction=correction,
        weighted=weighted and study.codebook.weight is not None,
        respondents=respondents_text,
        confidence=confidence,
        notes=tuple(notes),
    )


def _asked_columns(study, columns) -> list[str]:
    """The columns whose categories pass 1 collects: the profile columns, the wave
    and brand columns and the columns named (resolved; not the segments)."""
    names = [columns] if isinstance(columns, str) else list(columns)
    names = [n for n in names if n not in ("auto", "segment")]
    found = list(study.codebook.profile) + [study.resolve_column(n) for n in names]
    for role in ("wave", "brand"):
        if study.has(role):
            found.append(study.resolve_column(role))
    return list(dict.fromkeys(found))


def _segment_column(columns) -> bool:
    """Whether the banner may have a segment column (``"auto"``, or it is named)."""
    names = [columns] if isinstance(columns, str) else list(columns)
    return "auto" in names or "segment" in names


def _projection(study, asked: list[str], items: list) -> list[str]:
    brand = study.codebook.brand_column
    wanted = [*asked, *([brand] if brand else []), *[i.column for i in items]]
    return list(dict.fromkeys(wanted))


def _cell_columns(study, spec: _CellSpec) -> list[str]:
    """The columns pass 2 reads: the brand column (for the brand's rows), the
    banner columns (not the segments: they come with the labels), the weight and
    the items' columns."""
    brand = study.codebook.brand_column if spec.brand is not None else None
    weight = study.codebook.weight if spec.weighted else None
    across = [c.name for c in spec.columns if c.name != "segment"]
    wanted = [brand, *across, weight, *[item.column for _, _, item in spec.items]]
    return [c for c in wanted if c is not None]


def _needs_points(item, distributions: bool) -> bool:
    """Whether the item's distribution rows need the values seen (a scale whose ends
    are not whole numbers; not NPS, whose rows are promoters, passives, detractors)."""
    return distributions and isinstance(item, ScaleItem) and not whole_scale(item.scale)


def _column_specs(study, names, segments, summary: Seen, variant: str):
    """The banner columns (each once) with their categories, and the segment names
    by respondent id when a column is the segments (lazy labels: the labels
    themselves, named partition by partition; else None)."""
    specs, named = [], None
    for name in names:
        if name == "segment":
            series, named = _segment_column_of(segments, summary)
            shown = "segment"
        else:
            shown = study.resolve_column(name)
            series = column_categories(study, shown, summary.values[variant, shown])
        text = checked_categories(name, series.categories)
        if shown not in [s.name for s in specs]:
            specs.append(_ColumnSpec(shown, list(series.categories), text))
    return specs, named


def _segment_column_of(segments, summary: Seen) -> tuple[pd.Categorical, object]:
    """The segment column's categories (as in memory: the names of the sorted
    distinct labels) and what pass 2 takes for it: the names by respondent id,
    or the lazy labels (their distinct values are pass 1's)."""
    labels = segment_labels(segments, lazy=True)
    if labels is None or not lazy_series(labels):
        series = segment_categories(labels.index if labels is not None else [], segments)
        return series, pd.Series(series, index=labels.index)
    distinct = SimpleNamespace(
        labels=summary.segments, personas=getattr(segments, "personas", None)
    )
    return segment_categories(pd.Index([]), distinct), labels


def _row_sums(totals: dict, i: int, kind: str) -> tuple[GroupedSums, ...]:
    """Row ``i``'s summed cells: NPS's promoters and detractors, else its values."""
    parts = range(2 if kind == "nps" else 1)
    return tuple(GroupedSums(*(totals[f"{i}|{j}|{field}"] for field in SUMS)) for j in parts)
