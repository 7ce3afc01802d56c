"""Key drivers on the demo: the planted driver ranking is recovered; IPA and impact."""

import importlib
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import spearmanr

import cxresearch as cx


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory):
    path = cx.make_demo_study(tmp_path_factory.mktemp("drivers"), n=4000, random_state=7)
    return cx.load_study(path), json.loads((path.parent / "truth.json").read_text())


@pytest.mark.parametrize("outcome", ["nps", "csat", "loyalty"])
def test_driver_ranking_recovers_the_planted_weights(big_demo, outcome):
    study, truth = big_demo
    result = cx.drivers(study, outcome=outcome, n_boot=0)
    planted = [truth["driver_weights"][tp] for tp in result.table["touchpoint"]]
    assert spearmanr(planted, result.table["share"]).statistic >= 0.9
    assert result.ranking()[0] == max(truth["driver_weights"], key=truth["driver_weights"].get)


def test_shares_sum_to_100_and_importance_to_r2(demo):
    result = cx.drivers(demo, n_boot=20)
    assert result.table["share"].sum() == pytest.approx(100)
    assert result.table["importance"].sum() == pytest.approx(result.r2)
    assert (result.table["share_low"] <= result.table["share_high"]).all()
    assert result.r2_low <= result.r2 <= result.r2_high


def test_shapley_method_and_relative_weights_agree_on_the_ranking(demo):
    rw = cx.drivers(demo, n_boot=0)
    lmg = cx.drivers(demo, method="shapley", n_boot=0)
    assert lmg.r2 == pytest.approx(rw.r2)
    assert spearmanr(rw.table["share"], lmg.table["share"]).statistic > 0.95
    assert "Shapley" in lmg.method


def test_binary_outcome_uses_logistic_relative_weights(demo):
    result = cx.drivers(demo, outcome="retained", n_boot=10)
    assert "logistic relative weights" in result.method
    assert result.outcome_unit == "% points"
    assert result.table["share"].sum() == pytest.approx(100)


def test_same_seed_same_intervals(demo):
    a = cx.drivers(demo, n_boot=30, random_state=1).table
    b = cx.drivers(demo, n_boot=30, random_state=1).table
    assert a["share_low"].equals(b["share_low"]) and a["impact_high"].equals(b["impact_high"])


def test_quadrants_follow_the_stated_crosshair(demo):
    result = cx.drivers(demo, n_boot=0)
    imp0, perf0 = result.crosshair
    assert imp0 == pytest.approx(result.table["share"].mean())
    for row in result.table.itertuples():
        high_imp, high_perf = row.share >= imp0, row.performance >= perf0
        expected = {
            (True, False): "concentrate here",
            (True, True): "keep up the good work",
            (False, False): "low priority",
            (False, True): "possible overkill",
        }[(high_imp, high_perf)]
        assert row.quadrant == expected
    hotline = result.table.set_index("touchpoint").loc["hotline"]
    assert hotline["quadrant"] == "concentrate here"
    midpoint = cx.drivers(demo, n_boot=0, crosshair="midpoint")
    assert midpoint.crosshair == pytest.approx((100 / 15, 4.0))


def test_impact_is_the_regression_slope_in_nps_points_times_reach(demo):
    result = cx.drivers(demo, n_boot=0, weighted=False)
    r = demo.responses.dropna(subset=["recommend"])
    columns = [tp.experience.column for tp in demo.codebook.touchpoints]
    x = r[columns].astype(float)
    x = x.fillna(x.mean())
    contribution = np.select([r["recommend"] >= 9, r["recommend"] <= 6], [100.0, -100.0], 0.0)
    slopes = sm.OLS(contribution, sm.add_constant(x.to_numpy())).fit().params[1:]
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    reach = acme[columns].notna().mean().to_numpy()
    assert result.table["impact"].to_numpy() == pytest.approx(slopes * reach)


def test_unknown_outcome_and_too_many_drivers_for_shapley(demo):
    with pytest.raises(KeyError, match="no outcome"):
        cx.drivers(demo, outcome="happiness")


@pytest.mark.slow
def test_bag_of_little_bootstraps_agrees_with_the_ordinary_bootstrap(tmp_path, monkeypatch):
    drivers_module = importlib.import_module("cxresearch.analyses.driver_model")
    study = cx.load_study(cx.make_demo_study(tmp_path, n=60_000, random_state=9, events=False))
    ordinary = cx.drivers(study, n_boot=200, random_state=3)
    monkeypatch.setattr(drivers_module, "BLB_THRESHOLD", 50_000)
    little = cx.drivers(study, n_boot=200, random_state=3)
    assert "bag of little bootstraps" in little.method and "ordinary" in ordinary.method
    width = lambda r: (r.table["share_high"] - r.table["share_low"]).to_numpy()  # noqa: E731
    big = (ordinary.table["share"] > 5).to_numpy()
    assert width(little)[big] == pytest.approx(width(ordinary)[big], rel=0.35)
    inside = (little.table["share_low"] <= little.table["share"]) & (
        little.table["share"] <= little.table["share_high"]
    )
    assert inside[big].all()


def test_stated_importance_is_reported_beside_derived_importance(tmp_path):
    from conftest import BASIC_CODEBOOK, write_study

    rng = np.random.default_rng(0)
    n = 200
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "brand": rng.choice(["Acme", "Rival"], n),
            "perf_web": rng.integers(1, 8, n),
            "exp_web": rng.integers(1, 8, n),
            "imp_web": rng.integers(3, 6, n),
            "perf_hot": rng.integers(1, 8, n),
        }
    )
    rows["recommend"] = np.clip(rows["perf_web"] + rng.integers(0, 4, n), 0, 10)
    rows["sat"] = rng.integers(1, 6, n)
    touchpoints = [
        {**BASIC_CODEBOOK["touchpoints"][0], "importance": {"column": "imp_web", "scale": [1, 5]}},
        BASIC_CODEBOOK["touchpoints"][1],
    ]
    study = cx.load_study(write_study(tmp_path, rows, touchpoints=touchpoints))
    result = cx.drivers(study, n_boot=0)
    stated = result.table.set_index("touchpoint")["stated_importance"]
    assert stated["website"] == pytest.approx(rows["imp_web"].mean())
    assert np.isnan(stated["hotline"])
    assert "stated importance" in result._repr_html_()
