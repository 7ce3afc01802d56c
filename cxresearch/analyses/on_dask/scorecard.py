"""The scorecard of a Dask study: per-partition sums of every rated item.

Every number of the scorecard is a function of sums per group: the base, mean
and t interval of :class:`~cxresearch.stats.GroupedSums` of the answers, the
top-2-box share and its Wilson interval of the sums of the top-2 indicator, and
the distribution of the weighted count of answers at each scale point over the
answered weight. Each partition sends these sums per group met in it
(:func:`cxresearch.analyses.scorecard.item_sums`, the in-memory code); they add
up in a tree (:func:`~cxresearch.analyses.on_dask.partials.over_partitions`) and
the in-memory builder (:func:`cxresearch.analyses.scorecard.scorecard_result`)
makes the :class:`~cxresearch.analyses.scorecard.Scorecard`, equal to the
in-memory one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._common import as_list, group_codes
from .._engine import dask_version
from ..scorecard import Scorecard, chosen_brand, item_sums, rated_items, scorecard_result
from .partials import Keyed, merge_keyed, over_partitions, partition_groups


def summarise(
    frame: pd.DataFrame, columns: list[str], brand_column, brand, weight, items: list
) -> Keyed:
    """One partition's sums per group met in it: ``i|name`` for the ``i``-th rated
    item's :func:`item_sums`."""
    if brand is not None:
        frame = frame[frame[brand_column] == brand]
    codes, keys = partition_groups(frame, columns)
    return Keyed(keys, _sums(frame, codes, len(keys), weight, items))


def _sums(frame: pd.DataFrame, codes, k: int, weight, items: list) -> dict:
    w = np.ones(len(frame)) if weight is None else frame[weight].to_numpy(dtype=float)
    return {
        f"{i}|{name}": array
        for i, item in enumerate(items)
        for name, array in item_sums(frame[item.column], item, codes, k, w).items()
    }


def _merge(parts: list[Keyed], columns: list[str]) -> Keyed:
    return merge_keyed(parts, columns)


@dask_version("scorecard")
def scorecard_dask(
    study,
    *,
    by=None,
    brand: str | None = "auto",
    weighted: bool = True,
    confidence: float = 0.95,
) -> Scorecard:
    """The scorecard of a Dask study: the same
    :class:`~cxresearch.analyses.scorecard.Scorecard` as :func:`cxresearch.scorecard`.

    Parameters are those of :func:`cxresearch.scorecard`. One pass over the
    columns it reads; each partition sends, per group and item, ten sums and a
    weighted count per scale point.
    """
    columns = [study.resolve_column(b) for b in as_list(by)]
    brand = chosen_brand(study, columns, brand)
    brand_column = study.codebook.brand_column
    weight = study.codebook.weight if weighted else None
    items = [spec["spec"] for spec in rated_items(study)]
    needed = [brand_column if brand is not None else None, weight, *columns]
    needed += [item.column for item in items]
    frame = study.frame(list(dict.fromkeys(c for c in needed if c is not None)))
    part = over_partitions(
        study,
        summarise,
        lambda parts: _merge(parts, columns),
        columns,
        brand_column,
        brand,
        weight,
        items,
        frame=frame,
    )
    if len(part):
        keys, totals = part.labelled(columns)
    else:  # no respondent at all: the groups of no rows, as in memory
        empty = frame._meta
        codes, keys = group_codes(empty, columns)
        totals = _sums(empty, codes, len(keys), weight, items)
    sums = [
        {name.split("|", 1)[1]: a for name, a in totals.items() if name.split("|", 1)[0] == str(i)}
        for i in range(len(items))
    ]
    return scorecard_result(study, keys, columns, sums, weighted=weighted, confidence=confidence)
