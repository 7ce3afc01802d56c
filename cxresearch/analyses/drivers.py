"""Key drivers of an outcome, importance-performance analysis, and the impact of closing a gap.

:func:`drivers` estimates how much each touchpoint's experience matters for
an outcome (NPS, CSAT, loyalty, CES, retention, referral), places each
touchpoint in the importance-performance grid (Martilla & James 1977), and
estimates the impact on the outcome of improving the touchpoint's
experience by one point. Intervals are percentile bootstrap intervals
(Efron & Tibshirani 1993) over resampled respondents, seeded.

Modelling choices, stated in every result's ``method``:

- Importance is estimated on every respondent of the study (all brands: the
  market's drivers), performance is the brand's own mean experience.
- A respondent who did not use a touchpoint has no experience of it; the
  missing experience is replaced by the touchpoint's mean (mean imputation),
  so that the model keeps every respondent. Low-reach touchpoints therefore
  carry less variance and less importance, which is what their small reach
  deserves.
- Respondents without an answer to the outcome are left out of the model and
  counted in ``n_excluded``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.codebook import BinaryItem
from ..importance import (
    MAX_SHAPLEY_DRIVERS,
)
from ..metrics import outcome_name
from ..plots import ipa_chart
from ..results import Result
from ..tables import Findings, suppressed_note
from ._common import default_outcome, require
from .driver_model import DriverData, DriverFit, bootstrap_intervals

METHODS = ("relative_weights", "shapley")
QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


@dataclass(frozen=True)
class Drivers(Result):
    """Result of :func:`drivers`.

    ``table`` has one row per touchpoint (journey order): ``importance`` (raw
    weight, sums to ``r2``), ``share`` (% of the explained variance) with its
    bootstrap interval ``share_low``/``share_high``, ``rank``,
    ``stated_importance`` (when the codebook has importance items),
    ``performance`` (the brand's mean experience), ``gap``, ``reach``,
    ``impact`` (expected outcome change when the brand's experience of the
    touchpoint improves by one point, for all its customers) with
    ``impact_low``/``impact_high``, and ``quadrant``.
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

    def ranking(self) -> list[str]:
        """Touchpoint ids from the most to the least important."""
        return list(self.table.sort_values("rank")["touchpoint"])

    def findings(self, top: int = 3) -> Findings:
        """The most important touchpoints where the brand performs below the
        typical touchpoint ("concentrate here"), by rank; else the most important."""
        t = self.table[self.table["n_performance"] >= self.min_base].sort_values("rank")
        focus = t[t["quadrant"] == "concentrate here"]
        chosen = (focus if len(focus) else t).head(top)
        lines = [
            f"{r.label}: {r.share:.0f}% of the explained variance of {self.outcome_label} "
            f"[{r.share_low:.0f}, {r.share_high:.0f}], performance {r.performance:.2f} "
            f"(n={r.n_performance:,}), {r.quadrant}; +1 point would move "
            f"{self.outcome_label} by {r.impact:+.1f} {self.outcome_unit} "
            f"[{r.impact_low:+.1f}, {r.impact_high:+.1f}]."
            for r in chosen.itertuples()
        ]
        return Findings(tuple(lines), "No touchpoint has a base large enough to report.")

    def plot(self, ax=None):
        """The labelled importance-performance chart."""
        return ipa_chart(self, ax=ax)

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["label"], name="touchpoint"))
        shown["stage"] = t["stage"].to_numpy()
        shown["importance, % of R²"] = [
            f"{s:.1f} [{lo:.1f}, {hi:.1f}]"
            for s, lo, hi in zip(t["share"], t["share_low"], t["share_high"], strict=True)
        ]
        shown["rank"] = t["rank"].to_numpy()
        if t["stated_importance"].notna().any():
            shown["stated importance"] = t["stated_importance"].map(_format_mean).to_numpy()
        shown["performance"] = t["performance"].map("{:.2f}".format).to_numpy()
        shown["n (brand)"] = t["n_performance"].map("{:,}".format).to_numpy()
        shown[f"impact of +1 point ({self.outcome_unit})"] = [
            f"{v:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            for v, lo, hi in zip(t["impact"], t["impact_low"], t["impact_high"], strict=True)
        ]
        shown["quadrant"] = t["quadrant"].to_numpy()
        small = (t["n_performance"] < self.min_base).to_numpy()
        impact = f"impact of +1 point ({self.outcome_unit})"
        for column in ("performance", impact, "quadrant"):
            shown.loc[small, column] = [
                suppressed_note(n, self.min_base) for n in t["n_performance"][small]
            ]
        return shown

    def caption(self) -> str:
        return (
            f"Drivers of {self.outcome_label}: {self.method}; R² = {self.r2:.3f} "
            f"[{self.r2_low:.3f}, {self.r2_high:.3f}], n = {self.n:,} "
            f"({self.n_excluded:,} without an answer left out); bootstrap "
            f"{self.interval}s ({self.n_boot} resamples). Quadrants: {self.crosshair_rule}."
        )


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
    Impact: for a scale outcome, the OLS coefficient b_j of the outcome on the
    experiences (per point of experience), times the brand's reach of the
    touchpoint. For NPS the outcome is each respondent's NPS contribution
    (+100 promoter, 0 passive, -100 detractor), so the impact is in NPS
    points. For a yes/no outcome, the average marginal effect
    ``mean(p (1 - p)) b_j`` in percentage points, times reach.
    """
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
    model = DriverData.of(study, outcome, touchpoints, weighted)
    fit = DriverFit(model, method, binary)
    point = fit.run(None, np.ones(model.n))
    intervals = bootstrap_intervals(fit, point, n_boot, random_state, confidence)
    brand_rows, brand = study.brand_rows(brand)
    table = _table(study, touchpoints, point, intervals, brand_rows)
    crosshair_xy, rule = _crosshair(table, touchpoints, crosshair)
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
        method=fit.description + "; " + intervals.method,
        r2=float(point[2]),
        r2_low=float(intervals.r2[0]),
        r2_high=float(intervals.r2[1]),
        n=model.n,
        n_excluded=model.n_excluded,
        brand=brand,
        crosshair=crosshair_xy,
        crosshair_rule=rule,
        n_boot=n_boot,
        min_base=study.codebook.min_base,
        confidence=confidence,
        outcome_label=outcome_name(outcome, item),
    )


def _format_mean(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.2f}"


def _table(study, touchpoints, point, intervals, brand_rows) -> pd.DataFrame:
    importance, slope, r2 = point
    share = 100 * importance / r2
    (share_low, share_high), (slope_low, slope_high) = intervals.share, intervals.slope
    records = []
    for j, tp in enumerate(touchpoints):
        experience = brand_rows[tp.experience.column]
        reach = float(experience.notna().mean())
        gap = np.nan
        if tp.expectation is not None:
            gap = float((experience - brand_rows[tp.expectation.column]).mean())
        stated = np.nan
        if tp.importance is not None:
            stated = float(study.responses[tp.importance.column].mean())
        records.append(
            {
                "touchpoint": tp.id,
                "label": tp.label,
                "stage": tp.stage,
                "importance": importance[j],
                "share": share[j],
                "share_low": share_low[j],
                "share_high": share_high[j],
                "stated_importance": stated,
                "performance": float(experience.mean()),
                "n_performance": int(experience.notna().sum()),
                "gap": gap,
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
