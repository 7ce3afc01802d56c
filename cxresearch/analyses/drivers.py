"""Key drivers of an outcome, importance-performance analysis, and the impact of closing a gap.

:func:`drivers` estimates how much each touchpoint's experience matters for
an outcome (NPS, CSAT, loyalty, CES, retention, referral), places each
touchpoint in the importance-performance grid (Martilla & James 1977), and
estimates how the outcome goes with one more point of the touchpoint's
experience. Intervals are percentile bootstrap intervals (Efron &
Tibshirani 1993) over resampled respondents, seeded.

Modelling choices, stated in every result's ``method`` and caption:

- Importance is estimated on every respondent of the study (all brands: the
  market's drivers), performance is the brand's own mean experience.
- A respondent who did not use a touchpoint has no experience of it. The
  correlations are pairwise-complete: each pair of touchpoints on the
  respondents who rated both (made positive semi-definite where needed,
  Higham 2002), so a touchpoint with many missing answers is not shrunk
  towards zero, as mean imputation would. The share of missing answers is
  shown per touchpoint. (The logistic model of a yes/no outcome needs complete
  rows and still replaces a missing experience by the touchpoint's mean.)
- Relative weights and Shapley shares are positive whatever the sign of the
  effect: ``direction`` (the sign of the regression coefficient) and
  ``signed_share`` keep a negative link visible.
- The per-point change is a regression slope: an association, which is a
  causal effect only if nothing else (a halo of general satisfaction, a
  common cause) drives both. The halo check reports how much the experience
  ratings move together.
- Respondents without an answer to the outcome are left out of the model and
  counted in ``n_excluded``; touchpoints the model cannot use (fewer than three
  answers, no variance) are left out with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..data.codebook import BinaryItem
from ..importance import MAX_SHAPLEY_DRIVERS, first_component_share
from ..metrics import outcome_name
from ..plots import ipa_chart, nothing_to_chart
from ..results import Result
from ..tables import Findings, suppressed_note
from ._common import default_outcome, require, survey_weights, with_outcome
from ._engine import dask_aware
from .driver_model import DriverData, DriverFit, bootstrap_intervals

METHODS = ("relative_weights", "shapley")
QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
HALO_THRESHOLD = 0.6  # share of the ratings' variance on their first principal component
HALO_MIN_TOUCHPOINTS = 3


@dataclass(frozen=True)
class Drivers(Result):
    """Result of :func:`drivers`.

    ``table`` has one row per touchpoint in the model (journey order):
    ``importance`` (raw weight, sums to ``r2``), ``share`` (% of the explained
    variance) with its bootstrap interval ``share_low``/``share_high``,
    ``direction`` ("positive" or "negative": the sign of the regression
    coefficient) and ``signed_share``, ``rank``, ``missing`` (share of the
    model's respondents without an answer) and ``n_answers``,
    ``stated_importance`` (when the codebook has importance items),
    ``performance`` (the brand's mean experience), ``gap``, ``reach``,
    ``slope`` and ``impact`` (the outcome change that goes with one more point
    of the brand's experience, for all its customers, if the link is causal)
    with ``impact_low``/``impact_high``, and ``quadrant``. ``halo`` is the
    share of the experience ratings' variance on their first principal
    component; ``notes`` names the touchpoints left out of the model.
    """

    table: pd.DataFrame
    outcome: str
    outcome_unit: str
    method: str
    r2: float
    r2_low: float
    r2_high: float
    n: int
    n_excluded: int
    brand: str | None
    crosshair: tuple[float, float]
    crosshair_rule: str
    n_boot: int
    min_base: int = 30
    confidence: float = 0.95
    outcome_label: str = ""  # the outcome in sentences: "NPS", "Retention rate"
    halo: float = float("nan")  # first principal component's share of the ratings' variance
    notes: tuple[str, ...] = ()
    weighted: bool = True
    model_method: str = "relative_weights"

    @property
    def has_halo(self) -> bool:
        """Whether the experience ratings move together (a halo)."""
        return bool(self.halo >= HALO_THRESHOLD)

    def halo_note(self) -> str:
        """The halo check in plain words."""
        p = len(self.table)
        if np.isnan(self.halo):
            return (
                f"Halo check: too few touchpoints ({p}) to tell whether the ratings move together."
            )
        if self.has_halo:
            return (
                f"Ratings move together (a halo): one general factor carries "
                f"{self.halo:.0%} of the variance of the {p} experience ratings. The "
                "importance of single touchpoints is uncertain: read the ranks, not the points."
            )
        return (
            f"Halo check: the first general factor carries {self.halo:.0%} of the variance "
            f"of the {p} experience ratings (below {HALO_THRESHOLD:.0%}): the touchpoints "
            "are rated distinctly enough to compare their importance."
        )

    def ranking(self) -> list[str]:
        """Touchpoint ids from the most to the least important."""
        return list(self.table.sort_values("rank")["touchpoint"])

    def findings(self, top: int = 3) -> Findings:
        """The halo warning when the ratings move together; then the most
        important touchpoints where the brand performs below the typical
        touchpoint ("concentrate here"), by rank, else the most important. The
        per-point change is worded as a scenario, never as a promise."""
        lines = [self.halo_note()] if self.has_halo else []
        t = self.table[self.table["n_performance"] >= self.min_base].sort_values("rank")
        focus = t[(t["quadrant"] == "concentrate here") & (t["direction"] == "positive")]
        chosen = (focus if len(focus) else t).head(max(0, top - len(lines)))
        lines += [self._line(r) for r in chosen.itertuples()]
        return Findings(tuple(lines), "No touchpoint has a base large enough to report.")

    def _line(self, r) -> str:
        text = (
            f"{r.label}: rank {r.rank}, {r.share:.0f}% of the explained variance of "
            f"{self.outcome_label} [{r.share_low:.0f}, {r.share_high:.0f}]"
            f"{' with a negative link (higher ratings go with a lower outcome)' if r.direction == 'negative' else ''}; "  # noqa: E501
            f"performance {r.performance:.2f} (n={r.n_performance:,}), {r.quadrant}."
        )
        if self.has_halo:
            return text
        return text + (
            f" If the link is causal, one more point would go with about {r.impact:+.1f} "
            f"{self.outcome_unit} [{r.impact_low:+.1f}, {r.impact_high:+.1f}]."
        )

    def plot(self, ax=None):
        """The labelled importance-performance chart: touchpoints whose brand base
        is below ``min_base`` are not drawn (named in a note), and a negative link
        is marked with a red cross."""
        t = self.table
        small = t["n_performance"] < self.min_base
        shown = t[~small].copy()
        if shown.empty:
            return nothing_to_chart(
                f"No touchpoint has a base of {self.min_base:,} or more: nothing to chart.",
                "Importance and performance",
                ax=ax,
            )
        negative = shown["direction"] == "negative"
        shown.loc[negative, "label"] = shown.loc[negative, "label"] + " (negative link)"
        ax = ipa_chart(replace(self, table=shown), ax=ax)
        if negative.any():
            ax.scatter(
                shown.loc[negative, "performance"],
                shown.loc[negative, "share"],
                marker="x",
                color="firebrick",
                s=90,
                zorder=4,
                label="negative link",
            )
        if small.any():
            hidden = ", ".join(f"{r.label} (n={r.n_performance:,})" for r in t[small].itertuples())
            ax.text(
                0.0,
                -0.14,
                f"Not drawn, base below {self.min_base}: {hidden}.",
                transform=ax.transAxes,
                fontsize=7,
                color="dimgray",
                va="top",
                wrap=True,
            )
        return ax

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["label"], name="touchpoint"))
        shown["stage"] = t["stage"].to_numpy()
        sign = np.where(t["direction"] == "negative", -1.0, 1.0)
        low, high = sign * t["share_low"], sign * t["share_high"]
        shown["importance, % of R² (signed)"] = [
            f"{s:.1f} [{min(lo, hi):.1f}, {max(lo, hi):.1f}]"
            for s, lo, hi in zip(sign * t["share"], low, high, strict=True)
        ]
        shown["direction"] = t["direction"].to_numpy()
        shown["rank"] = t["rank"].to_numpy()
        shown["missing answers"] = [
            f"{m:.0%} (n={n:,} answered)" for m, n in zip(t["missing"], t["n_answers"], strict=True)
        ]
        if t["stated_importance"].notna().any():
            shown["stated importance"] = t["stated_importance"].map(_format_mean).to_numpy()
        shown["performance"] = t["performance"].map("{:.2f}".format).to_numpy()
        shown["n (brand)"] = t["n_performance"].map("{:,}".format).to_numpy()
        impact = f"if causal: change with +1 point ({self.outcome_unit})"
        shown[impact] = [
            f"{v:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            for v, lo, hi in zip(t["impact"], t["impact_low"], t["impact_high"], strict=True)
        ]
        shown["quadrant"] = t["quadrant"].to_numpy()
        small = (t["n_performance"] < self.min_base).to_numpy()
        for column in ("performance", impact, "quadrant"):
            shown.loc[small, column] = [
                suppressed_note(n, self.min_base) for n in t["n_performance"][small]
            ]
        return shown

    def caption(self) -> str:
        notes = " ".join(self.notes)
        return (
            f"Drivers of {self.outcome_label}: {self.method}; R² = {self.r2:.3f} "
            f"[{self.r2_low:.3f}, {self.r2_high:.3f}], n = {self.n:,} "
            f"({self.n_excluded:,} without an answer left out); bootstrap "
            f"{self.interval}s ({self.n_boot} resamples). Quadrants: {self.crosshair_rule}. "
            "The change with +1 point is a regression slope times reach: an association, "
            f"a causal effect only if nothing else drives both. {self.halo_note()}"
            + (f" {notes}" if notes else "")
        )


@memoised(parts=SURVEY_PARTS, normalise=with_outcome)
@dask_aware
def drivers(
    study,
    *,
    outcome: str | None = None,
    method: str = "relative_weights",
    brand: str | None = "auto",
    n_boot: int = 200,
    random_state: int = 0,
    crosshair: str = "mean",
    weighted: bool = True,
    confidence: float = 0.95,
) -> Drivers:
    """Key-driver analysis of an outcome on the touchpoints' experiences.

    Parameters
    ----------
    study : Study
    outcome : str, optional
        An outcome of the codebook (default: nps, else csat, else loyalty, else
        the first other scale outcome, else the first yes/no one): ``"nps"`` (the
        0-10 score), ``"csat"``,
        ``"ces"``, ``"loyalty"``, or a yes/no outcome (``"retained"``,
        ``"referral"``), which uses the logistic variant.
    method : str
        ``"relative_weights"`` (Johnson 2000; default) or ``"shapley"`` (exact
        LMG decomposition of R-squared, at most 15 touchpoints). A yes/no
        outcome always uses logistic relative weights (Tonidandel & LeBreton 2010).
    brand : str or None
        Whose performance and reach are shown: ``"auto"`` (the study's brand),
        a brand, or None (every respondent).
    n_boot : int
        Bootstrap resamples for the intervals (0: none).
    random_state : int
        Seed of the bootstrap.
    crosshair : str
        Where the importance-performance quadrants split: ``"mean"`` (the
        means over touchpoints; Martilla & James 1977) or ``"midpoint"``
        (equal importance 100/p and the experience scale's midpoint).

    Notes
    -----
    Importance: relative weights (or Shapley shares) of the pairwise-complete
    correlation matrix ``R`` (``R[i, j]`` on the respondents who rated both i
    and j), replaced by the nearest correlation matrix (Higham 2002) when it is
    not positive semi-definite.

    Change with +1 point: for a scale outcome, the OLS coefficient ``b_j`` of
    the outcome on the experiences (``b = S_xx^-1 s_xy`` with ``S = D R D`` and
    D each rating's own standard deviation), times the brand's reach of the
    touchpoint. For NPS the outcome is each respondent's NPS contribution
    (+100 promoter, 0 passive, -100 detractor), so the change is in NPS
    points. For a yes/no outcome, the average marginal effect
    ``mean(p (1 - p)) b_j`` in percentage points, times reach. An association,
    read as an effect only under a causal assumption.

    Halo check: ``lambda_1 / p``, the share of the p ratings' variance on the
    first principal component of R; at or above 60% the ratings move together
    and single touchpoints' importance is uncertain (checked from 3 touchpoints).
    """
    outcome, item, touchpoints, binary = driver_setup(study, outcome, method)
    model = DriverData.of(study, outcome, touchpoints, weighted)
    fit = DriverFit(model, method, binary)
    point = fit.run(None, np.ones(model.n))
    intervals = bootstrap_intervals(fit, point, n_boot, random_state, confidence)
    brand_rows, brand = study.brand_rows(brand)
    w_brand = pd.Series(survey_weights(study, brand_rows, weighted), index=brand_rows.index)
    w_all = pd.Series(survey_weights(study, study.responses, weighted), index=study.responses.index)
    summary = ModelSummary(
        model.touchpoints, model.n, model.n_excluded, model.notes, _halo(model), fit.description
    )
    figures = touchpoint_figures(study, model, brand_rows, w_brand, w_all)
    return driver_result(
        study,
        outcome,
        summary,
        point,
        intervals,
        figures,
        brand=brand,
        method=method,
        n_boot=n_boot,
        crosshair=crosshair,
        weighted=weighted,
        confidence=confidence,
    )


def driver_setup(study, outcome: str | None, method: str) -> tuple[str, object, list, bool]:
    """The checks before any computation, shared by both engines: the method,
    what the study needs, the outcome (default: :func:`default_outcome`) and
    the touchpoints with an experience item. Returns ``(outcome, item,
    touchpoints, binary)``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    require(study, "key drivers", "touchpoints", "outcome")
    outcome = outcome or default_outcome(study)
    item = study.codebook.outcomes.get(outcome)
    if item is None:
        raise KeyError(
            f"the study has no outcome {outcome!r} ({', '.join(study.codebook.outcomes)})"
        )
    touchpoints = [tp for tp in study.codebook.touchpoints if tp.experience is not None]
    binary = isinstance(item, BinaryItem)
    if method == "shapley" and not binary and len(touchpoints) > MAX_SHAPLEY_DRIVERS:
        raise ValueError(
            f"exact Shapley is limited to {MAX_SHAPLEY_DRIVERS} touchpoints; "
            f"this study has {len(touchpoints)}: use method='relative_weights'"
        )
    return outcome, item, touchpoints, binary


@dataclass(frozen=True)
class ModelSummary:
    """What the result says about the fitted model, whichever engine fitted it."""

    touchpoints: tuple  # the touchpoints in the model, in journey order
    n: int  # respondents who answered the outcome
    n_excluded: int  # respondents without an answer to it
    notes: tuple[str, ...]  # touchpoints left out, in words
    halo: float  # :func:`halo_of` the point estimate's correlations
    description: str  # the model in words (:func:`~.driver_model.fit_description`)


def driver_result(
    study,
    outcome: str,
    summary: ModelSummary,
    point,
    intervals,
    figures: pd.DataFrame,
    *,
    brand: str | None,
    method: str,
    n_boot: int,
    crosshair: str,
    weighted: bool,
    confidence: float,
) -> Drivers:
    """The :class:`Drivers` result from the model's estimates (``point``:
    importance, slopes, R²), their ``intervals`` and the touchpoints'
    ``figures`` (:func:`touchpoint_figures`), shared by both engines."""
    item = study.codebook.outcomes[outcome]
    binary = isinstance(item, BinaryItem)
    table = _table(summary.touchpoints, figures, point, intervals)
    crosshair_xy, rule = _crosshair(table, summary.touchpoints, crosshair)
    table["quadrant"] = [
        QUADRANTS[(imp >= crosshair_xy[0], perf >= crosshair_xy[1])]
        for imp, perf in zip(table["share"], table["performance"], strict=True)
    ]
    return Drivers(
        table=table,
        outcome=outcome,
        outcome_unit="NPS points"
        if outcome == "nps"
        else ("% points" if binary else "scale points"),
        method=summary.description + "; " + intervals.method,
        r2=float(point[2]),
        r2_low=float(intervals.r2[0]),
        r2_high=float(intervals.r2[1]),
        n=summary.n,
        n_excluded=summary.n_excluded,
        brand=brand,
        crosshair=crosshair_xy,
        crosshair_rule=rule,
        n_boot=n_boot,
        min_base=study.codebook.min_base,
        confidence=confidence,
        outcome_label=outcome_name(outcome, item),
        halo=summary.halo,
        notes=summary.notes,
        weighted=weighted,
        model_method=method,
    )


def _halo(model: DriverData) -> float:
    """The first principal component's share of the ratings' variance (NaN with
    fewer than ``HALO_MIN_TOUCHPOINTS`` touchpoints)."""
    p = model.x.shape[1]
    if p < HALO_MIN_TOUCHPOINTS:
        return float("nan")
    corr, _, _ = model.correlation(model.w)
    return halo_of(corr, p)


def halo_of(corr: np.ndarray, p: int) -> float:
    """The first principal component's share of the variance of the p ratings
    whose correlations are ``corr[:p, :p]`` (NaN with fewer than
    ``HALO_MIN_TOUCHPOINTS``)."""
    if p < HALO_MIN_TOUCHPOINTS:
        return float("nan")
    return first_component_share(corr[:p, :p])


def _format_mean(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.2f}"


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """Weighted mean of the answered values (NaN when none is answered)."""
    answered = values.notna()
    if not answered.any():
        return float("nan")
    return float(np.average(values[answered].astype(float), weights=weights[answered]))


FIGURES = (
    "missing",
    "n_answers",
    "stated_importance",
    "performance",
    "n_performance",
    "gap",
    "reach",
)


def touchpoint_figures(study, model: DriverData, brand_rows, w_brand, w_all) -> pd.DataFrame:
    """Per touchpoint of the model (journey order), the columns ``FIGURES``:
    the model's share of respondents without an answer and their number
    answered, and the brand's performance (weighted mean experience), its base,
    reach (weighted share who rated the experience), gap (weighted mean of
    experience - expectation over who answered both) and the stated importance
    (weighted mean over every respondent), weighted like the model."""
    missing = model.missing
    records = []
    for j, tp in enumerate(model.touchpoints):
        experience = brand_rows[tp.experience.column]
        gap = np.nan
        if tp.expectation is not None:
            gap = _weighted_mean(experience - brand_rows[tp.expectation.column], w_brand)
        stated = np.nan
        if tp.importance is not None:
            stated = _weighted_mean(study.responses[tp.importance.column], w_all)
        records.append(
            {
                "missing": float(missing[j]),
                "n_answers": int(np.sum(~np.isnan(model.x[:, j]))),
                "stated_importance": stated,
                "performance": _weighted_mean(experience, w_brand),
                "n_performance": int(experience.notna().sum()),
                "gap": gap,
                "reach": _weighted_mean(experience.notna().astype(float), w_brand),
            }
        )
    return pd.DataFrame.from_records(records, columns=list(FIGURES))


def _table(touchpoints, figures: pd.DataFrame, point, intervals) -> pd.DataFrame:
    """One row per touchpoint: importance (the model's) and the brand's
    performance, reach, gap and stated importance (``figures``)."""
    importance, slope, r2 = point
    share = 100 * importance / r2 if r2 > 0 else np.zeros_like(importance)
    (share_low, share_high), (slope_low, slope_high) = intervals.share, intervals.slope
    records = []
    for j, tp in enumerate(touchpoints):
        f = figures.iloc[j]
        reach = float(f["reach"])
        sign = -1.0 if slope[j] < 0 else 1.0
        records.append(
            {
                "touchpoint": tp.id,
                "label": tp.label,
                "stage": tp.stage,
                "importance": importance[j],
                "share": share[j],
                "share_low": share_low[j],
                "share_high": share_high[j],
                "direction": "negative" if sign < 0 else "positive",
                "signed_share": sign * share[j],
                "missing": float(f["missing"]),
                "n_answers": int(f["n_answers"]),
                "stated_importance": float(f["stated_importance"]),
                "performance": float(f["performance"]),
                "n_performance": int(f["n_performance"]),
                "gap": float(f["gap"]),
                "reach": reach,
                "slope": slope[j],
                "impact": slope[j] * reach,
                "impact_low": slope_low[j] * reach,
                "impact_high": slope_high[j] * reach,
            }
        )
    table = pd.DataFrame.from_records(records)
    table["rank"] = table["share"].rank(ascending=False, method="first").astype(int)
    return table


def _crosshair(table, touchpoints, rule) -> tuple[tuple[float, float], str]:
    if rule == "mean":
        return (
            (float(table["share"].mean()), float(table["performance"].mean())),
            "split at the means of importance and performance over the touchpoints "
            "(Martilla & James 1977)",
        )
    if rule == "midpoint":
        midpoint = float(np.mean([tp.experience.scale.midpoint for tp in touchpoints]))
        return (
            (100 / len(touchpoints), midpoint),
            f"split at equal importance (100/{len(touchpoints)} %) "
            f"and the scale midpoint {midpoint:g}",
        )
    raise ValueError(f"crosshair must be 'mean' or 'midpoint', not {rule!r}")
