"""Segmentation of a Dask study: fitted on a seeded sample, every row assigned.

:func:`segment_dask` returns the same :class:`Segmentation` as
:func:`cxresearch.segment`:

1. a seeded sample of at most about ``sample_size`` respondents (default
   ``SAMPLE_SIZE``, 100,000): a row is in it when the seeded hash of its id,
   read as a number in [0, 1), is below ``sample_size / n``, so the sample is
   the same whatever the partitioning (every row when the study is no larger);
2. the in-memory segmentation of that sample (the choice of k, the model, the
   silhouette against its null reference, the stability, the personas' names
   and words, the map): :func:`cxresearch.segment` itself;
3. one pass over every row: each partition is labelled with the fitted
   pipeline (:func:`~cxresearch.analyses.segments.segment_rows`) and sends,
   per segment, its count, weight and the features' sums and answers, and per
   feature its missing answers, and the sums of the KPI table by segment
   (:class:`~cxresearch.analyses.on_dask.kpis.KpiSums`), 50,000 rows at a
   time; the sizes, shares, feature means, the table of missing answers and
   the outcome per segment come from these sums over all rows. The workers
   receive the fitted model once, as one key of the graph, without the
   sample's labels and map (:func:`for_assigning`).

``labels`` is a lazy Dask Series (compute it, or write it, as needed); the
notes say on how many of how many respondents the model was fitted. Segments
are numbered by their size in the sample. What is described from the sample
only: which features distinguish a segment (Cohen's d, Welch's tests), its
signature among the profile categories and its largest gap.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from ...data.study import Study
from .._engine import dask_version
from ..personas import with_counts
from ..segments import Segmentation, feature_columns, segment, segment_rows
from .drivers import Subsets
from .kpis import KpiSums

dask = LazyModule("dask")

SAMPLE_SIZE = 100_000


def sample_rows(frame: pd.DataFrame, subsets: Subsets) -> pd.DataFrame:
    """The partition's rows in the seeded sample."""
    return frame[subsets.pick(subsets.hashes(frame.index, 0))]


CHUNK_ROWS = 50_000
"""Rows labelled at a time within a partition: the labelling's working copies
(scaled and imputed features, one-hot labels) stay near 0.1 GB however large a
partition is (whole partitions of 500,000 rows x 40 features had 1.5 GiB
workers killed at 100M respondents)."""


def segment_sums(
    frame: pd.DataFrame, segmentation: Segmentation, weight: str | None, k: int
) -> dict[str, np.ndarray]:
    """One partition's sums per segment (1..k; index 0 unused): respondents,
    weight, and per feature the answers and their sum; and the missing answers
    of each column of the segmentation's table of missing answers. Every one is
    a sum over rows, taken over chunks of :data:`CHUNK_ROWS` rows and added."""
    return segment_pass(frame, segmentation, weight, k)[0]


def segment_pass(
    frame: pd.DataFrame,
    segmentation: Segmentation,
    weight: str | None,
    k: int,
    kpi_sums: KpiSums | None = None,
    codebook=None,
) -> tuple[dict[str, np.ndarray], list[pd.DataFrame]]:
    """One partition's :func:`segment_sums` and, with ``kpi_sums`` (grouped by
    ``segment``), its KPI sums by segment: each chunk of :data:`CHUNK_ROWS` rows
    is labelled once and gives both, so the partition is read once and never
    held with a copy of itself."""
    sums, kpi_parts = [], []
    dtype = pd.CategoricalDtype(range(1, k + 1))
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        labels = segment_rows(chunk, segmentation)
        sums.append(_chunk_sums(chunk, labels.to_numpy(), segmentation, weight, k))
        if kpi_sums is not None:
            labelled = chunk.assign(segment=labels.astype(dtype))
            kpi_parts.append(kpi_sums.partition(labelled, codebook))
    return {key: sum(chunk[key] for chunk in sums) for key in sums[0]}, kpi_parts


def for_assigning(segmentation: Segmentation) -> Segmentation:
    """The segmentation with only what :func:`segment_rows` needs to assign
    rows: the sample's labels and map points are left empty (they are about
    4.8 MB pickled at a sample of 100,000; passed with each of 200
    partitions' tasks, which a worker keeps until the pass ends, they grew
    each 1.5 GiB worker by about 0.33 GiB at 100 million respondents)."""
    return replace(
        segmentation,
        labels=segmentation.labels.iloc[:0],
        map_points=segmentation.map_points.iloc[:0],
    )


def labels_of(frame: pd.DataFrame, segmentation: Segmentation) -> pd.Series:
    """Each row's segment (:func:`segment_rows`), :data:`CHUNK_ROWS` rows at a time."""
    if len(frame) <= CHUNK_ROWS:
        return segment_rows(frame, segmentation)
    starts = range(0, len(frame), CHUNK_ROWS)
    return pd.concat([segment_rows(frame.iloc[s : s + CHUNK_ROWS], segmentation) for s in starts])


def _chunk_sums(
    frame: pd.DataFrame, labels: np.ndarray, segmentation: Segmentation, weight: str | None, k: int
) -> dict[str, np.ndarray]:
    numbers = frame[segmentation.features].to_numpy(dtype=float, na_value=np.nan)
    numbers = numbers.reshape(len(frame), len(segmentation.features))
    w = np.ones(len(frame)) if weight is None else frame[weight].to_numpy(dtype=float)
    answered = ~np.isnan(numbers)
    one_hot = np.zeros((len(frame), k + 1))
    one_hot[np.arange(len(frame)), labels] = 1.0
    columns = list(segmentation.imputation["feature"])
    return {
        "n": one_hot.sum(axis=0),
        "w": w @ one_hot,
        "answers": one_hot.T @ answered,
        "sums": one_hot.T @ np.where(answered, numbers, 0.0),
        "missing": frame[columns].isna().sum().to_numpy(dtype=float),
        "rows": np.array([len(frame)], dtype=float),
    }


@dask_version("segment")
def segment_dask(
    study,
    *,
    features="auto",
    k="auto",
    method: str = "kmeans",
    k_range: tuple[int, int] = (2, 8),
    profile: bool = False,
    centre: str | None = None,
    n_boot: int = 20,
    random_state: int = 0,
    confidence: float = 0.95,
    sample_size: int | None = None,
) -> Segmentation:
    """The segmentation of a Dask study, fitted on a seeded sample of about
    ``sample_size`` respondents (None: ``SAMPLE_SIZE``) and assigned to every
    one (see the module's notes); the other parameters are those of
    :func:`cxresearch.segment`.

    Memory: the sample in the calling process (``sample_size`` rows of the
    features); per partition, sums of size k x features.
    """
    feature_columns(study, features)  # unknown columns: the in-memory KeyError, before any pass
    sample_size = SAMPLE_SIZE if sample_size is None else int(sample_size)
    n = study.n
    subsets = Subsets.of(random_state, 1, sample_size / n if n else 1.0)
    parts = study.responses.to_delayed()
    pieces = study.compute(*[dask.delayed(sample_rows)(p, subsets) for p in parts])
    sample = pd.concat(pieces)
    in_memory = Study(
        codebook=study.codebook,
        responses=sample,
        events=None,
        quality=study.quality,
        benchmark=study.benchmark,
    )
    fitted = segment(
        in_memory,
        features=features,
        k=k,
        method=method,
        k_range=k_range,
        profile=profile,
        centre=centre,
        n_boot=n_boot,
        random_state=random_state,
        confidence=confidence,
    )
    segments = int(fitted.personas["segment"].max())
    weight = study.codebook.weight
    kpi_sums = KpiSums.of(study, ["segment"], weight)
    read = [*fitted.features, *fitted.profile_columns, *fitted.imputation["feature"], weight]
    read += [c for c in kpi_sums.read(study) if c != "segment"]  # the KPIs' outcomes
    # only these columns read and checked, one task per part (a projection of the
    # whole lazy responses would let dask-expr read about 20 parts in one task)
    base = study.frame(read)
    assigning = for_assigning(fitted)
    model = dask.delayed(assigning, traverse=False)  # one key: one copy per worker
    found = study.compute(
        *[
            dask.delayed(segment_pass)(p, model, weight, segments, kpi_sums, study.codebook)
            for p in base.to_delayed()
        ]
    )
    totals = {key: np.sum([f[0][key] for f in found], axis=0) for key in found[0][0]}
    labels = base.map_partitions(
        labels_of, assigning, meta=pd.Series([], dtype="int64", name="segment")
    )
    numbers = pd.Index(range(1, segments + 1), name="segment")
    sizes = pd.Series(totals["n"][1:].astype(int), index=numbers)
    shares = pd.Series(totals["w"][1:] / totals["w"][1:].sum(), index=numbers)
    kpi_table = kpi_sums.table(study, [part for f in found for part in f[1]], confidence)
    personas = with_counts(study, fitted.personas, sizes, shares, kpi_table.table)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = totals["sums"][1:] / totals["answers"][1:]
    profiles = {
        **fitted.profiles,
        "kpis": kpi_table,
        "feature_means": pd.DataFrame(means, index=numbers, columns=fitted.features),
    }
    rows = int(totals["rows"][0])
    note = (
        f"fitted on a seeded sample of {len(sample):,} of {rows:,} respondents; "
        f"all {rows:,} assigned to a segment (sizes, shares, feature means and the outcome "
        "per segment over all of them; distinguishing features and gaps from the sample)"
    )
    return replace(
        fitted,
        labels=labels,
        personas=personas,
        profiles=profiles,
        imputation=_imputation(fitted.imputation, totals["missing"], rows),
        notes=(*fitted.notes, note) if len(sample) < rows else fitted.notes,
    )


def _imputation(table: pd.DataFrame, missing: np.ndarray, rows: int) -> pd.DataFrame:
    """The table of missing answers counted over every respondent."""
    out = table.copy()
    by_column = dict(zip(table["feature"], missing[: len(table)], strict=False))
    out["respondents"] = rows
    out["missing"] = [
        int(by_column.get(f, m)) for f, m in zip(table["feature"], table["missing"], strict=True)
    ]
    out["share_missing"] = out["missing"] / rows if rows else np.nan
    return out
