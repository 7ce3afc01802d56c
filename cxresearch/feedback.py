"""Feedback channels: smiley terminals, reviews and social media, and customer quotes.

- :func:`smileys`: 3-point emotion items (sad / neutral / happy, as on the
  touch-screen terminal next to the till) per touchpoint: the three shares
  with Wilson intervals and the net score happy - sad, whose interval is the
  adjusted Wald interval of a net score of a three-way split (Rocks 2016,
  the same structure as the NPS).
- :func:`reviews`: the codebook's ``feedback:`` records (reviews, tweets) by
  group: negative and positive shares, and the negative reasons placed on the
  journey as pain points.
- :func:`quotes`: customer comments for a report: HTML-escaped, with e-mail
  addresses and phone numbers masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from .metrics import group_codes
from .stats import GroupedSums, nps_interval, wilson_interval
from .tables import html_table

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{6,}\d(?![\w])")


DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def mask_contacts(text: str) -> str:
    """Replace e-mail addresses by ``[e-mail]`` and phone numbers (7 or more
    digits, with spaces, dots, dashes or brackets; not dates) by ``[phone]``."""
    text = EMAIL.sub("[e-mail]", text)

    def phone(match: re.Match) -> str:
        found = match.group()
        if DATE.fullmatch(found.strip()) or sum(c.isdigit() for c in found) < 7:
            return found
        return "[phone]"

    return PHONE.sub(phone, text)


@dataclass(frozen=True)
class Quotes:
    """Customer comments, masked; ``_repr_html_`` escapes every one."""

    lines: tuple[str, ...]
    source: str

    def _repr_html_(self) -> str:
        if not self.lines:
            return "<p class='cx-note'>No comments to quote.</p>"
        items = "".join(f"<blockquote>{escape(line)}</blockquote>" for line in self.lines)
        return f"{items}<p class='cx-note'>{escape(self.source)}</p>"


def quotes(study, n: int = 5, contains: str | None = None, random_state: int = 0) -> Quotes:
    """A seeded sample of ``n`` comments (from the ``text:`` columns or the
    feedback text), optionally containing a word; contacts masked."""
    columns = [t.column for t in study.codebook.text]
    if study.codebook.feedback is not None and study.codebook.feedback.text:
        columns.append(study.codebook.feedback.text)
    if not columns:
        return Quotes((), "The study has no comments.")
    texts = pd.concat([study.responses[c] for c in columns]).dropna().astype(str).drop_duplicates()
    if contains:
        texts = texts[texts.str.contains(contains, case=False, regex=False)]
    total = len(texts)
    picked = texts.sample(n=min(n, total), random_state=random_state) if total else texts
    return Quotes(
        tuple(mask_contacts(t) for t in picked),
        f"{len(picked)} of {total:,} distinct comments, drawn at random (seed {random_state}); "
        "e-mail addresses and phone numbers masked.",
    )


@dataclass(frozen=True)
class Smileys:
    """Result of :func:`smileys`: per touchpoint (and group) the sad, neutral and
    happy shares (%) with intervals, the net score and its interval, and n."""

    table: pd.DataFrame
    min_base: int

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
            shown.loc[small, column] = f"suppressed (n < {self.min_base})"
        return shown

    def _repr_html_(self) -> str:
        return html_table(
            self.display(),
            self.min_base,
            "Shares with Wilson 95% intervals; net score with the adjusted Wald interval.",
        )


def smileys(study, brand: str | None = "auto") -> Smileys:
    """Sad / neutral / happy shares of every 3-point emotion item (1 = sad, 3 = happy)."""
    rows, _ = study.brand_rows(brand)
    records = []
    for tp in study.codebook.touchpoints:
        item = tp.emotion
        if item is None or (item.scale.high - item.scale.low) != 2:
            continue
        x = rows[item.column].to_numpy(dtype=float)
        answered = ~np.isnan(x)
        n = int(answered.sum())
        record = {"touchpoint": tp.id, "label": tp.label, "stage": tp.stage, "n": n}
        shares = {}
        for part, value in (
            ("sad", item.scale.low),
            ("neutral", item.scale.low + 1),
            ("happy", item.scale.high),
        ):
            p = float(np.mean(x[answered] == value)) if n else np.nan
            low, high = wilson_interval(p, n)
            shares[part] = p
            record.update(
                {part: 100 * p, f"{part}_low": 100 * float(low), f"{part}_high": 100 * float(high)}
            )
        low, high = nps_interval(shares["happy"], shares["sad"], n)
        record.update(
            {
                "net": 100 * (shares["happy"] - shares["sad"]),
                "net_low": 100 * float(low),
                "net_high": 100 * float(high),
            }
        )
        records.append(record)
    return Smileys(pd.DataFrame(records), study.codebook.min_base)


@dataclass(frozen=True)
class Reviews:
    """Result of :func:`reviews`. ``summary``: per group, records, negative and
    positive shares (%) with Wilson intervals. ``pain_points``: per group and
    negative reason, its touchpoint and stage, the count and the share (%) of
    the group's negative records, with Wilson intervals, in journey order."""

    summary: pd.DataFrame
    pain_points: pd.DataFrame
    by: str | None
    min_base: int

    def pain_point_table(self) -> pd.DataFrame:
        """Reasons (rows, journey order) x groups (columns): share of negative records."""
        p = self.pain_points
        cells = [
            f"{s:.1f} [{lo:.1f}, {hi:.1f}] n={n:,}"
            for s, lo, hi, n in zip(p["share"], p["low"], p["high"], p["negative"], strict=True)
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

    def _repr_html_(self) -> str:
        return html_table(
            self.pain_point_table(),
            self.min_base,
            "Share of each group's negative records giving the reason "
            "[Wilson 95% interval], count n; reasons placed on the journey.",
        )


def reviews(study, by: str | None = "brand") -> Reviews:
    """Review or social-media records by group: sentiment shares and pain points."""
    spec = study.codebook.feedback
    if spec is None:
        raise ValueError("reviews needs a feedback: section in the codebook")
    r = study.responses
    group = study.resolve_column(by) if by and (by != "brand" or study.has("brand")) else None
    codes, keys = group_codes(r, [group] if group else [])
    sentiment = r[spec.sentiment].astype("string")
    answered = sentiment.notna().to_numpy()
    negative = sentiment.isin(spec.negative).to_numpy() & answered
    positive = sentiment.isin(spec.positive).to_numpy() & answered
    w = np.ones(len(r))
    summary = keys.copy()
    for name, flags in (("negative", negative), ("positive", positive)):
        sums = GroupedSums.of(np.where(answered, flags, np.nan), w, codes, len(keys))
        low, high = wilson_interval(sums.mean, sums.count)
        summary[name], summary[f"{name}_low"], summary[f"{name}_high"] = (
            100 * sums.mean,
            100 * low,
            100 * high,
        )
        summary["records"] = sums.count
    pain = _pain_points(study, spec, r, codes, keys, negative, group)
    return Reviews(summary, pain, group, study.codebook.min_base)


def _journey_positions(study) -> tuple[dict[str, str], dict[str, int]]:
    """Stage and journey position of every touchpoint id: the study's own, then
    the catalog's (for feedback reasons placed on touchpoints the survey lacks)."""
    from .codebook import STAGES, touchpoint_catalog

    stage_of = {tp_id: entry["stage"] for tp_id, entry in touchpoint_catalog().items()}
    stage_of.update({tp.id: tp.stage for tp in study.codebook.touchpoints})
    ids = [tp.id for tp in study.codebook.touchpoints] + list(touchpoint_catalog())
    ranked = sorted(dict.fromkeys(ids), key=lambda t: STAGES.index(stage_of[t]))
    return stage_of, {tp_id: i for i, tp_id in enumerate(ranked)}


def _pain_points(study, spec, r, codes, keys, negative, group) -> pd.DataFrame:
    if spec.reason is None:
        return pd.DataFrame()
    reasons = r[spec.reason].astype("string")
    stage_of, order = _journey_positions(study)
    records = []
    for g in range(len(keys)):
        inside = (codes == g) & negative
        n_negative = int(inside.sum())
        counts = reasons[inside].value_counts()
        for reason, count in counts.items():
            share = count / n_negative
            low, high = wilson_interval(share, n_negative)
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
