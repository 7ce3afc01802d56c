"""Feedback channels: smiley terminals, and reviews and social media.

- :func:`smileys`: 3-point emotion items (sad / neutral / happy, as on the
  touch-screen terminal next to the till) per touchpoint: the three shares
  with Wilson intervals and the net score happy - sad, whose interval is the
  adjusted Wald interval of a net score of a three-way split (Rocks 2016,
  the same structure as the NPS).
- :func:`reviews`: the codebook's ``feedback:`` records (reviews, tweets) by
  group: negative and positive shares, and the negative reasons placed on the
  journey as pain points.

Customers' own words are quoted by :mod:`cxresearch.analyses.quotes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..data.catalog import touchpoint_catalog
from ..data.codebook import STAGES
from ..plots import negative_share_dots, smiley_bars
from ..results import Result
from ..stats import GroupedSums, kish_effective_n, nps_interval, wilson_interval
from ..tables import Findings, html_table, suppressed_note
from ._common import group_codes, require, survey_weights
from ._engine import dask_aware


@dataclass(frozen=True)
class Smileys(Result):
    """Result of :func:`smileys`: per touchpoint the sad, neutral and happy
    shares (%) with intervals, the net score and its interval, and n. A study
    without 3-point emotion items gets an empty table (with its columns)."""

    table: pd.DataFrame
    min_base: int
    confidence: float = 0.95
    weighted: bool = False

    def findings(self, top: int = 3) -> Findings:
        """The touchpoints with the lowest net score (happy - sad)."""
        t = self.table[self.table["n"] >= self.min_base]
        lines = [
            f"{r.label}: net {r.net:+.0f} [{r.net_low:+.0f}, {r.net_high:+.0f}], "
            f"{r.sad:.0f}% sad and {r.happy:.0f}% happy (n={r.n:,})."
            for r in t.nsmallest(top, "net").itertuples()
        ]
        return Findings(tuple(lines), "No touchpoint asks for faces, or none has a base to report.")

    def plot(self, ax=None):
        """Sad, neutral and happy shares per touchpoint, stacked."""
        return smiley_bars(self, ax=ax)

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["label"], name="touchpoint"))
        for part in ("sad", "neutral", "happy"):
            shown[f"{part} %"] = [
                f"{v:.0f} [{lo:.0f}, {hi:.0f}]"
                for v, lo, hi in zip(t[part], t[f"{part}_low"], t[f"{part}_high"], strict=True)
            ]
        shown["net (happy - sad)"] = [
            f"{v:+.0f} [{lo:+.0f}, {hi:+.0f}]"
            for v, lo, hi in zip(t["net"], t["net_low"], t["net_high"], strict=True)
        ]
        shown["n"] = t["n"].map("{:,}".format).to_numpy()
        small = t["n"].to_numpy() < self.min_base
        for column in shown.columns[:-1]:
            shown.loc[small, column] = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        return shown

    def caption(self) -> str:
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        return (
            f"Shares with Wilson {self.interval}s; net score with the adjusted Wald "
            f"{self.interval}; {weighting}."
        )

    def _repr_html_(self) -> str:
        if self.table.empty:
            return (
                "<p class='cx-note'>No touchpoint of this study asks for faces (3-point items).</p>"
            )
        return html_table(self.display(), self.min_base, self.caption())


SMILEY_COLUMNS = (
    "touchpoint", "label", "stage", "n",
    "sad", "sad_low", "sad_high", "neutral", "neutral_low", "neutral_high",
    "happy", "happy_low", "happy_high", "net", "net_low", "net_high",
)  # fmt: skip


@dask_aware
def smileys(
    study, *, brand: str | None = "auto", weighted: bool = True, confidence: float = 0.95
) -> Smileys:
    """Sad / neutral / happy shares of every 3-point emotion item (1 = sad, 3 = happy).

    With survey weights (``weighted=True`` and a weight column), the shares are
    weighted and their intervals use Kish's effective n (as the KPIs do); ``n``
    stays the number of answers (the base).
    """
    rows, _ = study.brand_rows(brand)
    w_all = survey_weights(study, rows, weighted)
    records = []
    for tp in study.codebook.touchpoints:
        item = tp.emotion
        if item is None or (item.scale.high - item.scale.low) != 2:
            continue
        x = rows[item.column].to_numpy(dtype=float)
        answered = ~np.isnan(x)
        n = int(answered.sum())
        w = w_all[answered]
        n_eff = kish_effective_n(w) if n else 0.0
        record = {"touchpoint": tp.id, "label": tp.label, "stage": tp.stage, "n": n}
        shares = {}
        for part, value in (
            ("sad", item.scale.low),
            ("neutral", item.scale.low + 1),
            ("happy", item.scale.high),
        ):
            p = float(np.average(x[answered] == value, weights=w)) if n else np.nan
            low, high = wilson_interval(p, n_eff, confidence)
            shares[part] = p
            record.update(
                {part: 100 * p, f"{part}_low": 100 * float(low), f"{part}_high": 100 * float(high)}
            )
        low, high = nps_interval(shares["happy"], shares["sad"], n_eff, confidence)
        record.update(
            {
                "net": 100 * (shares["happy"] - shares["sad"]),
                "net_low": 100 * float(low),
                "net_high": 100 * float(high),
            }
        )
        records.append(record)
    table = pd.DataFrame(records, columns=list(SMILEY_COLUMNS))
    numbers = [c for c in SMILEY_COLUMNS if c not in ("touchpoint", "label", "stage", "n")]
    table = table.astype({**{c: float for c in numbers}, "n": int})
    weighted = weighted and study.codebook.weight is not None
    return Smileys(table, study.codebook.min_base, confidence, weighted)


@dataclass(frozen=True)
class Reviews(Result):
    """Result of :func:`reviews`. ``table``: per group, records, negative and
    positive shares (%) with Wilson intervals. ``pain_points``: per group and
    negative reason, its touchpoint and stage, the count and the share (%) of
    the group's negative records, with Wilson intervals, in journey order."""

    table: pd.DataFrame
    pain_points: pd.DataFrame
    by: str | None
    min_base: int
    confidence: float = 0.95
    weighted: bool = False

    @property
    def summary(self) -> pd.DataFrame:
        """The sentiment table (the name of 0.1; now ``table``)."""
        return self.table

    def display(self) -> pd.DataFrame:
        """Records, negative and positive shares per group, small bases suppressed."""
        t = self.table
        index = pd.Index(t[self.by].astype(str) if self.by else ["all"], name=self.by or "")
        shown = pd.DataFrame(index=index)
        for part in ("negative", "positive"):
            shown[f"{part} % [{self.interval}]"] = [
                suppressed_note(n, self.min_base)
                if n < self.min_base
                else f"{v:.1f} [{lo:.1f}, {hi:.1f}]"
                for v, lo, hi, n in zip(
                    t[part], t[f"{part}_low"], t[f"{part}_high"], t["records"], strict=True
                )
            ]
        shown["records"] = t["records"].map("{:,}".format).to_numpy()
        return shown

    def findings(self, top: int = 3) -> Findings:
        """The most frequent negative reasons (of groups with a base), in words."""
        p = self.pain_points
        if p.empty:
            return Findings((), "The feedback has no reasons for negative records.")
        p = p[p["of_negative"] >= self.min_base]
        lines = [
            (f"{r[self.by]}: " if self.by else "")
            + f"{r['reason']} ({r['stage']}, {r['touchpoint']}): {r['share']:.1f}% "
            f"[{r['low']:.1f}, {r['high']:.1f}] of {r['of_negative']:,} negative records."
            for r in p.nlargest(top, "share").to_dict("records")
        ]
        return Findings(tuple(lines), "No group has enough negative records to report reasons.")

    def plot(self, ax=None):
        """The negative share of each group with its interval."""
        return negative_share_dots(self, ax=ax)

    def pain_point_table(self) -> pd.DataFrame:
        """Reasons (rows, journey order) x groups (columns): share of negative records."""
        p = self.pain_points
        cells = [
            suppressed_note(base, self.min_base)
            if base < self.min_base
            else f"{s:.1f} [{lo:.1f}, {hi:.1f}] n={n:,}"
            for s, lo, hi, n, base in zip(
                p["share"], p["low"], p["high"], p["negative"], p["of_negative"], strict=True
            )
        ]
        index = ["stage", "touchpoint", "reason"]
        columns = self.by or "group"
        frame = p.assign(cell=cells, group=p[self.by] if self.by else "all")
        return frame.pivot_table(
            index=index,
            columns=columns if self.by else "group",
            values="cell",
            aggfunc="first",
            sort=False,
        )

    def caption(self) -> str:
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        return (
            f"Share of negative and positive records [Wilson {self.interval}] per group; "
            f"{weighting}."
        )

    def _repr_html_(self) -> str:
        html = html_table(self.display(), self.min_base, self.caption())
        if not self.pain_points.empty:
            html += html_table(
                self.pain_point_table(),
                self.min_base,
                "Share of each group's negative records giving the reason "
                f"[Wilson {self.interval}], count n; reasons placed on the journey.",
            )
        return html


@memoised(parts=SURVEY_PARTS)
@dask_aware
def reviews(
    study, *, by: str | None = "brand", weighted: bool = True, confidence: float = 0.95
) -> Reviews:
    """Review or social-media records by group: sentiment shares and pain points.

    With survey weights, shares are weighted and intervals use Kish's effective
    n; ``records`` and the reason counts stay the numbers of records.
    """
    spec = study.codebook.feedback
    require(study, "reviews", "feedback")
    r = study.responses
    group = study.resolve_column(by) if by and (by != "brand" or study.has("brand")) else None
    codes, keys = group_codes(r, [group] if group else [])
    sentiment = r[spec.sentiment].astype("string")
    answered = sentiment.notna().to_numpy()
    negative = sentiment.isin(spec.negative).to_numpy() & answered
    positive = sentiment.isin(spec.positive).to_numpy() & answered
    w = survey_weights(study, r, weighted)
    summary = keys.copy()
    for name, flags in (("negative", negative), ("positive", positive)):
        sums = GroupedSums.of(np.where(answered, flags, np.nan), w, codes, len(keys))
        low, high = wilson_interval(sums.mean, sums.n_eff, confidence)
        summary[name], summary[f"{name}_low"], summary[f"{name}_high"] = (
            100 * sums.mean,
            100 * low,
            100 * high,
        )
        summary["records"] = sums.count
    pain = _pain_points(spec, r, w, codes, keys, negative, group, confidence, study)
    weighted = weighted and study.codebook.weight is not None
    return Reviews(summary, pain, group, study.codebook.min_base, confidence, weighted)


def _journey_positions(study) -> tuple[dict[str, str], dict[str, int]]:
    """Stage and journey position of every touchpoint id: the study's own, then
    the catalog's (for feedback reasons placed on touchpoints the survey lacks)."""
    stage_of = {tp_id: entry["stage"] for tp_id, entry in touchpoint_catalog().items()}
    stage_of.update({tp.id: tp.stage for tp in study.codebook.touchpoints})
    ids = [tp.id for tp in study.codebook.touchpoints] + list(touchpoint_catalog())
    ranked = sorted(dict.fromkeys(ids), key=lambda t: STAGES.index(stage_of[t]))
    return stage_of, {tp_id: i for i, tp_id in enumerate(ranked)}


def _pain_points(spec, r, w, codes, keys, negative, group, confidence, study) -> pd.DataFrame:
    """Each negative reason's (weighted) share of the group's negative records."""
    if spec.reason is None:
        return pd.DataFrame()
    reasons = r[spec.reason].astype("string")
    stage_of, order = _journey_positions(study)
    records = []
    for g in range(len(keys)):
        inside = (codes == g) & negative
        n_negative = int(inside.sum())
        n_eff = kish_effective_n(w[inside]) if n_negative else 0.0
        counts = reasons[inside].value_counts()
        weight_of = (
            pd.Series(w[inside], index=reasons.index[inside])
            .groupby(reasons[inside].to_numpy())
            .sum()
        )
        for reason, count in counts.items():
            share = float(weight_of[reason] / w[inside].sum())
            low, high = wilson_interval(share, n_eff, confidence)
            tp = spec.touchpoints.get(reason)
            record = {
                "reason": reason,
                "touchpoint": tp or "(not placed)",
                "stage": stage_of.get(tp, "(not placed)"),
                "negative": int(count),
                "of_negative": n_negative,
                "share": 100 * share,
                "low": 100 * float(low),
                "high": 100 * float(high),
                "_order": order.get(tp, len(order)),
            }
            if group:
                record = {group: keys[group].iloc[g], **record}
            records.append(record)
    table = pd.DataFrame(records)
    return (
        table.sort_values(["_order", "reason"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
