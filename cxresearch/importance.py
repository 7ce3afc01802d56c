"""Derived importance: how much of an outcome's explained variance each driver carries.

Pure linear algebra on correlation matrices (and, for a yes/no outcome, one
logistic fit), so the bootstrap in :mod:`cxresearch.analyses.driver_model` can call these
hundreds of times.

- :func:`relative_weights`: Johnson's relative weights (Johnson 2000).
- :func:`shapley_r2`: the exact Shapley value / LMG decomposition of R-squared
  (Lindeman, Merenda & Gold 1980; Grömping 2006), over all 2^p subsets.
- :func:`logistic_relative_weights`: relative weights for a binary outcome
  (Tonidandel & LeBreton 2010).
- :func:`pairwise_correlation` (from :func:`pairwise_sums`): pairwise-complete
  correlations, so that an item with many missing answers is not shrunk as by
  mean imputation; :func:`nearest_correlation` makes such a matrix positive
  semi-definite (Higham 2002).
- :func:`first_component_share`: the halo check, the first principal
  component's share of the items' variance.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np

MAX_SHAPLEY_DRIVERS = 15


def weighted_correlation(data: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) Pearson correlation matrix of the columns of ``data``."""
    data = np.asarray(data, dtype=float)
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    centred = data - w @ data
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights of p correlated predictors.

    Parameters
    ----------
    rxx : (p, p) array
        Correlations among the predictors.
    rxy : (p,) array
        Correlations of the predictors with the outcome.

    Returns
    -------
    (p,) array of raw weights; they sum to the model's R-squared.

    Notes
    -----
    With ``rxx = V diag(e) V'``, the orthogonal counterparts Z of the
    predictors relate to them through ``Lambda = V diag(sqrt(e)) V'``. The
    outcome's regression on Z is ``beta = Lambda^-1 rxy``, and predictor j's
    weight is ``eps_j = sum_k Lambda_jk^2 beta_k^2``.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative
    weight of predictor variables in multiple regression. Multivariate
    Behavioral Research 35(1), 1-19.
    """
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 1e-12, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def r2_of_subsets(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R-squared of the regression on every subset of predictors, indexed by bit mask.

    ``r2[mask]`` with bit j of ``mask`` set when predictor j is in the model:
    ``R^2(S) = r_S' R_SS^-1 r_S``. Subsets of one size are solved in one batch.
    """
    p = len(rxy)
    r2 = np.zeros(2**p)
    for size in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), size)))
        blocks = rxx[subsets[:, :, None], subsets[:, None, :]]
        r = rxy[subsets]
        solved = np.linalg.solve(blocks, r[..., None])[..., 0]
        masks = (1 << subsets).sum(axis=1)
        r2[masks] = np.einsum("ij,ij->i", r, solved)
    return r2


def shapley_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Exact Shapley (LMG) decomposition of R-squared; the shares sum to R-squared.

    Notes
    -----
    ``phi_j = sum over S not containing j of |S|! (p - |S| - 1)! / p! *
    (R^2(S + j) - R^2(S))``: predictor j's increase in R-squared averaged over
    all p! orders of entering the model. Exact for p <= 15 (2^15 subsets).

    References
    ----------
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to
    bivariate and multivariate analysis. Grömping, U. (2006). Relative
    importance for linear regression in R: the package relaimpo. Journal of
    Statistical Software 17(1).
    """
    p = len(rxy)
    if p > MAX_SHAPLEY_DRIVERS:
        raise ValueError(f"exact Shapley needs at most {MAX_SHAPLEY_DRIVERS} drivers, not {p}")
    r2 = r2_of_subsets(rxx, rxy)
    masks = np.arange(2**p)
    sizes = np.array([bin(m).count("1") for m in masks])
    order_weight = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    shares = np.empty(p)
    for j in range(p):
        without = masks[(masks & (1 << j)) == 0]
        shares[j] = np.sum(order_weight[sizes[without]] * (r2[without | (1 << j)] - r2[without]))
    return shares


def logistic_relative_weights(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Relative weights for a yes/no outcome; returns ``(weights, R-squared)``.

    Notes
    -----
    The predictors are replaced by their orthogonal counterparts Z (as in
    :func:`relative_weights`), y is regressed on Z by logistic regression
    (coefficients b), and the coefficients are standardised as
    ``beta_k = b_k * R / sd(logit(p_hat))`` with ``R^2`` the squared
    correlation of the predicted probabilities with y. Then
    ``eps_j = sum_k Lambda_jk^2 beta_k^2``, which sums to that R-squared.

    References
    ----------
    Tonidandel, S. & LeBreton, J. M. (2010). Determining the relative
    importance of predictors in logistic regression: an extension of relative
    weight analysis. Organizational Research Methods 13(4), 767-781.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    mean = np.average(x, axis=0, weights=w)
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    standard = (x - mean) / sd
    rxx = weighted_correlation(standard, w)
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 1e-12, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    z = standard @ np.linalg.solve(lam, np.eye(len(lam)))
    coefficients, fitted = logistic_fit(z, y, w)
    logit = np.log(fitted / (1 - fitted))
    logit_sd = np.sqrt(np.average((logit - np.average(logit, weights=w)) ** 2, weights=w))
    r2 = float(weighted_correlation(np.column_stack([fitted, y]), w)[0, 1] ** 2)
    z_sd = np.sqrt(np.average((z - np.average(z, axis=0, weights=w)) ** 2, axis=0, weights=w))
    beta = coefficients[1:] * z_sd * np.sqrt(r2) / logit_sd
    return (lam**2) @ (beta**2), r2


def logistic_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, iterations: int = 50):
    """Weighted logistic regression (with intercept) by Newton-Raphson:
    returns ``(coefficients, fitted probabilities)``."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    design = np.column_stack([np.ones(len(x)), x])
    coefficients = np.zeros(design.shape[1])
    for _ in range(iterations):
        fitted = 1 / (1 + np.exp(-np.clip(design @ coefficients, -30, 30)))
        gradient = design.T @ (w * (y - fitted))
        hessian = (design * (w * fitted * (1 - fitted))[:, None]).T @ design
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(hessian)), gradient)
        coefficients += step
        if np.max(np.abs(step)) < 1e-10:
            break
    fitted = 1 / (1 + np.exp(-np.clip(design @ coefficients, -30, 30)))
    return coefficients, np.clip(fitted, 1e-12, 1 - 1e-12)


def pairwise_sums(data: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """The weighted sums behind pairwise-complete correlations of ``data`` (NaN: missing).

    For columns i, j over the rows where both are present (weights w):
    ``s0 = sum w``, ``s1[i, j] = sum w x_i``, ``s2 = sum w x_i x_j`` and
    ``sq[i, j] = sum w x_i^2``. Sums of row chunks add up, so a large study can
    be summed chunk by chunk.
    """
    present = ~np.isnan(data)
    filled = np.where(present, data, 0.0)
    weighted_present = present * weights[:, None]
    return (
        present.T.astype(float) @ weighted_present,
        filled.T @ weighted_present,
        filled.T @ (filled * weights[:, None]),
        (filled**2).T @ weighted_present,
    )


def correlation_from_sums(
    sums: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson correlations from :func:`pairwise_sums`.

    Returns ``(corr, means, sds)``: ``corr[i, j]`` uses the means and standard
    deviations of the rows where both i and j were answered (as
    ``pandas.DataFrame.corr``); ``means`` and ``sds`` are each column's own,
    over all its answers. A pair without variance in common (fewer than two
    distinct values together) gets a correlation of 0.
    """
    s0, s1, s2, sq = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_i = s1 / s0
        mean_j = mean_i.T
        cov = s2 / s0 - mean_i * mean_j
        var_i = sq / s0 - mean_i**2
        corr = cov / np.sqrt(var_i * var_i.T)
    corr = np.clip(np.where(np.isfinite(corr), corr, 0.0), -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    means = np.diag(mean_i).copy()
    sds = np.sqrt(np.clip(np.diag(var_i), 0.0, None))
    return corr, np.where(np.isfinite(means), means, 0.0), np.where(np.isfinite(sds), sds, 0.0)


def pairwise_correlation(data: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) pairwise-complete correlation matrix of ``data`` (NaN: missing)."""
    data = np.asarray(data, dtype=float)
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=float)
    centred = data - np.nanmean(data, axis=0)  # keeps the sums free of cancellation
    return correlation_from_sums(pairwise_sums(centred, w))[0]


def nearest_correlation(matrix: np.ndarray, tol: float = 1e-9, max_iter: int = 500) -> np.ndarray:
    """The nearest correlation matrix (positive semi-definite, unit diagonal).

    A pairwise-complete correlation matrix need not be positive semi-definite;
    regressions on it then fail or give shares below zero. Alternating
    projections with Dykstra's correction onto the positive semi-definite
    matrices and the unit-diagonal matrices converge to the nearest correlation
    matrix in the Frobenius norm. A matrix that is already positive
    semi-definite is returned unchanged.

    References
    ----------
    Higham, N. J. (2002). Computing the nearest correlation matrix: a problem
    from finance. IMA Journal of Numerical Analysis 22(3), 329-343.
    """
    a = (np.asarray(matrix, dtype=float) + np.asarray(matrix, dtype=float).T) / 2
    if np.linalg.eigvalsh(a)[0] >= -1e-12:
        return a
    y, correction = a.copy(), np.zeros_like(a)
    for _ in range(max_iter):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x = (vectors * np.clip(values, 0.0, None)) @ vectors.T
        correction = x - r
        previous, y = y, x.copy()
        np.fill_diagonal(y, 1.0)
        if np.linalg.norm(y - previous) <= tol * np.linalg.norm(y):
            break
    return (y + y.T) / 2


def first_component_share(rxx: np.ndarray) -> float:
    """The share of the items' total variance carried by their first principal
    component, ``lambda_max / p`` of their correlation matrix (1/p when the items
    are uncorrelated, 1 when they move as one)."""
    return float(np.linalg.eigvalsh(rxx)[-1] / len(rxx))
