"""Intervals against independent references: statsmodels, scipy, hand computation,
and coverage on data with a planted, known truth."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from cxresearch.stats import (
    GroupedSums,
    correct_family,
    kish_effective_n,
    nps_interval,
    quantile_interval,
    t_interval,
    wilson_interval,
    z_value,
)


@pytest.mark.parametrize("count,n", [(0, 10), (3, 10), (50, 100), (99, 100), (7, 7), (412, 1000)])
def test_wilson_matches_statsmodels(count, n):
    low, high = wilson_interval(count / n, n)
    ref_low, ref_high = proportion_confint(count, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


def test_t_interval_matches_scipy():
    x = np.array([3, 4, 5, 5, 6, 7, 2, 4, 5, 6], dtype=float)
    low, high = t_interval(x.mean(), x.var(ddof=1), len(x))
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (low, high) == pytest.approx(ref, abs=1e-12)


def test_nps_interval_by_hand():
    # 10 answers: 5 promoters, 3 detractors. Adjusted Wald (Rocks 2016):
    # P = 5.75/13, D = 3.75/13, NPS_adj = 2/13,
    # SE = sqrt((9.5/13 - (2/13)^2) / 13)
    se = np.sqrt((9.5 / 13 - (2 / 13) ** 2) / 13)
    low, high = nps_interval(0.5, 0.3, 10)
    assert low == pytest.approx(2 / 13 - 1.959963984540054 * se, abs=1e-12)
    assert high == pytest.approx(2 / 13 + 1.959963984540054 * se, abs=1e-12)
    assert (low, high) == pytest.approx((-0.30326, 0.61095), abs=1e-5)


def test_nps_interval_stays_within_bounds_and_has_width_when_all_promoters():
    low, high = nps_interval(1.0, 0.0, 20)
    assert high == 1.0 and 0.5 < low < 1.0


def test_nps_interval_covers_the_planted_truth_about_95_percent():
    rng = np.random.default_rng(2024)
    p_detractor, p_passive, p_promoter = 0.25, 0.35, 0.40
    truth = p_promoter - p_detractor
    n, reps = 60, 4000
    draws = rng.multinomial(n, [p_detractor, p_passive, p_promoter], size=reps)
    low, high = nps_interval(draws[:, 2] / n, draws[:, 0] / n, n)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.935 <= coverage <= 0.965


def test_kish_effective_n():
    assert kish_effective_n([1, 1, 1, 1]) == 4
    assert kish_effective_n([1, 2]) == pytest.approx(9 / 5)
    assert kish_effective_n([2.5] * 10) == pytest.approx(10)


def test_grouped_sums_match_numpy_and_statsmodels():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 8, 500).astype(float)
    x[::17] = np.nan
    w = rng.uniform(0.5, 2.0, 500)
    codes = rng.integers(0, 3, 500)
    unweighted = GroupedSums.of(x, np.ones(500), codes, 3)
    weighted = GroupedSums.of(x, w, codes, 3)
    for g in range(3):
        sel = (codes == g) & ~np.isnan(x)
        assert unweighted.count[g] == sel.sum()
        assert unweighted.mean[g] == pytest.approx(x[sel].mean())
        assert unweighted.variance[g] == pytest.approx(x[sel].var(ddof=1))
        reference = DescrStatsW(x[sel], weights=w[sel])
        assert weighted.mean[g] == pytest.approx(reference.mean)
        assert weighted.n_eff[g] == pytest.approx(kish_effective_n(w[sel]))


def test_grouped_sums_are_mergeable_across_partitions():
    rng = np.random.default_rng(1)
    x, w, codes = rng.normal(size=200), rng.uniform(1, 2, 200), rng.integers(0, 2, 200)
    whole = GroupedSums.of(x, w, codes, 2)
    a, b = (
        GroupedSums.of(x[:80], w[:80], codes[:80], 2),
        GroupedSums.of(x[80:], w[80:], codes[80:], 2),
    )
    assert np.allclose(whole.swx, a.swx + b.swx) and np.allclose(whole.sw2, a.sw2 + b.sw2)


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


# -- one family of comparisons: verdicts and the intervals beside them agree ------------
def _means_family(rng, truth, n=40):
    """One sample of ``n`` per true mean; the t tests and intervals of ``mean = 0``."""
    x = rng.normal(truth[:, None], 1.0, (len(truth), n))
    mean, variance = x.mean(axis=1), x.var(axis=1, ddof=1)
    p = stats.ttest_1samp(x, 0.0, axis=1).pvalue
    return mean, p, lambda level: t_interval(mean, variance, np.full(len(truth), n), level)


def test_bonferroni_intervals_cover_every_truth_together_at_the_nominal_rate():
    rng = np.random.default_rng(14)
    truth = np.array([0, 0, 0, 0, 0.2, 0.3, 0.5, 0.8, 0, 0.1])
    reps, together = 300, 0
    for _ in range(reps):
        _, p, interval_at = _means_family(rng, truth)
        family = correct_family(p, interval_at, confidence=0.95)
        together += np.all((family.low <= truth) & (truth <= family.high))
        assert np.array_equal(family.significant, (family.low > 0) | (family.high < 0))
        assert np.allclose(family.p_adjusted, np.minimum(1, 10 * p))
        assert np.array_equal(family.significant, family.p_adjusted < 0.05)
    assert together / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)


def test_holm_and_fdr_verdicts_match_statsmodels_and_their_intervals():
    rng = np.random.default_rng(5)
    truth = np.array([0, 0, 0, 0.35, 0.4, 0.45, 0.6, 0])
    for method in ("holm", "fdr_bh"):
        for _ in range(50):
            _, p, interval_at = _means_family(rng, truth)
            family = correct_family(p, interval_at, method=method)
            reject, adjusted, *_ = multipletests(p, alpha=0.05, method=method)
            assert np.allclose(family.p_adjusted, adjusted)
            assert np.array_equal(family.significant, reject)


def test_fdr_intervals_keep_the_false_coverage_rate_below_alpha():
    """Benjamini & Yekutieli (2005): among the selected (significant) parameters, the
    expected share of intervals missing their truth is at most alpha."""
    rng = np.random.default_rng(7)
    truth = np.array([0] * 6 + [0.3, 0.4, 0.5, 0.7])
    reps, rates = 300, []
    for _ in range(reps):
        _, p, interval_at = _means_family(rng, truth)
        family = correct_family(p, interval_at, method="fdr_bh")
        chosen = family.significant
        missed = ~((family.low <= truth) & (truth <= family.high))
        rates.append(missed[chosen].mean() if chosen.any() else 0.0)
    assert np.mean(rates) <= 0.05 + 3 * np.std(rates) / np.sqrt(reps)


def test_comparisons_left_out_of_a_family_are_not_counted():
    p = np.array([0.01, 0.02, 0.5, np.nan])
    family = correct_family(
        p, lambda level: (np.zeros(4) - 1, np.ones(4)), include=[True, True, False, True]
    )
    assert family.size == 2 and family.level == pytest.approx(0.975)
    assert np.isnan(family.p_adjusted[2:]).all()
    assert family.p_adjusted[:2] == pytest.approx([0.02, 0.04])


# -- quantiles: no bound rather than the sample's extreme --------------------------------
@pytest.mark.parametrize("n", [5, 10, 20, 50, 301])
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_quantile_interval_matches_scipy_quantile_test(n, q):
    """scipy gives NaN where the order statistic does not exist; we give "no bound"."""
    x = np.random.default_rng(n).exponential(3.0, n)
    value, low, high = quantile_interval(x, q)
    reference = stats.quantile_test(x, q=np.quantile(x, q), p=q).confidence_interval(0.95)
    assert value == pytest.approx(np.quantile(x, q))
    assert low == (-np.inf if np.isnan(reference.low) else pytest.approx(reference.low))
    assert high == (np.inf if np.isnan(reference.high) else pytest.approx(reference.high))


@pytest.mark.parametrize("n", [10, 20, 50, 200])
def test_p90_interval_covers_the_true_p90_at_least_at_the_nominal_rate(n):
    """Exponential waits (mean 1): the true 90th percentile is ln 10. An infinite upper
    bound covers; capping it at the maximum covered 62% at n = 10."""
    rng = np.random.default_rng(n)
    truth, reps = np.log(10), 300
    covered = 0
    for _ in range(reps):
        _, low, high = quantile_interval(rng.exponential(1.0, n), 0.9)
        covered += low <= truth <= high
    assert covered / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
