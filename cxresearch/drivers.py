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

from .codebook import BinaryItem
from .importance import (
    MAX_SHAPLEY_DRIVERS,
    logistic_fit,
    logistic_relative_weights,
    relative_weights,
    shapley_r2,
    weighted_correlation,
)
from .tables import html_table

METHODS = ("relative_weights", "shapley")
QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


@dataclass(frozen=True)
class Drivers:
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

    def ranking(self) -> list[str]:
        return list(self.table.sort_values("rank")["touchpoint"])

    def plot(self, ax=None):
        """The labelled importance-performance chart."""
        from .plots import ipa_chart

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
        shown["performance"] = t["performance"].map("{:.2f}".format).to_numpy()
        shown["n (brand)"] = t["n_performance"].map("{:,}".format).to_numpy()
        shown[f"impact of +1 point ({self.outcome_unit})"] = [
            f"{v:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            for v, lo, hi in zip(t["impact"], t["impact_low"], t["impact_high"], strict=True)
        ]
        shown["quadrant"] = t["quadrant"].to_numpy()
        return shown

    def _repr_html_(self) -> str:
        caption = (
            f"Drivers of {self.outcome}: {self.method}; R² = {self.r2:.3f} "
            f"[{self.r2_low:.3f}, {self.r2_high:.3f}], n = {self.n:,} "
            f"({self.n_excluded:,} without an answer left out); 95% bootstrap intervals "
            f"({self.n_boot} resamples). Quadrants: {self.crosshair_rule}."
        )
        return html_table(self.display(), 1, caption)


def drivers(
    study,
    outcome: str = "nps",
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
    outcome : str
        An outcome of the codebook: ``"nps"`` (the 0-10 score), ``"csat"``,
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
    model = _ModelData.of(study, outcome, touchpoints, weighted)
    fit = _Fit(model, method, binary)
    point = fit.run(np.arange(model.n))
    rng = np.random.default_rng(random_state)
    boot = [fit.run(rng.integers(0, model.n, model.n)) for _ in range(n_boot)]
    brand_rows, brand = _brand_rows(study, brand)
    table = _table(study, touchpoints, point, boot, brand_rows, confidence)
    crosshair_xy, rule = _crosshair(table, touchpoints, crosshair)
    table["quadrant"] = [
        QUADRANTS[(imp >= crosshair_xy[0], perf >= crosshair_xy[1])]
        for imp, perf in zip(table["share"], table["performance"], strict=True)
    ]
    r2_boot = np.array([b[2] for b in boot]) if boot else np.array([point[2]])
    alpha = (1 - confidence) / 2
    return Drivers(
        table=table,
        outcome=outcome,
        outcome_unit="NPS points"
        if outcome == "nps"
        else ("% points" if binary else "scale points"),
        method=fit.description,
        r2=float(point[2]),
        r2_low=float(np.quantile(r2_boot, alpha)),
        r2_high=float(np.quantile(r2_boot, 1 - alpha)),
        n=model.n,
        n_excluded=model.n_excluded,
        brand=brand,
        crosshair=crosshair_xy,
        crosshair_rule=rule,
        n_boot=n_boot,
    )


@dataclass(frozen=True)
class _ModelData:
    x: np.ndarray  # experiences, mean-imputed, respondents with an outcome
    y: np.ndarray  # the outcome
    y_impact: np.ndarray  # the outcome on the impact scale (NPS contribution for nps)
    w: np.ndarray
    n_excluded: int

    @property
    def n(self) -> int:
        return len(self.y)

    @classmethod
    def of(cls, study, outcome, touchpoints, weighted) -> "_ModelData":
        r = study.responses
        y = study.outcome(outcome).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(y)
        x = np.column_stack([r[tp.experience.column].to_numpy(dtype=float) for tp in touchpoints])
        x = x[keep]
        means = np.nanmean(x, axis=0)
        x = np.where(np.isnan(x), means, x)
        y = y[keep]
        y_impact = np.where(y >= 9, 100.0, np.where(y <= 6, -100.0, 0.0)) if outcome == "nps" else y
        w_column = study.codebook.weight
        w = (
            r[w_column].to_numpy(dtype=float)[keep]
            if weighted and w_column is not None
            else np.ones(int(keep.sum()))
        )
        return cls(x, y, y_impact, w, int((~keep).sum()))


class _Fit:
    """One estimation of importance, R-squared and per-point coefficients on a resample."""

    def __init__(self, model: _ModelData, method: str, binary: bool):
        self.model, self.method, self.binary = model, method, binary
        if binary:
            self.description = "logistic relative weights (Tonidandel & LeBreton 2010)"
        elif method == "shapley":
            self.description = "exact Shapley / LMG decomposition of R² (Lindeman et al. 1980)"
        else:
            self.description = "relative weights (Johnson 2000)"
        self.description += "; mean imputation for touchpoints not used"

    def run(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        m = self.model
        x, y, w = m.x[rows], m.y[rows], m.w[rows]
        if self.binary:
            importance, r2 = logistic_relative_weights(x, y, w)
            coefficients, fitted = logistic_fit(x, y, w)
            slope = 100 * np.average(fitted * (1 - fitted), weights=w) * coefficients[1:]
            return importance, slope, r2
        corr = weighted_correlation(np.column_stack([x, y]), w)
        p = x.shape[1]
        rxx, rxy = corr[:p, :p], corr[:p, p]
        importance = (
            shapley_r2(rxx, rxy) if self.method == "shapley" else relative_weights(rxx, rxy)
        )
        return importance, _ols_slopes(x, m.y_impact[rows], w), float(importance.sum())


def _ols_slopes(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), x])
    weighted = design * w[:, None]
    return np.linalg.solve(weighted.T @ design, weighted.T @ y)[1:]


def _brand_rows(study, brand):
    column = study.codebook.brand_column
    if brand == "auto":
        brand = study.brand if column is not None else None
    if brand is None or column is None:
        return study.responses, None
    return study.responses[study.responses[column] == brand], brand


def _table(study, touchpoints, point, boot, brand_rows, confidence) -> pd.DataFrame:
    importance, slope, r2 = point
    alpha = (1 - confidence) / 2
    share = 100 * importance / r2
    if boot:
        shares = np.array([100 * b[0] / b[2] for b in boot])
        slopes = np.array([b[1] for b in boot])
        share_low, share_high = np.quantile(shares, [alpha, 1 - alpha], axis=0)
        slope_low, slope_high = np.quantile(slopes, [alpha, 1 - alpha], axis=0)
    else:
        share_low = share_high = slope_low = slope_high = np.full(len(touchpoints), np.nan)
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
