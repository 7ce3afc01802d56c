"""Does the strategy's scenario interval cover the true scenario effect?

Each priority says "if the link is causal, raising X to the goal would go with
about +N NPS points [low, high]". Here the link is causal by construction: a
0-10 NPS answer is generated from the touchpoint experiences (a linear latent
satisfaction, as the demo generator plants it, non-users adding nothing) plus
noise, rounded and clipped. The true scenario effect of one touchpoint is
computed by simulating the counterfactual in a large population: the brand's
users of that touchpoint get their experience raised so that their mean
reaches the goal (their mean expectation + 0.6, capped at 7), the answer is
regenerated with the same noise, and NPS is recounted.

The queue is used only by the store's users (as in the demo). With the
pairwise-complete slopes the scenario recovered about 60% of the queue's true
effect; the scenario model now has use indicators (see ``DriverFit.predictor``).
With the demo's answers (about 7% at 10) least squares of the capped answer
flattened the slopes by about 14% and the hotline's interval held the truth
about 67% of the time; the answer model is now a censored (Tobit) regression
(``DriverFit.answer_model``, ``tobit_fit``), checked here against an
independently coded likelihood and a planted truth.
"""

from functools import cache

import numpy as np
import pytest
from scipy import optimize, stats

from cxresearch.analyses.driver_model import (
    DriverData,
    DriverFit,
    Goal,
    ScenarioFrame,
    _nps_after,
    scenarios,
    tobit_fit,
)

TOUCHPOINTS = ("website", "consultant", "store", "queue", "payment", "hotline")
BETA = np.array([0.13, 0.15, 0.065, 0.11, 0.05, 0.20])  # the demo's driver weights
REACH = np.array([0.85, 0.55, 0.7, 0.7, 0.92, 0.4])  # queue: exactly the store's users
QUALITY = np.array(  # mean experience per brand (the brand first), as in the demo
    [
        [6.3, 5.0, 4.9, 3.6, 4.9, 2.9],
        [4.9, 5.4, 4.9, 4.9, 4.9, 5.3],
        [5.0, 4.9, 4.9, 5.3, 4.9, 4.6],
    ]
)
RAW_MEAN, RAW_SD = 0.38, 0.285  # the latent's population mean and sd (it is standardised)
QUEUE, HOTLINE, CONSULTANT = 3, 5, 1
COLUMNS = (QUEUE, HOTLINE, CONSULTANT)
MARGIN, TOP = 0.6, 7.0
NO_CEILING = (5.5, 1.5)  # NPS answer = 5.5 + 1.5 latent + noise: ~0.6% would exceed 10
DEMO = (7.0, 2.0)  # the demo's: ~7% of the answers pile up at 10


def customers(rng, n):
    """Brand (True: the brand's customer), experiences (NaN: not used),
    expectations and the answer's noise of n customers."""
    brand = rng.choice(3, size=n, p=(0.4, 0.3, 0.3))
    used = rng.random((n, len(TOUCHPOINTS))) < REACH
    used[:, QUEUE] = used[:, TOUCHPOINTS.index("store")]
    experience = np.clip(np.rint(QUALITY[brand] + rng.normal(0, 0.9, used.shape)), 1, 7)
    expectation = np.clip(np.rint(5 + rng.normal(0, 0.7, used.shape)), 1, 7)
    return brand == 0, np.where(used, experience, np.nan), expectation, rng.normal(0, 1.3, n)


def answer(x, noise, outcome):
    """The 0-10 NPS answer: linear in the latent satisfaction, rounded, clipped."""
    latent = (np.nansum(BETA * (x - 4), axis=1) - RAW_MEAN) / RAW_SD
    mean, gain = outcome
    return np.clip(np.rint(mean + gain * latent + noise), 0, 10)


def nps_contribution(y):
    return np.where(y >= 9, 100.0, np.where(y <= 6, -100.0, 0.0))


@cache
def true_change(column, outcome, n=300_000):
    """The scenario's true NPS change among the brand's customers: the users'
    experience raised by the same amount s (capped at 7) so that their mean
    reaches their mean expectation + 0.6; same noise, answer regenerated."""
    mine, x, expectation, noise = customers(np.random.default_rng(2024), n)
    x, expectation, noise = x[mine], expectation[mine], noise[mine]
    used = ~np.isnan(x[:, column])
    goal = min(TOP, expectation[used, column].mean() + MARGIN)
    low, high = 0.0, TOP - 1.0
    for _ in range(60):
        s = (low + high) / 2
        low, high = (s, high) if np.minimum(TOP, x[used, column] + s).mean() < goal else (low, s)
    raised = x.copy()
    raised[used, column] = np.minimum(TOP, x[used, column] + high)
    before, after = answer(x, noise, outcome), answer(raised, noise, outcome)
    return float(nps_contribution(after).mean() - nps_contribution(before).mean())


def reported(rng, n, outcome, n_boot, seed):
    """The scenarios as the strategy reports them, on a sample of n customers."""
    mine, x, expectation, noise = customers(rng, n)
    y = answer(x, noise, outcome)
    w = np.ones(n)
    model = DriverData(x, y, nps_contribution(y), w, 0, np.ones(n, dtype=bool), TOUCHPOINTS)
    frame = ScenarioFrame(x, nps_contribution(y), w, mine, (-100.0, 100.0), answer=y)
    goals = [
        Goal(j, TOP, MARGIN, expectation=np.where(np.isnan(x[:, j]), np.nan, expectation[:, j]))
        for j in COLUMNS
    ]
    return scenarios(DriverFit(model, "relative_weights", False), frame, goals, n_boot, seed, 0.95)


@cache
def coverage(outcome, replications=60, n=500, n_boot=100):
    """The share of replications whose 95% interval holds the true change, per
    touchpoint of COLUMNS."""
    truth = np.array([true_change(j, outcome) for j in COLUMNS])
    rng = np.random.default_rng(11)
    hits = []
    for r in range(replications):
        result = reported(rng, n, outcome, n_boot, seed=r)
        hits.append((result.low <= truth) & (truth <= result.high))
    return dict(zip(COLUMNS, np.mean(hits, axis=0), strict=True))


# nominal 0.95 less three simulation standard errors of 60 replications
LOWEST = 0.95 - 3 * np.sqrt(0.95 * 0.05 / 60)


def test_the_scenario_recovers_the_effect_of_a_touchpoint_only_some_customers_use():
    """A large sample (no bootstrap): the point estimates are close to the true
    effects, the queue's (used only in the store) included."""
    result = reported(np.random.default_rng(3), 60_000, NO_CEILING, n_boot=0, seed=0)
    for g, column in enumerate(COLUMNS):
        truth = true_change(column, NO_CEILING)
        assert result.change[g] == pytest.approx(truth, rel=0.08), TOUCHPOINTS[column]


@pytest.mark.slow
@pytest.mark.parametrize("column", COLUMNS, ids=[TOUCHPOINTS[j] for j in COLUMNS])
def test_the_scenario_interval_covers_the_true_effect(column):
    """60 samples of 500 customers, 100 bootstrap resamples of the whole chain
    each: the 95% interval holds the true change about 95% of the time."""
    assert coverage(NO_CEILING)[column] >= LOWEST


@pytest.mark.slow
def test_the_interval_covers_the_true_effect_when_answers_pile_up_at_ten():
    """The demo's answers, about 7% at 10: least squares flattened the hotline's
    slope and its interval held the truth about 67% of the time; the censored
    regression's holds it about 95% of the time."""
    assert coverage(DEMO)[HOTLINE] >= LOWEST


def test_the_scenario_recovers_the_effect_when_answers_pile_up_at_ten():
    """A large sample (no bootstrap) with the demo's ceiling: the point
    estimates are close to the true effects (least squares lost about 14%)."""
    result = reported(np.random.default_rng(3), 60_000, DEMO, n_boot=0, seed=0)
    for g, column in enumerate(COLUMNS):
        truth = true_change(column, DEMO)
        assert result.change[g] == pytest.approx(truth, rel=0.08), TOUCHPOINTS[column]


def censored_sample(rng, n, beta, sigma, low=0.5, high=9.5):
    """A design [1, normal, use indicator], positive weights and an answer
    ``x'beta + N(0, sigma^2)`` kept within [low, high]."""
    x = np.column_stack([np.ones(n), rng.normal(0, 1.5, n), rng.random(n) < 0.5])
    w = rng.uniform(0.5, 2.0, n)
    return x, np.clip(x @ beta + rng.normal(0, sigma, n), low, high), w


def reference_tobit(x, y, w, low, high):
    """The two-limit Tobit fit coded independently: scipy.stats' normal
    log-density and log tails, minimised by Nelder-Mead (no gradient)."""

    def loss(theta):
        mu, sd = x @ theta[:-1], np.exp(theta[-1])
        loglik = np.where(
            y <= low,
            stats.norm.logcdf(low, mu, sd),
            np.where(y >= high, stats.norm.logsf(high, mu, sd), stats.norm.logpdf(y, mu, sd)),
        )
        return -(w @ loglik)

    start = np.append(np.linalg.lstsq(x, y, rcond=None)[0], 0.0)
    options = {"xatol": 1e-9, "fatol": 1e-10, "maxiter": 40_000, "maxfev": 40_000}
    result = optimize.minimize(loss, start, method="Nelder-Mead", options=options)
    return result.x[:-1], np.exp(result.x[-1])


def test_the_censored_fit_matches_an_independent_likelihood():
    """About 18% at the top and a few at the bottom, weighted: the maximum
    likelihood estimate equals a gradient-free fit of the same likelihood."""
    x, y, w = censored_sample(np.random.default_rng(5), 3000, np.array([7.0, 0.9, 0.6]), 1.8)
    assert (y >= 9.5).mean() > 0.1 and (y <= 0.5).any()
    start = np.linalg.lstsq(x, y, rcond=None)[0]
    b, sigma = tobit_fit(x, y, w, start, 0.5, 9.5)
    b_ref, sigma_ref = reference_tobit(x, y, w, 0.5, 9.5)
    assert b == pytest.approx(b_ref, abs=1e-5)
    assert sigma == pytest.approx(sigma_ref, abs=1e-5)


def test_the_censored_fit_recovers_a_planted_truth_that_least_squares_flattens():
    """200,000 answers, a fifth of them at the ceiling: the Tobit slopes and
    sigma are the planted ones; least squares' slopes are visibly flatter."""
    beta = np.array([7.5, 0.8, 0.5])
    x, y, w = censored_sample(np.random.default_rng(8), 200_000, beta, 1.5)
    start = np.linalg.lstsq(x, y, rcond=None)[0]
    b, sigma = tobit_fit(x, y, w, start, 0.5, 9.5)
    assert b == pytest.approx(beta, abs=0.02)
    assert sigma == pytest.approx(1.5, abs=0.01)
    assert start[1] < 0.9 * beta[1]


def test_a_censored_answer_is_recounted_with_the_truncated_normal():
    """A 10 stays a promoter when raised; a 0 raised by 7 points stays a
    detractor only if its latent answer was below -0.5, i.e. with probability
    Phi((-0.5 - mean) / sigma) / Phi((0.5 - mean) / sigma); an answer 1-9 is its
    rounding cell, so a 6 raised by 2.5 becomes a promoter half the time."""
    answer, mean = np.array([10.0, 0.0, 6.0]), np.array([8.0, 1.0, 6.0])
    assert _nps_after(answer, 0.0, mean, 2.0) == pytest.approx([100, -100, -100])
    stays = stats.norm.cdf((-0.5 - 1.0) / 2.0) / stats.norm.cdf((0.5 - 1.0) / 2.0)
    raised = _nps_after(answer, np.array([1.0, 7.0, 2.5]), mean, 2.0)
    assert raised == pytest.approx([100, -100 * stays, 50])


def test_collinear_columns_share_the_censored_slope_as_least_squares_would():
    """The same experience entered twice: the likelihood cannot tell the two
    apart, and the fit returns the least-norm maximiser (half the slope each),
    as the minimum-norm least squares did."""
    x, y, w = censored_sample(np.random.default_rng(9), 2000, np.array([7.0, 0.9, 0.6]), 1.8)
    single, _ = tobit_fit(x, y, w, np.linalg.lstsq(x, y, rcond=None)[0], 0.5, 9.5)
    twice = np.column_stack([x, x[:, 1]])
    start = np.linalg.lstsq(twice, y, rcond=None)[0]
    b, _ = tobit_fit(twice, y, w, start, 0.5, 9.5)
    assert b[[1, 3]] == pytest.approx([single[1] / 2] * 2, abs=1e-6)
    assert b[[0, 2]] == pytest.approx(single[[0, 2]], abs=1e-6)


def test_a_pilot_of_six_respondents_gets_its_scenario_without_failing(tmp_path):
    """Six answers (and bootstrap resamples of them) can leave the censored
    likelihood without a finite maximum; the fit then keeps least squares instead
    of failing (the strategy chapter of a pilot used to stop here)."""
    from conftest import write_study

    import cxresearch as cx

    result = cx.strategy(cx.load_study(write_study(tmp_path / "pilot")), n_boot=50)
    assert np.isfinite(result.priorities["expected_change"]).all()
