"""The journey map: every touchpoint in journey order, with reach, expectation,
experience, gap, emotion, importance, and the pain points.

Pain score (per touchpoint) = importance x shortfall x reach, where
importance is the touchpoint's share of the outcome's explained variance
(key drivers, 0-1; zero for a touchpoint whose link is negative), shortfall =
max(0, expectation - experience) in scale points (the paired gap, zero when
the brand meets expectations) and reach the share of respondents who used the
touchpoint. It reads as the expected loss:
how much the touchpoint matters, times how far the brand falls short there,
times how many customers meet it. Without drivers, importance counts as 1.

Comments (when the codebook's ``codeframe:`` maps themes to touchpoints): per
touchpoint, the share of the journey's respondents' comments that mention one
of its themes (``cx.themes(study)``) and, among those, the share of negative
ones (``cx.sentiment(study)``), both weighted means with Wilson intervals on
Kish's effective n (Wilson 1927; Kish 1965). A touchpoint whose themes are
mentioned mostly negatively (the interval of the negative share above 50%) is
a pain point in words, beside the pain scores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..plots import journey_map
from ..results import Result
from ..tables import Findings, suppressed_note
from ._common import default_outcome, require, segment_labels, survey_weights
from ._engine import dask_aware
from .drivers import drivers as estimate_drivers
from .gaps import gaps
from .text.comments import share_rows
from .text.sentiment import sentiment as comment_sentiment
from .text.themes import themes as comment_themes

THEME_COLUMNS = (
    "comments", "theme_share", "theme_share_low", "theme_share_high",
    "theme_n", "theme_negative", "theme_negative_low", "theme_negative_high",
)  # fmt: skip
MOSTLY = 50.0  # % negative the interval must exceed for a touchpoint's comments to be a pain point


@dataclass(frozen=True)
class Journey(Result):
    """Result of :func:`journey`: ``table`` has one row per touchpoint (and group)
    in journey order: ``stage``, ``reach``, ``expectation``, ``experience``,
    ``gap`` (with ``gap_low``/``gap_high``), ``emotion`` (mean, 1 = sad ... 3 =
    happy on smiley items), ``importance``, ``pain`` and ``below_min_base``;
    with a codeframe mapping themes to touchpoints also :data:`THEME_COLUMNS`:
    the base of ``comments``, the ``theme_share`` (%) of them mentioning the
    touchpoint's themes, the ``theme_n`` mentioning and the ``theme_negative``
    share (%) among those, each share with its interval (NaN without themes)."""

    table: pd.DataFrame
    by: str | None
    outcome: str | None
    min_base: int
    confidence: float = 0.95
    weighted: bool = False

    def findings(self, top: int = 5) -> Findings:
        """The touchpoints with the highest pain score, in words."""
        t = self.table[~self.table["below_min_base"] & (self.table["pain"] > 0)]
        lines = []
        for row in t.nlargest(top, "pain").to_dict("records"):
            group = f"{row[self.by]}: " if self.by else ""
            lines.append(
                f"{group}{row['label']} ({row['stage']}): pain {row['pain']:.3f} = importance "
                f"{row['importance']:.2f} x shortfall {max(0.0, -row['gap']):.2f} x reach "
                f"{row['reach']:.0%} (gap {row['gap']:+.2f} [{row['gap_low']:+.2f}, "
                f"{row['gap_high']:+.2f}], n={row['n']:,})"
            )
        lines += self.negative_comments(top)
        return Findings(tuple(lines), "No touchpoint falls short of expectations.")

    @property
    def has_themes(self) -> bool:
        """Whether the table carries the comments' themes per touchpoint."""
        return "theme_negative" in self.table

    def negative_comments(self, top: int = 5) -> list[str]:
        """The touchpoints whose themes are mentioned mostly negatively (the
        interval of the negative share above :data:`MOSTLY` %), in words."""
        if not self.has_themes:
            return []
        t = self.table
        t = t[(t["theme_n"] >= self.min_base) & (t["theme_negative_low"] > MOSTLY)].copy()
        t["weight"] = t["theme_share"] * t["theme_negative"]
        lines = []
        for row in t.nlargest(top, "weight").to_dict("records"):
            group = f"{row[self.by]}: " if self.by else ""
            lines.append(
                f"{group}{row['label']}: {row['theme_share']:.0f}% [{row['theme_share_low']:.0f}%, "
                f"{row['theme_share_high']:.0f}%] of comments mention it "
                f"(n={int(row['comments']):,}), {row['theme_negative']:.0f}% "
                f"[{row['theme_negative_low']:.0f}%, {row['theme_negative_high']:.0f}%] "
                f"of them negative (n={int(row['theme_n']):,})"
            )
        return lines

    pain_points = findings  # the name of 0.1

    def plot(self, ax=None):
        """The journey map: experience against expectation along the stages.

        Touchpoints whose base is below ``min_base`` are not drawn: the lines
        break there and the tick label says the value is suppressed.
        """
        t = self.table.copy()
        small = t["below_min_base"].to_numpy(dtype=bool)
        t.loc[small, ["expectation", "experience"]] = np.nan
        t.loc[small, "pain"] = 0.0
        t.loc[small, "label"] = [
            f"{row.label} (n={row.n:,}, suppressed)" for row in t[small].itertuples()
        ]
        return journey_map(replace(self, table=t), ax=ax)

    def display(self) -> pd.DataFrame:
        t = self.table
        index = ([self.by] if self.by else []) + ["label"]
        shown = pd.DataFrame(index=pd.MultiIndex.from_frame(t[index].astype(str)))
        shown["stage"] = t["stage"].to_numpy()
        shown["reach"] = t["reach"].map("{:.0%}".format).to_numpy()
        shown["expectation"] = t["expectation"].map("{:.2f}".format).to_numpy()
        shown["experience"] = t["experience"].map("{:.2f}".format).to_numpy()
        gap_column = f"gap [{self.interval}]"
        shown[gap_column] = [
            f"{g:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            for g, lo, hi in zip(t["gap"], t["gap_low"], t["gap_high"], strict=True)
        ]
        shown["emotion"] = t["emotion"].map(lambda v: "-" if np.isnan(v) else f"{v:.2f}").to_numpy()
        shown["importance"] = t["importance"].map("{:.2f}".format).to_numpy()
        shown["pain"] = t["pain"].map("{:.3f}".format).to_numpy()
        shown["n"] = t["n"].map("{:,}".format).to_numpy()
        small = t["below_min_base"].to_numpy()
        for column in ("expectation", "experience", gap_column, "pain"):
            shown.loc[small, column] = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        if self.has_themes:
            for name, part, base in (
                ("comments mentioning %", "theme_share", "comments"),
                ("negative % of them", "theme_negative", "theme_n"),
            ):
                shown[f"{name} [{self.interval}]"] = [
                    self._share_text(r[part], r[f"{part}_low"], r[f"{part}_high"], r[base])
                    for r in t.to_dict("records")
                ]
        return shown

    def _share_text(self, value: float, low: float, high: float, n: float) -> str:
        if np.isnan(n):
            return "-"
        if n < self.min_base:
            return suppressed_note(int(n), self.min_base)
        return f"{value:.0f} [{low:.0f}, {high:.0f}] n={int(n):,}"

    def caption(self) -> str:
        return (
            "Pain = importance (share of the explained variance of "
            f"{self.outcome or 'the outcome'}) x shortfall (expectation - experience, when "
            "positive) x reach (share of respondents who used the touchpoint). Gap intervals from "
            f"the paired differences ({self.interval}); "
            + ("weighted (Kish effective n)." if self.weighted else "unweighted.")
            + (
                " Comments: the share mentioning each touchpoint's codeframe themes and the "
                f"negative share of those, Wilson {self.interval}s; mostly negative (interval "
                f"above {MOSTLY:.0f}%) is a pain point."
                if self.has_themes
                else ""
            )
        )


@memoised(parts=SURVEY_PARTS)
@dask_aware
def journey(
    study,
    *,
    by: str | None = None,
    segments=None,
    brand: str | None = "auto",
    drivers=None,
    weighted: bool = True,
    confidence: float = 0.95,
) -> Journey:
    """The journey map of the brand's customers (or of each group).

    Parameters
    ----------
    study : Study
    by : str, optional
        ``"segment"`` (with ``segments``), ``"brand"`` (with ``brand=None``),
        ``"wave"`` or a profile column: one journey per group.
    segments : Segmentation or Series, optional
        The segments for ``by="segment"``.
    drivers : Drivers, optional
        Importance; by default the drivers of the first outcome among nps,
        csat, loyalty (relative weights, no bootstrap).
    weighted : bool
        With survey weights, reach and emotion are weighted means, like the
        gaps (which are weighted); the caption says so.
    """
    require(study, "the journey map", "touchpoints", "expectations")
    segments = segment_labels(segments)
    gap_table = gaps(
        study,
        by=by or "touchpoint",
        brand=brand,
        segments=segments,
        weighted=weighted,
        confidence=confidence,
    ).table
    importance, outcome = _importance(study, drivers)
    rows, _ = study.brand_rows(brand)
    labels = _labels_for(study, rows, by, segments)
    w = survey_weights(study, rows, weighted)
    mentions = theme_mentions(study, rows, w)
    records = []
    for tp in study.codebook.touchpoints:
        if tp.experience is None:
            continue
        used = rows[tp.experience.column].notna()
        emotion = rows[tp.emotion.column] if tp.emotion is not None else None
        for group, inside in _groups(labels, rows.index):
            cell = gap_table[gap_table["touchpoint"] == tp.id]
            if group is not None:
                cell = cell[cell[by_column(study, by)].astype(str) == str(group)]
            if cell.empty:
                continue
            g = cell.iloc[0]
            record = {
                "touchpoint": tp.id,
                "label": tp.label,
                "stage": tp.stage,
                "reach": _weighted_mean(used.to_numpy(dtype=float), w, inside),
                "expectation": g["expectation"],
                "experience": g["experience"],
                "gap": g["gap"],
                "gap_low": g["low"],
                "gap_high": g["high"],
                "n": int(g["n"]),
                "emotion": np.nan
                if emotion is None
                else _weighted_mean(emotion.to_numpy(dtype=float), w, inside),
                "importance": importance.get(tp.id, 1.0 if not importance else 0.0),
                "below_min_base": bool(g["below_min_base"]),
            }
            if mentions is not None:
                record.update(theme_cells(mentions, tp.id, rows.index[inside], confidence))
            if group is not None:
                record = {by_column(study, by): group, **record}
            records.append(record)
    table = pd.DataFrame(records)
    table["pain"] = table["importance"] * np.maximum(0.0, -table["gap"]) * table["reach"]
    return Journey(
        table,
        by_column(study, by) if by else None,
        outcome,
        study.codebook.min_base,
        confidence,
        weighted and study.codebook.weight is not None,
    )


def theme_mentions(study, rows: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame | None:
    """Per comment of ``rows``' respondents: ``respondent``, ``weight``, whether
    it is ``negative`` (``cx.sentiment(study)``) and, per touchpoint the
    codeframe maps themes to, whether it mentions one (``cx.themes(study)``);
    None when the codebook's codeframe maps no theme to a touchpoint."""
    mapped: dict[str, list[str]] = {}
    for theme in study.codebook.codeframe:
        if theme.touchpoint is not None:
            mapped.setdefault(theme.touchpoint, []).append(theme.theme)
    if not mapped:
        return None
    coded, mood = comment_themes(study), comment_sentiment(study)
    frame = pd.DataFrame(
        {
            "respondent": coded.comments["respondent"].to_numpy(),
            "negative": mood.comments["sentiment"].to_numpy() == "negative",
        }
    )
    by_respondent = pd.Series(weights, index=rows.index)
    frame["weight"] = by_respondent.reindex(frame["respondent"]).to_numpy(dtype=float)
    for tp_id, names in mapped.items():
        frame[tp_id] = coded.mentions[names].any(axis=1).to_numpy()
    return frame[frame["weight"].notna()].reset_index(drop=True)


def theme_cells(mentions: pd.DataFrame, tp_id: str, respondents, confidence: float) -> dict:
    """A touchpoint's comment columns (:data:`THEME_COLUMNS`) for the comments
    of ``respondents``: share mentioning its themes = sum w_i m_i / sum w_i over
    the comments; negative share = the same over the mentioning comments with
    the negative flag; Wilson intervals on Kish's n (``share_rows``)."""
    cells = dict.fromkeys(THEME_COLUMNS, np.nan)
    if tp_id not in mentions:
        return cells
    part = mentions[mentions["respondent"].isin(respondents)]
    weights, mention = part["weight"].to_numpy(), part[tp_id].to_numpy(dtype=bool)
    cells.update(comments=len(part), theme_n=int(mention.sum()))
    if len(part):
        share = share_rows({"theme_share": mention.astype(float)}, weights, confidence)
        cells.update({k: share[k] for k in THEME_COLUMNS[1:4]})
    if mention.any():
        negative = part["negative"].to_numpy(dtype=float)[mention]
        mood = share_rows({"theme_negative": negative}, weights[mention], confidence)
        cells.update({k: mood[k] for k in THEME_COLUMNS[5:]})
    return cells


def _weighted_mean(values: np.ndarray, weights: np.ndarray, inside: np.ndarray) -> float:
    """Weighted mean of the answered ``values`` of the rows ``inside`` (NaN: none)."""
    keep = inside & ~np.isnan(values)
    return float(np.average(values[keep], weights=weights[keep])) if keep.any() else np.nan


def by_column(study, by: str | None) -> str | None:
    if by in (None, "segment"):
        return by
    return study.resolve_column(by)


def _labels_for(study, rows, by, segments):
    if by is None:
        return None
    if by == "segment":
        if segments is None:
            raise ValueError("by='segment' needs segments= (e.g. cx.segment(study).labels)")
        return segments.reindex(rows.index)
    return rows[study.resolve_column(by)]


def _groups(labels, index):
    if labels is None:
        yield None, np.ones(len(index), dtype=bool)
        return
    for value in pd.unique(labels.dropna()):
        yield value, (labels == value).to_numpy()


def _importance(study, drivers) -> tuple[dict[str, float], str | None]:
    if drivers is None:
        outcome = default_outcome(study)
        if outcome is None:
            return {}, None
        drivers = estimate_drivers(study, outcome=outcome, n_boot=0)
    # a negative link (higher ratings, lower outcome) is no reason to raise a rating
    positive = drivers.table["signed_share"].clip(lower=0) / 100
    shares = dict(zip(drivers.table["touchpoint"], positive, strict=True))
    return shares, drivers.outcome
