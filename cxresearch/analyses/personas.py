"""Segment profiles and personas: who each segment is, in numbers and in words.

A segment is described by the features that distinguish it most from the
other respondents, measured by the standardized difference
``d = (mean in segment - mean of the rest) / pooled standard deviation``
(Cohen's d; Cohen 1988). A feature distinguishes a segment only when the
difference is at least small (|d| >= 0.2) and significant (Welch's t test
against the rest, Holm's correction over the features). Its name is built
from the two strongest of them with a small lexicon keyed by the
touchpoint's dimension in the catalog (e.g. high expectations of digital
touchpoints: "Digital"); a segment lower (higher) on at least 80% of the
items is named by its level ("Rates everything lower": a halo, not a kind of
customer). Its description lists what it expects more and less of than
others, where the brand disappoints it most (its largest significant
negative gap), and its value of the study's main outcome.

When respondents form a continuum rather than segments (see
:mod:`cxresearch.analyses.segments`), they are shown as *levels* instead:
:class:`Levels` splits them into thirds of their overall rating (the mean of
their standardized answers) and :func:`describe_levels` describes each third
with the same profile, under names that say it is a level, not a persona.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from html import escape

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..metrics import statistics_for
from ..stats import adjust_pvalues
from ..tables import SUPPRESSED
from ._common import default_outcome, survey_weights
from .gaps import gaps
from .kpis import kpis

_st = LazyModule("scipy.stats")  # loaded when a test is first computed

# dimension of a touchpoint -> (word when expected more, word when expected less)
_EXPECTATION_WORDS = {
    "digital": ("Digital", "offline"),
    "information": ("Well-informed", "self-reliant"),
    "people": ("Personal-service", "self-reliant"),
    "place": ("In-store", "online-first"),
    "process": ("Time-pressed", "patient"),
    "product": ("Value-seeking", "indifferent to perks"),
    "communication": ("Deal-seeking", "ad-averse"),
}
TOP_FEATURES = 3
MIN_EFFECT = 0.2  # |d| of a "small" effect (Cohen 1988): smaller differences name nothing
LEVEL_SHARE = 0.8  # a segment lower (higher) on this share of its items differs by level


def distinguishing(
    data: pd.DataFrame, labels: pd.Series, differences: pd.DataFrame, alpha: float = 0.05
) -> pd.DataFrame:
    """Which features distinguish each segment from the other respondents: a
    standardized difference of at least ``MIN_EFFECT`` in size that is also
    significant (Welch's t test of the segment against the rest, Holm's
    correction over the features of the segment)."""
    out = {}
    for segment in differences.index:
        inside = (labels == segment).to_numpy()
        with warnings.catch_warnings():
            # a segment whose answers on a feature are all the same (everyone in it
            # rated the one touchpoint 2) has variance exactly 0; scipy flags any
            # constant sample as "nearly identical", but Welch's t is exact with it
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            p = _st.ttest_ind(
                data[inside], data[~inside], equal_var=False, nan_policy="omit", axis=0
            ).pvalue
        adjusted = adjust_pvalues(np.asarray(p, dtype=float))
        big = differences.loc[segment].abs().to_numpy() >= MIN_EFFECT
        out[segment] = pd.Series(big & (adjusted < alpha), index=data.columns)
    return pd.DataFrame(out).T.rename_axis("segment")


def level_of(d: pd.Series, meaningful: pd.Series) -> str | None:
    """ "lower" or "higher" when the segment differs from the others on at least
    ``LEVEL_SHARE`` of its items, all in the same direction (a halo: it rates
    everything lower or higher), else None."""
    if not len(d):
        return None
    for word, sign in (("lower", -1), ("higher", 1)):
        if (meaningful & (np.sign(d) == sign)).mean() >= LEVEL_SHARE:
            return word
    return None


def standardized_differences(data: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Cohen's d of every column, each segment against all other respondents.

    ``d = (m_s - m_r) / sqrt(((n_s - 1) v_s + (n_r - 1) v_r) / (n_s + n_r - 2))``
    over the answers present (missing answers are skipped).
    """
    out = {}
    for segment in sorted(labels.unique()):
        inside = (labels == segment).to_numpy()
        a, b = data[inside], data[~inside]
        n_a, n_b = a.notna().sum(), b.notna().sum()
        pooled = np.sqrt(((n_a - 1) * a.var() + (n_b - 1) * b.var()) / (n_a + n_b - 2))
        out[segment] = (a.mean() - b.mean()) / pooled.replace(0, np.nan)
    return pd.DataFrame(out).T.rename_axis("segment")


def describe_segments(study, labels: pd.Series, features: list[str], confidence: float = 0.95):
    """Personas (one row per segment) and profiles (KPIs, gaps, feature means,
    profile distributions) of a segmentation."""
    min_base = study.codebook.min_base
    segmented = replace(study, responses=study.responses.assign(segment=labels.astype("category")))
    kpi_table = kpis(segmented, by="segment", confidence=confidence)
    gap_table = (
        gaps(study, by="segment", segments=labels, confidence=confidence)
        if _has_pairs(study)
        else None
    )
    numbers = study.responses[features].astype("float64")
    differences = standardized_differences(numbers, labels)
    meaningful = distinguishing(numbers, labels, differences)
    means = numbers.groupby(labels).mean()
    roles = _feature_roles(study)
    statistic = _headline_statistic(study)
    weights = survey_weights(study, study.responses.loc[labels.index])
    population = _population(study)
    rows = []
    for segment, d in differences.iterrows():
        inside = (labels == segment).to_numpy()
        n = int(inside.sum())
        outcome = _outcome_row(kpi_table.table, statistic, segment)
        level = level_of(d, meaningful.loc[segment])
        d = d.where(meaningful.loc[segment])  # only differences that are real and not tiny
        expects_more, expects_less = _extremes(d, roles)
        disappoints = _worst_gap(gap_table, segment)
        rows.append(
            {
                "segment": segment,
                "name": _name(d, roles, level) if n >= min_base else f"Segment {segment}",
                "level": level,
                "distinguishing": int(meaningful.loc[segment].sum()),
                "features": len(d),
                "n": n,
                "share": float(weights[inside].sum() / weights.sum()),
                "weighted": study.codebook.weight is not None,
                "expects_more": expects_more,
                "expects_less": expects_less,
                "disappoints": disappoints,
                "about_expectations": any(roles.get(c, ("",))[0] == "expectation" for c in d.index),
                "signature": _signature(study, labels, segment),
                "outcome": statistic,
                "outcome_population": population,
                "outcome_value": outcome.get("value", np.nan),
                "outcome_low": outcome.get("low", np.nan),
                "outcome_high": outcome.get("high", np.nan),
                "outcome_n": int(outcome.get("n", 0)),
                "below_min_base": n < min_base,
            }
        )
    personas = pd.DataFrame(rows)
    personas["description"] = [_description(r, study.brand) for r in rows]
    profiles = {
        "kpis": kpi_table,
        "gaps": gap_table,
        "feature_means": means,
        "standardized_differences": differences,
        "profile": _profile_distributions(study, labels),
    }
    return personas, profiles


def _has_pairs(study) -> bool:
    """Whether the study has a gap to show: a touchpoint with an experience and
    an expectation or a target."""
    return any(
        tp.experience is not None and (tp.expectation is not None or tp.target is not None)
        for tp in study.codebook.touchpoints
    )


def _feature_roles(study) -> dict[str, tuple[str, str, str, str]]:
    """column -> (kind, touchpoint label, catalog channel, catalog dimension)."""
    roles = {}
    for tp in study.codebook.touchpoints:
        channel, dimension = tp.catalog.get("channel", ""), tp.catalog.get("dimension", "")
        for kind in ("expectation", "experience", "emotion"):
            item = getattr(tp, kind)
            if item is not None:
                roles[item.column] = (kind, tp.label, channel, dimension)
    return roles


def _extremes(d: pd.Series, roles) -> tuple[list[str], list[str]]:
    """The features a segment is highest and lowest on (|d| > 0.3, at most three
    each): its expectations when the segmentation used them, else any feature."""
    expectation = [c for c in d.index if roles.get(c, ("",))[0] == "expectation"]
    values = d[expectation or list(d.index)].dropna()
    name = (lambda c: roles[c][1]) if expectation else (lambda c: roles.get(c, ("", c))[1])
    more = [name(c) for c in values[values > 0.3].nlargest(TOP_FEATURES).index]
    less = [name(c) for c in values[values < -0.3].nsmallest(TOP_FEATURES).index]
    return more, less


def _signature(study, labels: pd.Series, segment, min_lift: float = 0.15) -> str:
    """The profile categories most over-represented in the segment, e.g.
    ``Contract: Month-to-month 88% (all: 55%)`` (share difference of 15 points or more)."""
    found = []
    inside = labels == segment
    for column in study.codebook.profile:
        values = study.responses[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        share_in = values[inside].value_counts(normalize=True)
        share_all = values.value_counts(normalize=True)
        lift = (share_in - share_all.reindex(share_in.index)).dropna()
        if len(lift) and lift.max() >= min_lift:
            top = lift.idxmax()
            found.append(
                (lift.max(), f"{column}: {top} {share_in[top]:.0%} (all: {share_all[top]:.0%})")
            )
    return "; ".join(text for _, text in sorted(found, reverse=True)[:2])


def _name(d: pd.Series, roles, level: str | None = None) -> str:
    """Two words: the strongest "expects more" feature's word, then the
    strongest "expects less" one (or, failing that, the next distinct word);
    a segment that differs by level is named by its level."""
    if level is not None:
        return f"Rates everything {level}"
    ranked = d.dropna().abs().sort_values(ascending=False).index
    more = [_word(c, d[c], roles) for c in ranked if d[c] > 0]
    less = [_word(c, d[c], roles) for c in ranked if d[c] < 0]
    words: list[str] = []
    for word in [next((w for w in more if w), None), next((w for w in less if w), None)]:
        if word and word not in words:
            words.append(word)
    for word in more + less:
        if len(words) >= 2:
            break
        if word and word not in words:
            words.append(word)
    if not words:
        return "Close to the average"
    return ", ".join([words[0][0].upper() + words[0][1:], *words[1:2]])


def _word(column: str, value: float, roles) -> str | None:
    kind, label, channel, dimension = roles.get(column, ("", column, "", ""))
    high = value > 0
    if kind == "expectation":
        key = "digital" if channel == "digital" else dimension
        return _EXPECTATION_WORDS[key][0 if high else 1] if key in _EXPECTATION_WORDS else None
    if kind == "experience":
        return f"pleased by {label.lower()}" if high else f"let down by {label.lower()}"
    if kind == "emotion":
        return "upbeat" if high else "frustrated"
    return f"high {column}" if high else f"low {column}"


def _headline_statistic(study) -> str | None:
    """The statistic persona cards show: the first of the study's main outcome
    (NPS when the study has it; see :func:`~cxresearch.analyses._common.default_outcome`)."""
    outcome = default_outcome(study)
    if outcome is None:
        return None
    return statistics_for(outcome, study.codebook.outcomes[outcome])[0].name


def _population(study) -> str:
    """Whose outcome a persona card shows: every respondent of the segment, which
    in a study of several brands means the customers of all brands."""
    column = study.codebook.brand_column
    if column is not None and study.responses[column].dropna().nunique() > 1:
        return "customers of all brands"
    return ""


def _outcome_row(table: pd.DataFrame, statistic: str | None, segment) -> dict:
    if statistic is None or table.empty:
        return {}
    rows = table[(table["statistic"] == statistic) & (table["segment"] == str(segment))]
    return rows.iloc[0].to_dict() if len(rows) else {}


def _worst_gap(gap_table, segment) -> str:
    if gap_table is None:
        return ""
    t = gap_table.table
    t = t[(t["segment"] == str(segment)) & t["significant"] & (t["gap"] < 0) & ~t["below_min_base"]]
    if t.empty:
        return ""
    worst = t.nsmallest(1, "gap").iloc[0]
    return f"{worst['label']} (gap {worst['gap']:+.2f}, n={worst['n']:,})"


def _description(row: dict, brand: str | None) -> str:
    if row["below_min_base"]:
        return f"Too few respondents (n={row['n']:,}) to describe."
    parts = []
    if row["about_expectations"]:
        more, less, nothing = (
            "Expect more than other customers of ",
            "less of ",
            "Expectations close to the average.",
        )
    else:
        more, less, nothing = "Higher than other customers: ", "lower: ", "Close to the average."
    if row["expects_more"]:
        parts.append(more + _join(row["expects_more"]))
    if row["expects_less"]:
        parts.append(less + _join(row["expects_less"]))
    text = "; ".join(parts) + "." if parts else nothing
    text = text[0].upper() + text[1:]
    if row["level"] is not None:
        text = (
            f"Rates {row['distinguishing']} of {row['features']} items {row['level']} than "
            f"other customers: a difference of level more than of kind. " + text
        )
    if row["signature"]:
        text += f" Typically {row['signature']}."
    if row["disappoints"]:
        text += f" Where {brand or 'the brand'} disappoints them most: {row['disappoints']}."
    return text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _profile_distributions(study, labels: pd.Series) -> dict[str, pd.DataFrame]:
    """Per profile column: the share of each category in each segment (or the mean)."""
    out = {}
    for column in study.codebook.profile:
        values = study.responses[column]
        if pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("float64").groupby(labels).agg(["mean", "count"])
        else:
            out[column] = pd.crosstab(labels, values, normalize="index")
    return out


LEVEL_NAMES = {1: "Lower third", 2: "Middle third", 3: "Upper third"}
LEVEL_WORDS = {1: "lowest", 2: "middle", 3: "highest"}


@dataclass(frozen=True)
class Levels:
    """Thirds of the respondents by their overall rating.

    The overall rating of respondent i is the mean of their standardized
    answers over the features they answered,
    ``s_i = mean_j((x_ij - mean_j) / sd_j)`` (0 when they answered none: the
    average); level 1 holds ``s_i <= q(1/3)``, level 3 ``s_i > q(2/3)`` and
    level 2 the rest, with ``q`` the sample quantiles of ``s`` (ties keep
    equal scores together, so thirds can differ a little in size).
    """

    means: pd.Series
    sds: pd.Series
    cuts: tuple[float, float]

    @classmethod
    def fit(cls, numbers: pd.DataFrame) -> Levels:
        means, sds = numbers.mean(), numbers.std().replace(0, np.nan).fillna(1.0)
        levels = cls(means, sds, (0.0, 0.0))
        cuts = np.quantile(levels.score(numbers), [1 / 3, 2 / 3])
        return cls(means, sds, (float(cuts[0]), float(cuts[1])))

    def score(self, numbers: pd.DataFrame) -> pd.Series:
        """The overall rating ``s_i`` of every respondent."""
        z = (numbers[self.means.index].astype("float64") - self.means) / self.sds
        return z.mean(axis=1).fillna(0.0)

    def assign(self, numbers: pd.DataFrame) -> pd.Series:
        """Level 1 (lower third), 2 or 3 (upper third) of every respondent."""
        s = self.score(numbers).to_numpy()
        level = 1 + (s > self.cuts[0]).astype(int) + (s > self.cuts[1]).astype(int)
        return pd.Series(level, index=numbers.index, name="segment")


def describe_levels(
    study, labels: pd.Series, features: list[str], levels: Levels, confidence: float = 0.95
):
    """The levels as :func:`describe_segments` describes segments (same columns and
    profiles), named "Lower third", "Middle third", "Upper third" and described
    as levels of the overall rating, not as kinds of customers."""
    personas, profiles = describe_segments(study, labels, features, confidence)
    scores = levels.score(study.responses[features]).groupby(labels)
    names, texts = [], []
    for row in personas.to_dict("records"):
        level = int(row["segment"])
        low, high = scores.get_group(level).agg(["min", "max"])
        names.append(f"{LEVEL_NAMES[level]} of overall ratings")
        lead = (
            f"A level, not a persona: the third of respondents with the {LEVEL_WORDS[level]} "
            f"overall rating (mean standardized answer {low:+.2f} to {high:+.2f})."
        )
        small = row["below_min_base"]
        texts.append(row["description"] if small else f"{lead} {row['description']}")
    personas = personas.assign(name=names, description=texts)
    return personas, profiles


def persona_cards_html(segmentation) -> str:
    """Persona cards: name, size, what they expect, where the brand disappoints them, NPS."""
    cards = []
    for row in segmentation.personas.to_dict("records"):
        title = f"{row['segment']}. {row['name']}"
        weighted = ", weighted" if row.get("weighted") else ""
        size = f"{row['n']:,} respondents ({row['share']:.0%}{weighted})"
        if row["below_min_base"]:
            body = f"<p class='cx-suppressed'>{SUPPRESSED}: {escape(row['description'])}</p>"
        else:
            outcome = ""
            if row["outcome"] is not None:
                who = f" ({row['outcome_population']})" if row.get("outcome_population") else ""
                outcome = (
                    f"{row['outcome']}{who} {row['outcome_value']:.1f} [{row['outcome_low']:.1f}, "
                    f"{row['outcome_high']:.1f}], n={row['outcome_n']:,}"
                    if row["outcome_n"]
                    else f"{row['outcome']}: no answers"
                )
            body = f"<p>{escape(row['description'])}</p>" + (
                f"<p><b>{escape(outcome)}</b></p>" if outcome else ""
            )
        cards.append(
            f"<div class='cx-card'><h4>{escape(title)}</h4>"
            f"<small>{escape(size)}</small>{body}</div>"
        )
    verdict_class = "cx-note" if segmentation.clear else "cx-warning"
    heading = (
        "<h4>Levels of overall rating, not personas</h4>"
        if getattr(segmentation, "structure", "") == "continuum"
        else ""
    )
    filled = getattr(segmentation, "imputation_note", "")
    return (
        f"<p class='{verdict_class}'>{escape(segmentation.verdict)}</p>{heading}"
        f"<div class='cx-cards'>{''.join(cards)}</div>"
        + (f"<p class='cx-note'><small>{escape(filled)}</small></p>" if filled else "")
    )


def with_counts(
    study, personas: pd.DataFrame, n: pd.Series, share: pd.Series, kpi_table: pd.DataFrame
) -> pd.DataFrame:
    """The personas with each segment's size ``n``, weighted ``share`` and
    outcome (from ``kpi_table``, the KPIs by segment) replaced, e.g. counted
    over every respondent when the segments were described on a sample; the
    suppression of small segments and the descriptions follow the new sizes."""
    min_base = study.codebook.min_base
    levels = bool(len(personas)) and personas["name"].str.endswith("of overall ratings").all()
    rows = []
    for row in personas.to_dict("records"):
        segment = row["segment"]
        outcome = _outcome_row(kpi_table, row["outcome"], segment)
        count = int(n.get(segment, 0))
        row.update(
            n=count,
            share=float(share.get(segment, 0.0)),
            below_min_base=count < min_base,
            outcome_value=outcome.get("value", np.nan),
            outcome_low=outcome.get("low", np.nan),
            outcome_high=outcome.get("high", np.nan),
            outcome_n=int(outcome.get("n", 0)),
        )
        if count < min_base and not levels:
            row["name"] = f"Segment {segment}"
        rows.append(row)
    out = pd.DataFrame(rows, columns=personas.columns)
    if not levels:  # levels keep their own descriptions
        out["description"] = [_description(r, study.brand) for r in rows]
    return out
