"""The driver model behind :func:`cxresearch.drivers`: the data, one fit, and
the bootstrap around it.

:class:`DriverData` holds the experiences (mean-imputed), the outcome and
the weights; :class:`DriverFit` estimates importance (relative weights,
Shapley, or logistic relative weights), R-squared and the per-point slopes
on a resample; :func:`bootstrap_intervals` resamples respondents (the
ordinary bootstrap, or the bag of little bootstraps for large studies).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..importance import logistic_fit, logistic_relative_weights, relative_weights, shapley_r2


@dataclass(frozen=True)
class DriverData:
    x: np.ndarray  # experiences, mean-imputed, respondents with an outcome
    y: np.ndarray  # the outcome
    y_impact: np.ndarray  # the outcome on the impact scale (NPS contribution for nps)
    w: np.ndarray
    n_excluded: int

    @property
    def n(self) -> int:
        return len(self.y)

    @cached_property
    def _centred(self) -> np.ndarray:
        """[x, y, y_impact], centred once at the sample means (keeps the
        cross-products below free of cancellation)."""
        data = np.column_stack([self.x, self.y, self.y_impact])
        return data - np.average(data, axis=0, weights=self.w)

    def weighted_covariance(
        self, v: np.ndarray, rows: np.ndarray | None = None, chunk: int = 65536
    ) -> np.ndarray:
        """Covariance of [x, y, y_impact] (of ``rows``, None: all) under weights v,
        from cross-products ``C = B'B / sum(v) - m m'`` with ``B = sqrt(v) * data``,
        accumulated over chunks of rows (one small buffer)."""
        data = self._centred if rows is None else self._centred[rows]
        total = v.sum()
        mean = v @ data / total
        root = np.sqrt(v)
        buffer = np.empty((min(chunk, len(data)), data.shape[1]))
        cross = np.zeros((data.shape[1], data.shape[1]))
        for start in range(0, len(data), chunk):
            block = data[start : start + chunk]
            scaled = np.multiply(block, root[start : start + chunk, None], out=buffer[: len(block)])
            cross += scaled.T @ scaled
        return cross / total - np.outer(mean, mean)

    @classmethod
    def of(cls, study, outcome, touchpoints, weighted) -> DriverData:
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


class DriverFit:
    """One estimation of importance, R-squared and per-point coefficients on a resample."""

    def __init__(self, model: DriverData, method: str, binary: bool):
        self.model, self.method, self.binary = model, method, binary
        if binary:
            self.description = "logistic relative weights (Tonidandel & LeBreton 2010)"
        elif method == "shapley":
            self.description = "exact Shapley / LMG decomposition of R² (Lindeman et al. 1980)"
        else:
            self.description = "relative weights (Johnson 2000)"
        self.description += "; mean imputation for touchpoints not used"

    def run(
        self, rows: np.ndarray | None, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Fit on ``rows`` (None: all) with each respondent counted ``counts``
        times: ones for the sample, multinomial counts for a bootstrap resample
        (the same as resampling rows)."""
        m = self.model
        w = m.w if rows is None else m.w[rows]
        v = w * counts
        if self.binary:
            x, y = (m.x, m.y) if rows is None else (m.x[rows], m.y[rows])
            keep = v > 0
            x, y, v = x[keep], y[keep], v[keep]
            importance, r2 = logistic_relative_weights(x, y, v)
            coefficients, fitted = logistic_fit(x, y, v)
            slope = 100 * np.average(fitted * (1 - fitted), weights=v) * coefficients[1:]
            return importance, slope, r2
        cov = m.weighted_covariance(v, rows)
        p = m.x.shape[1]
        sd = np.sqrt(np.diag(cov)[: p + 1])
        corr = cov[: p + 1, : p + 1] / np.outer(sd, sd)
        rxx, rxy = corr[:p, :p], corr[:p, p]
        importance = (
            shapley_r2(rxx, rxy) if self.method == "shapley" else relative_weights(rxx, rxy)
        )
        # OLS of y_impact on x; least squares (minimum norm) stays defined when two
        # touchpoints' experiences are collinear
        slopes = np.linalg.lstsq(cov[:p, :p], cov[:p, p + 1], rcond=None)[0]
        return importance, slopes, float(importance.sum())


@dataclass(frozen=True)
class Intervals:
    share: tuple[np.ndarray, np.ndarray]
    slope: tuple[np.ndarray, np.ndarray]
    r2: tuple[float, float]
    method: str


BLB_THRESHOLD = 100_000


BLB_SUBSETS = 5


def bootstrap_intervals(fit: DriverFit, point, n_boot: int, random_state: int, confidence: float):
    """Percentile bootstrap intervals of importance shares, slopes and R-squared.

    Up to ``BLB_THRESHOLD`` respondents: the ordinary bootstrap, ``n_boot``
    resamples of all respondents (Efron & Tibshirani 1993), percentile
    intervals. Above it: the bag of little bootstraps (Kleiner, Talwalkar,
    Sarkar & Jordan 2014, JRSS B 76(4)): ``BLB_SUBSETS`` random subsets of
    ``b = n^0.7`` respondents, each resampled ``n_boot / BLB_SUBSETS`` times
    with multinomial counts summing to n. The spread of each subset's
    resamples around the subset's own estimate is averaged over subsets and
    placed around the full-sample estimate. Same target, a fraction of the
    cost for a million respondents.
    """
    n = fit.model.n
    alpha = (1 - confidence) / 2
    rng = np.random.default_rng(random_state)
    if n_boot == 0:
        nan = np.full(fit.model.x.shape[1], np.nan)
        return Intervals((nan, nan), (nan, nan), (np.nan, np.nan), "no bootstrap")
    if n <= BLB_THRESHOLD:
        runs = [fit.run(None, rng.multinomial(n, np.full(n, 1 / n))) for _ in range(n_boot)]
        quantiles = [np.quantile(a, [alpha, 1 - alpha], axis=0) for a in _statistics(runs)]
        method = f"ordinary bootstrap, {n_boot} resamples"
    else:
        b = int(n**0.7)
        per_subset = max(2, n_boot // BLB_SUBSETS)
        spreads = []
        for _ in range(BLB_SUBSETS):
            rows = np.sort(rng.choice(n, size=b, replace=False))
            centre = _statistics([fit.run(rows, np.full(b, n / b))])
            runs = [fit.run(rows, rng.multinomial(n, np.full(b, 1 / b))) for _ in range(per_subset)]
            spreads.append(
                [
                    np.quantile(a - c, [alpha, 1 - alpha], axis=0)
                    for a, c in zip(_statistics(runs), centre, strict=True)
                ]
            )
        quantiles = [
            estimate[0] + np.mean([spread[i] for spread in spreads], axis=0)
            for i, estimate in enumerate(_statistics([point]))
        ]
        quantiles[0] = np.clip(quantiles[0], 0, 100)  # shares of R-squared
        quantiles[2] = np.clip(quantiles[2], 0, 1)
        method = (
            f"bag of little bootstraps: {BLB_SUBSETS} subsets of {b:,} x {per_subset} resamples"
        )
    (share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi) = quantiles
    return Intervals((share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi), method)


def _statistics(runs) -> list[np.ndarray]:
    """Shares (% of R-squared), slopes and R-squared of a list of fits, stacked."""
    return [
        np.array([100 * r[0] / r[2] for r in runs]),
        np.array([r[1] for r in runs]),
        np.array([r[2] for r in runs]),
    ]
