"""What several analyses share: group codes, item values, weights, segment labels,
the default outcome. Study in, arrays out; no result objects here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.codebook import BinaryItem, ScaleItem

MISSING_GROUP = "(missing)"
OUTCOME_PREFERENCE = ("nps", "csat", "loyalty")


def as_list(by) -> list[str]:
    """``None`` -> [], ``"brand"`` -> ["brand"], a list stays a list."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def group_codes(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group codes for ``columns`` (missing values form their own group,
    labelled ``(missing)``) and the table of group keys in code order."""
    if not columns:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=[0])
    grouped = frame.groupby(columns, observed=True, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().index.to_frame(index=False)
    for column in columns:
        keys[column] = keys[column].astype("string").fillna(MISSING_GROUP)
    return codes.astype(np.intp), keys


def item_values(study, item: ScaleItem | BinaryItem) -> np.ndarray:
    """An item's answers as floats (yes/no as 1/0), missing as NaN."""
    values = study.responses[item.column]
    if isinstance(item, BinaryItem):
        return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return values.to_numpy(dtype=float)


def survey_weights(study, rows: pd.DataFrame, weighted: bool = True) -> np.ndarray:
    """The survey weights of ``rows`` (ones when unweighted or ``weighted=False``)."""
    column = study.codebook.weight
    if not weighted or column is None:
        return np.ones(len(rows))
    return rows[column].to_numpy(dtype=float)


def default_outcome(study) -> str | None:
    """The outcome analyses relate touchpoints to when none is named: the first
    of nps, csat and loyalty that the study declares (None: none of them)."""
    return next((o for o in OUTCOME_PREFERENCE if o in study.codebook.outcomes), None)


def segment_labels(segments) -> pd.Series | None:
    """Segment labels by respondent id from a ``Segmentation`` (its ``labels``)
    or a Series of labels; None stays None. Every analysis that takes
    ``segments=`` accepts both."""
    if segments is None:
        return None
    labels = getattr(segments, "labels", segments)
    if not isinstance(labels, pd.Series):
        raise TypeError(
            "segments= takes a Segmentation (cx.segment(study)) or a Series of segment "
            f"labels indexed by respondent id, not {type(segments).__name__}"
        )
    return labels


def segment_names(segments) -> dict:
    """Segment number -> persona name (a Segmentation), or "Segment n" (a Series)."""
    labels = segment_labels(segments)
    if labels is None:
        return {}
    personas = getattr(segments, "personas", None)
    if personas is not None:
        return dict(zip(personas["segment"], personas["name"], strict=True))
    return {value: f"Segment {value}" for value in pd.unique(labels.dropna())}
