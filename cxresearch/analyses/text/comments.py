"""The comments of a study (or a plain list of texts), one row a comment, with
what the text analyses group and weigh them by; and the shares and outcome
differences those analyses report.

A Study's comments are its codebook's ``text:`` columns (each maybe tied to a
touchpoint) and its ``feedback.text`` column (whose reason may place it on a
touchpoint); each comment carries its respondent's brand, wave, segment,
survey weight and outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.items import DEFAULT_MIN_BASE, Scale, ScaleItem
from ...errors import Problem, StudyError
from ...stats import kish_effective_n, t_quantile, wilson_interval, z_value
from .._common import default_outcome, segment_labels

DIMENSIONS = ("brand", "touchpoint", "segment", "wave")
NPS_SCALE = Scale(0, 10)


@dataclass(frozen=True)
class Comments:
    """``frame``: one row a comment (``respondent``, ``column``, ``touchpoint``,
    ``text``, ``weight``, ``outcome`` and the grouping columns in ``dimensions``);
    ``outcome``: the outcome's name (None without one) and ``scale`` its scale."""

    frame: pd.DataFrame
    dimensions: tuple[str, ...]
    outcome: str | None
    scale: Scale | None
    min_base: int
    weighted: bool
    source: str
    path: str

    @property
    def texts(self) -> list[str]:
        return list(self.frame["text"])

    @property
    def is_nps(self) -> bool:
        return self.outcome == "nps"

    @property
    def is_yes_no(self) -> bool:
        """A yes/no outcome, held as 0 (no) or 100 (yes): its gaps are % points."""
        return self.scale is YES_NO_SCALE


YES_NO_SCALE = Scale(0, 100)
"""A yes/no outcome's answers as comments hold them: 0 (no) or 100 (yes)."""


def _empty_problem(path: str, what: str) -> StudyError:
    return StudyError([Problem(path, what)])


def _from_texts(texts, min_base: int | None) -> Comments:
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts))
    bad = [i for i, t in enumerate(series) if t is not None and not isinstance(t, str)]
    if bad and not all(pd.isna(series.iloc[i]) for i in bad):
        raise TypeError(f"texts must be strings; rows {bad[:5]} are not")
    keep = series.notna() & series.astype("string").str.strip().ne("")
    frame = pd.DataFrame(
        {
            "respondent": series.index[keep.to_numpy()],
            "column": "text",
            "touchpoint": None,
            "text": series[keep].astype(str).to_numpy(),
            "weight": 1.0,
            "outcome": np.nan,
        }
    )
    return Comments(
        frame.reset_index(drop=True),
        (),
        None,
        None,
        min_base or DEFAULT_MIN_BASE,
        False,
        f"{len(frame):,} texts",
        "texts",
    )


def _text_columns(study) -> list[tuple[str, str | None, bool]]:
    """(column, touchpoint, is feedback) of every comment column of a study."""
    cb = study.codebook
    columns = [(t.column, t.touchpoint, False) for t in cb.text]
    if cb.feedback is not None and cb.feedback.text:
        columns.append((cb.feedback.text, None, True))
    return columns


def has_comments(study) -> bool:
    """Whether a study has at least one comment that is not blank (in its
    ``text:`` columns or its ``feedback: text`` column)."""
    responses = study.responses
    return any(
        responses[column].astype("string").str.strip().fillna("").ne("").any()
        for column, _, _ in _text_columns(study)
        if column in responses.columns
    )


def collect(
    study_or_texts,
    *,
    outcome: str | None = None,
    segments=None,
    weighted: bool = True,
    min_base: int | None = None,
) -> Comments:
    """The comments of a study or of a list (or Series) of texts, one row each."""
    if not hasattr(study_or_texts, "codebook"):
        if isinstance(study_or_texts, str):
            raise TypeError("pass a Study or a list of texts, not a single string")
        return _from_texts(study_or_texts, min_base)
    study = study_or_texts
    cb, r = study.codebook, study.responses
    path = str(cb.path)
    columns = _text_columns(study)
    if not columns:
        raise _empty_problem(
            path, "the study has no comments (text: columns or feedback: text:) to analyse"
        )
    outcome = outcome or default_outcome(study)
    if outcome is not None and outcome not in cb.outcomes:
        raise KeyError(f"the study has no outcome '{outcome}' (declared: {', '.join(cb.outcomes)})")
    item = cb.outcomes.get(outcome) if outcome else None
    values = (
        r[item.column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if item is not None
        else np.full(len(r), np.nan)
    )
    weights = (
        r[cb.weight].to_numpy(dtype=float)
        if weighted and cb.weight is not None
        else np.ones(len(r))
    )
    labels = segment_labels(segments)
    parts = []
    for column, touchpoint, is_feedback in columns:
        text = r[column].astype("string")
        keep = (text.notna() & text.str.strip().ne("")).to_numpy()
        part = pd.DataFrame(
            {
                "respondent": r.index[keep],
                "column": column,
                "touchpoint": _touchpoints(study, keep, touchpoint, is_feedback),
                "text": text[keep].astype(str).to_numpy(),
                "weight": weights[keep],
                "outcome": values[keep],
            }
        )
        if cb.brand_column is not None:
            part["brand"] = r[cb.brand_column].astype("string").to_numpy()[keep]
        if cb.wave is not None:
            part["wave"] = r[cb.wave].astype("string").to_numpy()[keep]
        if labels is not None:
            part["segment"] = labels.reindex(r.index[keep]).astype("string").to_numpy()
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    if frame.empty:
        raise _empty_problem(
            path, f"the comment columns ({', '.join(c for c, *_ in columns)}) are empty"
        )
    dims = tuple(d for d in DIMENSIONS if d in frame.columns and frame[d].notna().any())
    scale = item.scale if isinstance(item, ScaleItem) else None
    if item is not None and scale is None:  # yes/no: a share, so gaps are % points
        frame["outcome"] = frame["outcome"] * 100
        scale = YES_NO_SCALE
    return Comments(
        frame,
        dims,
        outcome if item is not None else None,
        scale,
        min_base or cb.min_base,
        weighted and cb.weight is not None,
        f"study '{cb.name}'",
        path,
    )


def _touchpoints(study, keep: np.ndarray, touchpoint: str | None, is_feedback: bool) -> np.ndarray:
    """The touchpoint of each comment: its text field's, or its feedback reason's."""
    spec = study.codebook.feedback
    if is_feedback and spec is not None and spec.reason and spec.touchpoints:
        reasons = study.responses[spec.reason].astype("string").to_numpy()[keep]
        return np.array([spec.touchpoints.get(x) if isinstance(x, str) else None for x in reasons])
    return np.full(int(keep.sum()), touchpoint, dtype=object)


def aligned(values, comments: Comments, what: str) -> np.ndarray:
    """Per-comment values from ``values``: a column name of the study (read per
    comment's respondent), a Series indexed by respondent id, or a sequence as
    long as the comments (or as the texts passed). Missing stays None/NaN."""
    frame = comments.frame
    if isinstance(values, str):
        raise TypeError(f"{what}: a column name needs a Study; pass a sequence instead")
    if isinstance(values, pd.Series) and comments.path != "texts":
        return values.reindex(frame["respondent"]).to_numpy(dtype=object)
    array = np.asarray(list(values), dtype=object)
    if len(array) == len(frame):
        return array
    if isinstance(values, pd.Series) or len(array) >= frame["respondent"].max() + 1:
        return array[frame["respondent"].to_numpy(dtype=int)]
    raise ValueError(f"{what} has {len(array):,} values for {len(frame):,} comments")


def study_column(study, column: str, comments: Comments, what: str) -> np.ndarray:
    """A study column's values per comment, with a StudyError naming the column."""
    if column not in study.responses.columns:
        raise _empty_problem(comments.path, f"{what}: the study has no column '{column}'")
    return study.responses[column].reindex(comments.frame["respondent"]).to_numpy(dtype=object)


def share_rows(flags: dict[str, np.ndarray], weights: np.ndarray, confidence: float) -> dict:
    """Weighted shares (%) of each flag with Wilson intervals on Kish's n."""
    n = len(weights)
    n_eff = kish_effective_n(weights) if n else 0.0
    row: dict = {"n": n, "n_eff": n_eff}
    for name, flag in flags.items():
        p = float(np.average(flag, weights=weights)) if n else np.nan
        low, high = wilson_interval(p, n_eff, confidence)
        row.update(
            {name: 100 * p, f"{name}_low": 100 * float(low), f"{name}_high": 100 * float(high)}
        )
    return row


def _nps_and_variance(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """NPS (points) and the adjusted-Wald variance of its estimate (Rocks 2016:
    3/4 of a respondent added to promoters and detractors, 3 to the base)."""
    promoters = float(np.average(x >= 9, weights=w))
    detractors = float(np.average(x <= 6, weights=w))
    n = kish_effective_n(w)
    p_adj, d_adj = (n * promoters + 0.75) / (n + 3), (n * detractors + 0.75) / (n + 3)
    variance = (p_adj + d_adj - (p_adj - d_adj) ** 2) / (n + 3)
    return 100 * (promoters - detractors), 1e4 * variance


def outcome_gap(
    values: np.ndarray, mention: np.ndarray, weights: np.ndarray, is_nps: bool, confidence: float
) -> dict:
    """The outcome of those who mention something minus those who do not.

    NPS: the difference of two independent NPS, each with the trinomial
    variance ``(P + D - (P - D)^2) / (n_eff + 3)`` of the adjusted Wald interval
    (P and D with 3/4 respondent added each; Rocks 2016), normal interval.
    Other scales: the difference of weighted means, Welch interval on Kish
    effective n (``t`` with Welch-Satterthwaite degrees of freedom).
    """
    ok = ~np.isnan(values)
    x, m, w = values[ok], mention[ok], weights[ok]
    n_in, n_out = int(m.sum()), int((~m).sum())
    row = {"n_mention": n_in, "n_other": n_out}
    if n_in < 2 or n_out < 2:
        return {
            **row,
            "mention": np.nan,
            "other": np.nan,
            "gap": np.nan,
            "gap_low": np.nan,
            "gap_high": np.nan,
        }
    if is_nps:
        a, va = _nps_and_variance(x[m], w[m])
        b, vb = _nps_and_variance(x[~m], w[~m])
        se = np.sqrt(va + vb)
        half = z_value(confidence) * se
    else:
        a, b = float(np.average(x[m], weights=w[m])), float(np.average(x[~m], weights=w[~m]))
        na, nb = kish_effective_n(w[m]), kish_effective_n(w[~m])
        va = float(np.average((x[m] - a) ** 2, weights=w[m])) * na / max(na - 1, 1)
        vb = float(np.average((x[~m] - b) ** 2, weights=w[~m])) * nb / max(nb - 1, 1)
        se2 = va / na + vb / nb
        df = se2**2 / ((va / na) ** 2 / max(na - 1, 1) + (vb / nb) ** 2 / max(nb - 1, 1))
        half = float(t_quantile(0.5 + confidence / 2, df) * np.sqrt(se2))
    return {
        **row,
        "mention": a,
        "other": b,
        "gap": a - b,
        "gap_low": a - b - half,
        "gap_high": a - b + half,
    }
