"""What several analyses share: group codes, item values, weights, segment labels,
the default outcome. Study in, arrays out; no result objects here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.codebook import BinaryItem, ScaleItem
from ..errors import Problem, StudyError

MISSING_GROUP = "(missing)"
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
