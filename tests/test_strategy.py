"""Strategy priorities and wave trends: built from the analyses, ranked by expected impact."""

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import cxresearch as cx
from cxresearch.analyses.strategy import goal_rule


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = cx.make_demo_study(tmp_path_factory.mktemp("strategy"), n=3000, random_state=7)
    study = cx.load_study(path)
    return study, json.loads((path.parent / "truth.json").read_text())


@pytest.fixture(scope="module")
def plan(planted):
    study, _ = planted
    return cx.strategy(study, segments=cx.segment(study, n_boot=0), n_boot=50)


def test_the_planted_worst_touchpoint_is_the_first_priority(planted, plan):
    _, truth = planted
    first = plan.priorities.iloc[0]
    assert first["touchpoint"] == truth["worst_gap"]["touchpoint"]
    assert "falls short of expectations" in first["evidence"]
    assert first["expected_low"] <= first["expected_change"] <= first["expected_high"]


def test_priorities_are_ranked_by_expected_change_and_carry_catalog_text(planted, plan):
    study, _ = planted
    p = plan.priorities
    assert list(p["rank"]) == list(range(1, len(p) + 1))
    assert p["expected_change"].is_monotonic_decreasing
    hotline = study.codebook.touchpoint("hotline")
    row = p.set_index("touchpoint").loc["hotline"]
    assert row["experience"] == hotline.catalog["experience_to_deliver"]
    assert row["do"] == hotline.catalog["behaviours"]["do"] and row["resources"]
    assert "wait_minutes_hotline" in row["kpi"]
    assert row["segments"]  # the segments with the largest hotline gap are named


def test_the_goal_exceeds_the_expectation_and_never_copies_the_leader(planted, plan):
    """Default goal: the mean expectation of Acme's customers who rated the touchpoint,
    plus a tenth of the 1-7 scale (0.6), capped at 7; the leader is context only."""
    study, _ = planted
    row = plan.priorities.set_index("touchpoint").loc["queue"]
    acme = study.responses[study.responses["brand_rated"] == "Acme"]
    paired = acme.dropna(subset=["perf_queue", "exp_queue"])
    weights = paired[study.codebook.weight]
    expectation = np.average(paired["exp_queue"], weights=weights)
    assert row["target"] == pytest.approx(min(7.0, expectation + 0.6))
    rule = f"expectation {expectation:.2f} + 0.6, a tenth of the 1-7 scale, capped at 7"
    assert row["goal_rule"] == rule
    assert "context, not the goal)" in row["challenge"]
    assert "among all the brand's users (n=" in row["challenge"]  # each figure with its base


def test_the_goal_rule_in_words(planted):
    study, _ = planted
    hotline = study.codebook.touchpoint("hotline")
    goal, how = goal_rule(replace(hotline, target=6.5), 3)
    assert (goal.fixed, goal.margin, how) == (6.5, 0.0, "codebook target 6.5")
    goal, how = goal_rule(hotline, 3, study)
    assert goal.margin == pytest.approx(0.6) and goal.top == 7 and goal.expectation is not None
    assert how == "expectation + 0.6, a tenth of the 1-7 scale, capped at 7"
    goal, how = goal_rule(hotline, 3, None, typical=4.8)
    assert goal.fixed == 4.8 and how.startswith("typical touchpoint 4.80 + 0.6")


def test_priorities_are_scenarios_one_at_a_time_never_summed(plan):
    p = plan.priorities
    assert (p["expected_low"] <= p["expected_change"]).all()
    assert (p["expected_change"] <= p["expected_high"]).all()
    assert "not additive" in plan.caption() and "do not add them up" in plan.caption()
    text = str(plan.findings(top=5)) + plan._repr_html_() + " ".join(plan.display().columns)
    assert "total" not in text.lower() and "expected NPS change" not in text
    assert all("If the link is causal, this priority alone would go with" in g for g in p["goal"])
    assert all("a scenario, not a promise" in g for g in p["goal"])
    assert len(plan.display()) == len(p)  # one row per priority, no sum row


def test_the_interval_covers_the_whole_chain_not_only_the_slope(planted, plan):
    """Resampling the goal, the experience now and the reach with the model widens the
    interval beyond the slope's own error times a fixed gain."""
    p = plan.priorities.set_index("touchpoint")
    drivers = cx.drivers(planted[0], n_boot=50).table.set_index("touchpoint")
    first = p.index[0]
    gain = p.loc[first, "target"] - p.loc[first, "current"]
    slope_only = (drivers.loc[first, "impact_high"] - drivers.loc[first, "impact_low"]) * gain
    assert p.loc[first, "expected_high"] - p.loc[first, "expected_low"] > slope_only


def test_a_scenario_never_pushes_the_outcome_beyond_its_bounds(tmp_path):
    """A strong planted effect and a goal at the scale's top: the linear slope times
    the gain would overshoot NPS +100; the scenario stays within it."""
    from conftest import write_study
    from test_drivers import planted_codebook, planted_study

    _, rows = planted_study(tmp_path / "a", [2.5, 0.2, 0.2], n=1500)
    codebook = planted_codebook(3)
    codebook["touchpoints"][0]["target"] = 7
    study = cx.load_study(write_study(tmp_path / "b", rows, codebook))
    result = cx.strategy(study, n_boot=50)
    row = result.priorities.set_index("touchpoint").loc["t0"]
    assert row["target"] == 7 and row["goal_rule"] == "codebook target 7"
    naive = cx.drivers(study, n_boot=0).table.set_index("touchpoint").loc["t0"]
    room = 100 - result.level
    assert naive["impact"] * (row["target"] - row["current"]) > room  # the straight line overshoots
    assert row["expected_change"] <= room + 1e-9 and row["expected_high"] <= room + 1e-9


def test_a_halo_makes_every_goal_uncertain(tmp_path):
    from test_drivers import planted_study

    study, _ = planted_study(tmp_path, [0, 0, 0, 0, 0], halo=2.0)
    result = cx.strategy(study, n_boot=20)
    assert "a halo" in result.caption() and "read the ranks, not the points" in result.caption()
    warning = "Uncertain: the ratings move together (a halo)."
    assert all(warning in goal for goal in result.priorities["goal"])


def test_abandonment_step_and_protected_strengths(plan):
    payment = plan.priorities.set_index("touchpoint").loc["payment"]
    assert "the web shop's weakest step" in payment["evidence"]
    assert "website" in set(plan.protect["touchpoint"])
    html = plan._repr_html_()
    assert "Challenge." in html and "Protect" in html


def test_no_priority_without_evidence(planted, plan):
    assert "website" not in set(plan.priorities["touchpoint"])  # the planted strength


def test_trends_find_the_planted_wave_change(planted):
    study, truth = planted
    result = cx.trends(study)
    hotline = result.change_of("Hotline")
    assert hotline["significant"] and hotline["change"] > 0
    acme = study.responses[study.responses["brand_rated"] == "Acme"]
    q2 = acme.loc[acme["wave"] == "2026-Q2", "perf_hotline"].dropna()
    q3 = acme.loc[acme["wave"] == "2026-Q3", "perf_hotline"].dropna()
    unweighted = cx.trends(study, weighted=False).change_of("Hotline")
    assert unweighted["change"] == pytest.approx(q3.mean() - q2.mean())
    assert unweighted["p"] == pytest.approx(stats.ttest_ind(q3, q2, equal_var=False).pvalue)
    assert any(line.startswith("Hotline rose") for line in result.moved().lines)
    assert np.isfinite(result.table["p_adjusted"]).all()


def test_trends_and_drivers_suppress_small_bases(demo):
    from conftest import with_min_base

    strict = with_min_base(demo, 200)
    changes = cx.trends(strict)
    assert changes.table["below_min_base"].any()
    assert not changes.table.loc[changes.table["below_min_base"], "significant"].any()
    assert "suppressed" in changes._repr_html_()
    assert "suppressed" in cx.drivers(strict, n_boot=0)._repr_html_()


def test_a_priority_is_never_also_to_protect(demo):
    """Act or protect, not both: a touchpoint among the priorities is not listed
    under "Protect" even when it performs above the typical touchpoint."""
    result = cx.strategy(demo, n_boot=0)
    assert not set(result.priorities["touchpoint"]) & set(result.protect["touchpoint"])


def test_a_strategy_over_several_waves_says_its_numbers_pool_them(demo):
    """The headline cards show the latest wave; the strategy's outcome level pools
    every wave, and its caption says so (with the waves in their order)."""
    caption = cx.strategy(demo, n_boot=0).caption()
    assert "over all 2 waves together (2026-Q2, 2026-Q3)" in caption
