"""Closing the loop: the negative comments that need a reply, most severe first.

A comment needs a reply when its sentiment is negative or its own score is
low (NPS 0-6, or the lower 40% of another scale). Severity, from 0 to 1, is
the mean of the parts the data has, each from 0 to 1:

- how low the score is: ``1 - (score - low) / (high - low)``;
- how sure the negative label is: the comment's ``p_negative``;
- whether it mentions a complaint theme: a theme most of whose comments are
  negative (1) or not (0).

The list shows touchpoint, theme, score, sentiment and the comment with its
contacts masked (:func:`~cxresearch.analyses.quotes.mask_contacts`); respondent
ids only with ``show_ids=True`` (otherwise a case number). With a ``response``
column (a reply text, a date or a yes/no; a column name, or a Series by
respondent id for data kept outside the codebook), the share answered among those that
need a reply with its Wilson interval; with ``created`` and ``responded``
timestamps, the median time to respond with its distribution-free interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...cache import SURVEY_PARTS, memoised
from ...results import Result
from ...stats import Estimate, quantile_interval, wilson_interval
from ...tables import Findings
from .._engine import dask_aware
from ..quotes import mask_contacts
from .comments import aligned, collect, study_column
from .sentiment import LOW_BAND, score_comments
from .themes import themes as find_themes

COMPLAINT_SHARE = 50.0  # % negative: a complaint theme
SHOWN = 20  # cases in the people's table


@dataclass(frozen=True)
class FollowUp(Result):
    """Result of :func:`follow_up`. ``table``: the comments needing a reply, most
    severe first (case, respondent only when allowed, touchpoint, theme, score,
    sentiment, severity, comment masked, answered). ``answered``: the share (%)
    answered with its interval (None without a response column); ``share_needing``:
    the share (%) of comments needing a reply with its Wilson interval; ``time_to_respond``:
    the median hours with interval (None without timestamps)."""

    has_plot = False

    table: pd.DataFrame
    needing: int
    comments: int
    share_needing: Estimate
    answered: Estimate | None
    time_to_respond: Estimate | None
    min_base: int
    confidence: float = 0.95

    def display(self) -> pd.DataFrame:
        """The :data:`SHOWN` most severe cases (the whole list is ``table``)."""
        return self.table.head(SHOWN).set_index("case")

    def findings(self, top: int = 3) -> Findings:
        """How many need a reply, how many were answered, and how fast."""
        if not self.comments:
            return Findings((), "No comments to follow up.")
        p = self.share_needing
        lines = [
            f"{self.needing:,} of {self.comments:,} comments need a reply "
            f"({p.value:.0f}% [{p.low:.0f}, {p.high:.0f}])."
        ]
        if self.answered is not None:
            a = self.answered
            lines.append(
                f"{a.value:.0f}% of them were answered [{a.low:.0f}, {a.high:.0f}] (n={a.n:,})."
            )
        if self.time_to_respond is not None:
            t = self.time_to_respond
            lines.append(
                f"Median time to respond: {t.value:.1f} hours "
                f"[{t.low:.1f}, {t.high:.1f}] (n={t.n:,})."
            )
        return Findings(tuple(lines[:top]))

    def caption(self) -> str:
        shown = f"The {min(SHOWN, len(self.table)):,} most severe of {self.needing:,} cases"
        return (
            f"{shown} (low score, negative sentiment, complaint theme); contacts "
            f"masked. Shares with Wilson {self.interval}s; median time to respond with a "
            f"distribution-free {self.interval}."
        )


def _severity(scores, scale, is_nps, p_negative, complaint) -> np.ndarray:
    parts = [p_negative, complaint.astype(float)]
    if scale is not None and not np.all(np.isnan(scores)):
        low = np.clip(1 - (scores - scale.low) / (scale.high - scale.low), 0, 1)
        parts.append(low)
    stacked = np.vstack(parts)
    return np.nanmean(stacked, axis=0)


def _values(study_or_texts, values, comments, what: str) -> np.ndarray:
    """Per-comment values: a study column's name, a Series by respondent id, or a
    sequence as long as the comments."""
    if isinstance(values, str):
        return study_column(study_or_texts, values, comments, what)
    return aligned(values, comments, what)


def _answered(values: np.ndarray) -> np.ndarray:
    """A response value counts as answered when it is present and not false/no/0."""
    out = []
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append(False)
        else:
            out.append(str(v).strip().lower() not in ("", "0", "false", "no", "n"))
    return np.array(out, dtype=bool)


@memoised(parts=SURVEY_PARTS)
@dask_aware
def follow_up(
    study,
    *,
    sentiment=None,
    themes=None,
    outcome: str | None = None,
    response: str | None = None,
    created: str | None = None,
    responded: str | None = None,
    show_ids: bool = False,
    top: int | None = None,
    random_state: int = 0,
    confidence: float = 0.95,
) -> FollowUp:
    """The comments that need a reply, most severe first, and how the loop was closed."""
    comments = collect(study, outcome=outcome)
    if sentiment is None:
        scored, _, _ = score_comments(
            study, comments, labels=None, ratings=None, language="auto",
            random_state=random_state,
        )  # fmt: skip
    else:
        scored = sentiment.comments
    found = (
        themes
        if themes is not None
        else find_themes(study, outcome=outcome, random_state=random_state)
    )
    complaint_names = set(found.table.loc[found.table["negative"] > COMPLAINT_SHARE, "theme"])
    complaint = (
        found.mentions[list(complaint_names)].any(axis=1).to_numpy()
        if complaint_names
        else np.zeros(len(scored), bool)
    )
    scores = comments.frame["outcome"].to_numpy(dtype=float)
    s = comments.scale
    low_score = (
        (scores <= 6)
        if comments.is_nps
        else (
            (scores - s.low) / (s.high - s.low) < LOW_BAND
            if s is not None
            else np.zeros(len(scores), bool)
        )
    )
    negative = scored["sentiment"].to_numpy() == "negative"
    needs = negative | low_score
    severity = _severity(
        scores, s, comments.is_nps, scored["p_negative"].to_numpy(float), complaint
    )
    order = np.flatnonzero(needs)[np.argsort(-severity[needs], kind="stable")]
    if top is not None:
        order = order[:top]
    frame = comments.frame
    table = pd.DataFrame(
        {
            "case": np.arange(1, len(order) + 1),
            "touchpoint": frame["touchpoint"].to_numpy()[order],
            "theme": found.comments["theme"].to_numpy()[order],
            "score": scores[order],
            "sentiment": scored["sentiment"].to_numpy()[order],
            "severity": severity[order].round(3),
            "comment": [mask_contacts(frame["text"].iat[i]) for i in order],
        }
    )
    if show_ids:
        table.insert(1, "respondent", frame["respondent"].to_numpy()[order])
    n_needing = int(needs.sum())
    p_needing = n_needing / len(needs) if len(needs) else np.nan
    lo_needing, hi_needing = wilson_interval(p_needing, len(needs), confidence)
    share_needing = Estimate(
        100 * p_needing, 100 * float(lo_needing), 100 * float(hi_needing), len(needs),
        "Wilson", float(len(needs)), confidence,
    )  # fmt: skip
    answered = time_to_respond = None
    if response is not None:
        flags = _answered(_values(study, response, comments, "response"))
        table["answered"] = flags[order]
        n = int(needs.sum())
        p = float(flags[needs].mean()) if n else np.nan
        lo, hi = wilson_interval(p, n, confidence)
        answered = Estimate(
            100 * p, 100 * float(lo), 100 * float(hi), n, "Wilson", float(n), confidence
        )
    if created is not None and responded is not None:
        start = pd.to_datetime(
            pd.Series(_values(study, created, comments, "created")), errors="coerce"
        )
        end = pd.to_datetime(
            pd.Series(_values(study, responded, comments, "responded")),
            errors="coerce",
        )
        hours = ((end - start).dt.total_seconds() / 3600).to_numpy()[needs]
        hours = hours[~np.isnan(hours)]
        median, lo, hi = quantile_interval(hours, 0.5, confidence)
        time_to_respond = Estimate(
            median, lo, hi, len(hours), "order statistics (Conover 1999)", None, confidence
        )
    return FollowUp(
        table,
        n_needing,
        len(frame),
        share_needing,
        answered,
        time_to_respond,
        comments.min_base,
        confidence,
    )
