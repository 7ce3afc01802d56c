"""What several analyses share: group codes, item values, weights, segment labels,
the default outcome. Study in, arrays out; no result objects here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.codebook import BinaryItem, ScaleItem
from ..errors import Problem, StudyError

MISSING_GROUP = "(missing)"
_FEW_CELLS = 1 << 16  # group_codes keeps this many combinations of codes uncompressed
OUTCOME_PREFERENCE = ("nps", "csat", "loyalty")

NEEDS = {
    "touchpoints": "touchpoint experience scores (touchpoints: with experience: items)",
    "expectations": (
        "expectations or targets to compare experiences with "
        "(expectation: items, or a target: per touchpoint)"
    ),
    "outcome": "an outcome (outcomes: in the codebook)",
    "kpis": "survey KPIs (outcomes: in the codebook)",
    "brands": "competitors (brand: and a brand column, or a benchmark file)",
    "events": "web events with funnel steps (events: with funnel:)",
    "measures": "outcomes, touchpoint experiences or feedback to compare",
    "feedback": "a feedback: section (the sentiment of reviews or posts)",
    "text": "comments (text: columns, or feedback: text)",
    "loyalty": "NPS and a retained, referral or loyalty outcome",
    "segments": "touchpoint items and at least 20 respondents to segment",
    "journey": (
        "expectations or targets, faces, feedback, waiting times, web events, comments or "
        "a loyalty outcome to link to recommendation"
    ),
    "waves": "two waves (columns: wave: and at least two waves in the data)",
}


def require(study, analysis: str, *needs: str) -> None:
    """Raise :class:`StudyError` naming what ``analysis`` needs and the study lacks
    (requirements as in :meth:`Study.supports`), before any computation."""
    missing = [need for need in needs if not study.supports(need)]
    if missing:
        raise StudyError(
            [
                Problem(
                    str(study.codebook.path),
                    f"{analysis} needs {NEEDS[need]}; this study has none",
                )
                for need in missing
            ]
        )


def as_list(by) -> list[str]:
    """``None`` -> [], ``"brand"`` -> ["brand"], a list stays a list."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def group_codes(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group codes for ``columns`` (missing values form their own group,
    labelled ``(missing)``) and the table of group keys in code order.

    The groups and their order are those of ``frame.groupby(columns, observed=True,
    dropna=False, sort=True)``: each column's values sorted (a category in its
    categories' order), missing last, the first column slowest. The codes are
    built column by column from each column's own codes (a category's codes as
    they are), so a million respondents cost a few array passes.
    """
    if not columns:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=[0])
    combined, cells = None, np.zeros((1, 0), dtype=np.intp)
    labels = []
    for i, column in enumerate(columns):
        codes, uniques, size = _column_codes(frame[column])
        if combined is None:
            combined = codes
        else:  # (combined < len(cells) <= rows, or small: no overflow)
            combined *= size
            combined += codes
        joint = len(cells) * size  # the joint codes run from 0 to joint - 1
        if i == len(columns) - 1 or joint > _FEW_CELLS:
            observed, combined = _observed(combined, joint)
        else:  # few combinations: keep them all until the last column
            observed = np.arange(joint)
        cells = np.column_stack([cells[observed // size], observed % size])
        labels.append(uniques)
    keys = pd.DataFrame(
        {
            c: _key_labels(u, cells[:, i])
            for i, (c, u) in enumerate(zip(columns, labels, strict=True))
        }
    )
    return combined, keys


def _column_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray, int]:
    """A column's codes (a new intp array) in the order of its sorted distinct
    values (a category's in its categories' order), missing values coded
    ``len(uniques)``, and the number of codes (one more when a value is missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    missing = codes < 0
    codes = codes.astype(np.intp)
    if not missing.any():
        return codes, uniques, len(uniques)
    codes[missing] = len(uniques)
    return codes, uniques, len(uniques) + 1


def _observed(joint: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The joint codes (in ``0..size-1``) that occur, sorted, and each row's rank
    among them (the codes themselves when every one occurs)."""
    if size <= max(4 * len(joint), 1 << 16):
        seen = np.bincount(joint, minlength=size) > 0
        observed = np.flatnonzero(seen)
        if len(observed) == size:
            return observed, joint
        rank = np.cumsum(seen) - 1
        return observed, rank[joint]
    observed, inverse = np.unique(joint, return_inverse=True)
    return observed, inverse.reshape(-1).astype(np.intp, copy=False)


def _key_labels(uniques, index: np.ndarray) -> pd.Series:
    """The labels of one key column: text, missing values as ``(missing)``."""
    text = pd.Series(uniques).astype("string")
    missing = index == len(text)
    labels = text.iloc[np.where(missing, 0, index)].reset_index(drop=True) if len(text) else None
    if labels is None:
        return pd.Series([MISSING_GROUP] * len(index), dtype="string")
    return labels.mask(missing, MISSING_GROUP)


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
    of nps, csat and loyalty that the study declares, else its first other scale
    outcome, else its first yes/no outcome (None: the study has no outcome)."""
    outcomes = study.codebook.outcomes
    preferred = [o for o in OUTCOME_PREFERENCE if o in outcomes]
    scales = [o for o, item in outcomes.items() if isinstance(item, ScaleItem)]
    return next(iter(preferred + scales + list(outcomes)), None)


def with_outcome(arguments: dict) -> dict:
    """An analysis's bound arguments with ``outcome=None`` replaced by the
    outcome it stands for (:func:`default_outcome`), so that the cache sees
    ``drivers(study)`` and ``drivers(study, outcome="nps")`` as one call."""
    if arguments.get("outcome") is None:
        return {**arguments, "outcome": default_outcome(arguments["study"])}
    return arguments


def lazy_series(values) -> bool:
    """Whether ``values`` is a lazy (Dask) Series or frame, recognised by what it
    has (``to_delayed`` and ``npartitions``), so that Dask need not be imported."""
    return hasattr(values, "to_delayed") and hasattr(values, "npartitions")


def segment_labels(segments, lazy: bool = False) -> pd.Series | None:
    """Segment labels by respondent id from a ``Segmentation`` (its ``labels``)
    or a Series of labels; None stays None. Every analysis that takes
    ``segments=`` accepts both. ``lazy``: a lazy (Dask) Series of labels is
    accepted too (the Dask versions of the analyses, which read it partition by
    partition); else it is refused in words."""
    if segments is None:
        return None
    labels = getattr(segments, "labels", segments)
    if lazy_series(labels):
        if lazy:
            return labels
        raise TypeError(
            "segments= has lazy (Dask) labels, from the segmentation of a study read with "
            "the Dask engine; this analysis of a study in memory needs them in memory: "
            "pass segments.labels.compute(), or run the analysis on the Dask study"
        )
    if not isinstance(labels, pd.Series):
        raise TypeError(
            "segments= takes a Segmentation (cx.segment(study)) or a Series of segment "
            f"labels indexed by respondent id, not {type(segments).__name__}"
        )
    return labels


def segment_names(segments) -> dict:
    """Segment number -> persona name (a Segmentation), or "Segment n" (a Series
    in memory; lazy labels without personas have no names without a pass over
    them: a :class:`TypeError`)."""
    labels = segment_labels(segments, lazy=True)
    if labels is None:
        return {}
    personas = getattr(segments, "personas", None)
    if personas is not None:
        return dict(zip(personas["segment"], personas["name"], strict=True))
    if lazy_series(labels):
        raise TypeError(
            "the names of lazy (Dask) segment labels are their distinct values, which "
            "need a pass over them: pass the Segmentation, or the labels computed"
        )
    return {value: f"Segment {value}" for value in pd.unique(labels.dropna())}
