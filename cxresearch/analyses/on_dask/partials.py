"""Per-partition sums of a Dask study, added up over the partitions in a tree.

The Dask versions of the analyses share one pattern: a function turns one
partition (a pandas frame) into a small summary, summaries of two groups of
partitions merge into one of the same form, and the analysis builds its result
from the summary of all of them. Two forms of summary are here:

- :class:`Keyed`: sums per group, the groups named by the raw values of their
  group columns (one row each, in the columns' own dtypes, so that groups of
  different partitions can be matched: every partition of a Dask study has the
  same categories). A group that only some partitions meet is simply missing
  from the others. :meth:`Keyed.labelled` gives the groups as
  :func:`~cxresearch.analyses._common.group_codes` labels and orders them for
  the whole data (so tables come out in the in-memory order).
- plain arrays of a fixed shape (every partition's cells are the same), added
  up element by element (:func:`add_arrays`).

:func:`over_partitions` runs the partition function on every partition with
:func:`dask.delayed` and merges the summaries in a tree of ``every`` at a time
(as :meth:`dask.dataframe.DataFrame.reduction` does), so neither a partition's
rows nor the list of all partitions' summaries meet in one process; only the
final summary is sent back.

Sums of floating-point numbers added in another order differ in the last bits
only (the partitions' sums are exact up to rounding; Chan, Golub & LeVeque 1979),
far below the 1e-9 to which the engines agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from .._common import group_codes, lazy_series

dask = LazyModule("dask")

EVERY = 8  # summaries merged at a time


@dataclass(frozen=True)
class Keyed:
    """Sums per group: ``keys`` (one row per group: the raw values of the group
    columns) and ``sums`` (name -> array whose first axis follows ``keys``)."""

    keys: pd.DataFrame
    sums: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def labelled(self, columns: list[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """The group labels as :func:`group_codes` gives them for the whole data
        (sorted, ``(missing)`` last) and every sum in that order."""
        codes, labels = group_codes(self.keys, columns)
        return labels, {name: _scatter(codes, len(labels), a) for name, a in self.sums.items()}


def partition_groups(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """A partition's group codes (``0..k-1``, as :func:`group_codes` numbers them)
    and its groups' raw keys, one row per code."""
    if frame.empty:
        return np.zeros(0, dtype=np.intp), frame[columns].iloc[:0].reset_index(drop=True)
    codes, _ = group_codes(frame, columns)
    first = np.unique(codes, return_index=True)[1]
    return codes, frame[columns].iloc[first].reset_index(drop=True)


def merge_keyed(parts: Sequence[Keyed], columns: list[str] | None = None) -> Keyed:
    """Several summaries as one: the groups of all of them (each once), each sum
    added over the summaries that have it (absent: zero). ``columns``: the key
    columns to match on (default: all of the keys' columns)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Keyed(pd.DataFrame(), {})
    columns = list(parts[0].keys.columns) if columns is None else columns
    every = pd.concat([p.keys for p in parts], ignore_index=True)
    codes, labels = group_codes(every, columns)
    k = len(labels)
    first = np.unique(codes, return_index=True)[1]
    keys = every.iloc[first].reset_index(drop=True)
    names = list(dict.fromkeys(name for p in parts for name in p.sums))
    sums = {}
    offsets = np.cumsum([0] + [len(p) for p in parts])
    for name in names:
        present = [
            (p.sums[name], codes[a:b]) for p, a, b in _spans(parts, offsets) if name in p.sums
        ]
        shape = (k, *present[0][0].shape[1:])
        total = np.zeros(shape, dtype=np.result_type(*[a for a, _ in present]))
        for array, at in present:
            np.add.at(total, at, array)
        sums[name] = total
    return Keyed(keys, sums)


def _spans(parts, offsets):
    for i, p in enumerate(parts):
        yield p, offsets[i], offsets[i + 1]


def _scatter(codes: np.ndarray, k: int, array: np.ndarray) -> np.ndarray:
    total = np.zeros((k, *array.shape[1:]), dtype=array.dtype)
    np.add.at(total, codes, array)
    return total


def add_arrays(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Summaries of fixed shape (name -> array) added up element by element."""
    names = list(dict.fromkeys(name for p in parts for name in p))
    return {name: sum(p[name] for p in parts if name in p) for name in names}


def measure_columns(codebook) -> list[str]:
    """The columns :func:`~cxresearch.analyses.measures.measures` reads: the
    outcomes', the touchpoints' experiences and the feedback's sentiment and
    reason (what :meth:`~cxresearch.data.dask_study.DaskStudy.frame` is asked
    for by the analyses that compare measures)."""
    columns = [item.column for item in codebook.outcomes.values()]
    columns += [tp.experience.column for tp in codebook.touchpoints if tp.experience is not None]
    spec = codebook.feedback
    if spec is not None:
        columns += [spec.sentiment, spec.reason]
    return list(dict.fromkeys(c for c in columns if c is not None))


def over_partitions(
    study,
    summarise: Callable[..., Any],
    merge: Callable[[list], Any],
    *args,
    frame=None,
    numbered: bool = False,
    every: int = EVERY,
):
    """``summarise(partition, *args)`` for every partition of ``frame`` (default:
    the study's responses), merged ``every`` at a time by ``merge(list)``,
    computed on the study's scheduler; the one summary of all partitions.
    ``numbered``: ``summarise(partition, i, *args)``, ``i`` the partition's
    number (for what depends on the order of the rows, such as first appearances).

    Large arguments (a Series of segment labels) are put in the graph once
    (``dask.delayed``), not copied into every task. A lazy (Dask) Series is
    read partition by partition: partition ``i`` of ``frame`` meets partition
    ``i`` of the Series (:func:`paired_partitions`), so it never meets in one
    process either.
    """
    frame = study.responses if frame is None else frame
    parts = frame.to_delayed()
    per_partition = [paired_partitions(a, parts, frame.npartitions) for a in args]
    level = [
        dask.delayed(summarise)(p, *([i] if numbered else []), *(a[i] for a in per_partition))
        for i, p in enumerate(parts)
    ]
    if not level:
        return merge([])
    while True:  # at least one merge, so that every summary passes through ``merge``
        level = [dask.delayed(merge)(level[i : i + every]) for i in range(0, len(level), every)]
        if len(level) == 1:
            break
    (summary,) = study.compute(level[0])
    return summary


def paired_partitions(argument, parts: list, npartitions: int) -> list:
    """An argument of :func:`over_partitions` for each of the ``parts``: a lazy
    Series's own partitions (as many as the frame's, each checked to label rows
    of its frame partition only: :func:`within`), a pandas object put in the
    graph once, anything else as it is."""
    if lazy_series(argument):
        if argument.npartitions != npartitions:
            raise ValueError(
                f"segments= has lazy labels in {argument.npartitions} partitions and the "
                f"study's responses are in {npartitions}: lazy labels are read partition by "
                "partition alongside the responses, so they must be partitioned as the "
                "responses are (as cx.segment(study).labels is), or computed"
            )
        pieces = argument.to_delayed()
        return [
            dask.delayed(within)(piece, p, i)
            for i, (piece, p) in enumerate(zip(pieces, parts, strict=True))
        ]
    if isinstance(argument, pd.Series | pd.DataFrame):
        argument = dask.delayed(argument)
    return [argument] * npartitions


def within(labels: pd.Series, frame: pd.DataFrame, i: int) -> pd.Series:
    """Partition ``i`` of lazy labels, checked to label only respondents of the
    responses' partition ``i`` (those it leaves out have no segment, as in memory)."""
    stray = ~labels.index.isin(frame.index)
    if stray.any():
        raise ValueError(
            f"segments= has lazy labels whose partition {i} labels {int(stray.sum()):,} "
            f"respondents (such as {labels.index[stray][0]!r}) that are not in partition {i} "
            "of the study's responses: lazy labels must be partitioned as the responses "
            "are (as cx.segment(study).labels is), or computed"
        )
    return labels
