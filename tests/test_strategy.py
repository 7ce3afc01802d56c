"""Strategy priorities and wave trends: built from the analyses, ranked by expected impact."""

import json

import numpy as np
import pytest
from scipy import stats

import cxresearch as cx


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


def test_the_goal_is_the_higher_of_expectation_and_leader(planted, plan):
    study, _ = planted
    row = plan.priorities.set_index("touchpoint").loc["queue"]
    gaps = cx.gaps(study).table.set_index("touchpoint").loc["queue"]
    leader = cx.compare(study).positions.set_index("touchpoint").loc["queue", "leader_value"]
    assert row["target"] == pytest.approx(round(max(gaps["expectation"], leader), 1))


def test_abandonment_step_and_protected_strengths(plan):
    payment = plan.priorities.set_index("touchpoint").loc["payment"]
    assert "most web sessions are lost here" in payment["evidence"]
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
