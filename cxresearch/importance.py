"""Derived importance: how much of an outcome's explained variance each driver carries.

Pure linear algebra on correlation matrices (and, for a yes/no outcome, one
logistic fit), so the bootstrap in :mod:`cxresearch.analyses.driver_model` can call these
hundreds of times.

- :func:`relative_weights`: Johnson's relative weights (Johnson 2000).
- :func:`shapley_r2`: the exact Shapley value / LMG decomposition of R-squared
  (Lindeman, Merenda & Gold 1980; Grömping 2006), over all 2^p subsets.
- :func:`logistic_relative_weights`: relative weights for a binary outcome
  (Tonidandel & LeBreton 2010).
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
