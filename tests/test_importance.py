"""Relative weights and Shapley/LMG against independent computations."""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.correlation_tools import corr_nearest

from cxresearch.importance import (
    first_component_share,
    logistic_relative_weights,
    nearest_correlation,
    pairwise_correlation,
    relative_weights,
    shapley_r2,
    weighted_correlation,
)


@pytest.fixture(scope="module")
def correlated():
    rng = np.random.default_rng(42)
    n = 400
    x = rng.normal(size=(n, 4))
    x[:, 1] += 0.7 * x[:, 0]
    x[:, 3] += 0.5 * x[:, 2]
    y = x @ np.array([0.6, 0.3, 0.2, 0.05]) + rng.normal(size=n)
    return x, y


def _r2(x, y, columns):
    if not columns:
        return 0.0
    return sm.OLS(y, sm.add_constant(x[:, list(columns)])).fit().rsquared


def _split(x, y):
    corr = weighted_correlation(np.column_stack([x, y]))
    p = x.shape[1]
    return corr[:p, :p], corr[:p, p]


def test_relative_weights_sum_to_the_r2_of_the_full_regression(correlated):
    x, y = correlated
    assert relative_weights(*_split(x, y)).sum() == pytest.approx(_r2(x, y, range(4)))


def test_relative_weights_match_johnsons_construction_from_the_data(correlated):
    """Independent computation: Johnson (2000) built from the data matrix by SVD
    (Z = U V' is the closest orthonormal matrix to the standardized X), not from
    the eigen-decomposition of the correlation matrix used by the package."""
    x, y = correlated
    zx = (x - x.mean(0)) / x.std(0)
    zy = (y - y.mean()) / y.std()
    u, _, vt = np.linalg.svd(zx, full_matrices=False)
    z = u @ vt * np.sqrt(len(x))  # standardized orthogonal counterparts
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # X regressed on Z
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]  # y regressed on Z
    expected = (lam.T**2) @ (beta**2)
    assert relative_weights(*_split(x, y)) == pytest.approx(expected, rel=1e-8)


def test_shapley_equals_the_average_over_all_orderings_by_brute_force(correlated):
    x, y = correlated
    orders = list(itertools.permutations(range(4)))
    brute = np.zeros(4)
    for order in orders:
        entered = []
        for j in order:
            brute[j] += _r2(x, y, entered + [j]) - _r2(x, y, entered)
            entered.append(j)
    assert shapley_r2(*_split(x, y)) == pytest.approx(brute / len(orders), rel=1e-8)


def test_uncorrelated_predictors_get_their_squared_correlations():
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(300, 3))
    x = np.linalg.qr(raw - raw.mean(0))[0]  # centred, exactly orthogonal columns
    y = x @ np.array([3.0, 2.0, 1.0]) + rng.normal(size=300) * 0.1
    rxx, rxy = _split(x, y)
    assert relative_weights(rxx, rxy) == pytest.approx(rxy**2, rel=1e-9)
    assert shapley_r2(rxx, rxy) == pytest.approx(rxy**2, rel=1e-9)


def test_logistic_relative_weights_sum_to_their_r2_and_rank_the_planted_effects():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4000, 3))
    logit = 1.5 * x[:, 0] + 0.7 * x[:, 1] + 0.0 * x[:, 2]
    y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(float)
    weights, r2 = logistic_relative_weights(x, y)
    fitted = sm.Logit(y, sm.add_constant(x)).fit(disp=0).predict()
    assert r2 == pytest.approx(np.corrcoef(fitted, y)[0, 1] ** 2, rel=1e-6)
    assert weights.sum() == pytest.approx(r2)
    assert list(np.argsort(-weights)) == [0, 1, 2]


@pytest.fixture(scope="module")
def holes(correlated):
    """The correlated data with a third to two thirds of each column missing at random."""
    x, y = correlated
    rng = np.random.default_rng(8)
    data = np.column_stack([x, y])
    data[rng.random(data.shape) < np.array([0.6, 0.3, 0.0, 0.5, 0.0])] = np.nan
    return data


def test_pairwise_correlation_matches_pandas_pairwise_complete(holes):
    expected = pd.DataFrame(holes).corr().to_numpy()
    assert pairwise_correlation(holes) == pytest.approx(expected, rel=1e-10)


def test_integer_weights_count_as_repeated_rows(holes):
    weights = np.random.default_rng(1).integers(1, 4, len(holes))
    repeated = np.repeat(holes, weights, axis=0)
    expected = pd.DataFrame(repeated).corr().to_numpy()
    assert pairwise_correlation(holes, weights) == pytest.approx(expected, rel=1e-10)


def test_nearest_correlation_agrees_with_statsmodels():
    broken = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # not PSD
    assert np.linalg.eigvalsh(broken)[0] < 0
    fixed = nearest_correlation(broken)
    assert np.linalg.eigvalsh(fixed)[0] >= -1e-8
    assert np.diag(fixed) == pytest.approx(np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' iteration limit: a reference, not exact
        reference = corr_nearest(broken, threshold=1e-12, n_fact=1000)
    assert fixed == pytest.approx(reference, abs=2e-3)
    assert np.linalg.norm(fixed - broken) <= np.linalg.norm(reference - broken) + 1e-6


def test_a_valid_correlation_matrix_is_left_unchanged(correlated):
    corr = weighted_correlation(np.column_stack(correlated))
    assert nearest_correlation(corr) == pytest.approx(corr, abs=1e-15)


def test_first_component_share_of_equicorrelated_items():
    """p items with a common correlation rho: lambda_1 = 1 + (p - 1) rho."""
    p, rho = 6, 0.5
    corr = np.full((p, p), rho) + (1 - rho) * np.eye(p)
    assert first_component_share(corr) == pytest.approx((1 + (p - 1) * rho) / p)
    assert first_component_share(np.eye(p)) == pytest.approx(1 / p)
