"""Key drivers on the demo: the planted driver ranking is recovered; IPA and impact."""

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import spearmanr

import cxresearch as cx
from cxresearch.importance import relative_weights, weighted_correlation


def planted_study(folder, effects, n=3000, seed=0, missing=None, halo=0.0):
    """A study with planted effects of p touchpoints (1-7) on NPS (0-10).

    Ratings share a little common variance; ``halo`` adds a general
    satisfaction g to every rating and (twice) to the outcome, so that with
    zero ``effects`` no touchpoint has any effect and only g links them;
    ``missing`` maps a touchpoint number to its share of answers removed
    completely at random. Returns the study and its rows."""
    from conftest import write_study

    rng = np.random.default_rng(seed)
    p = len(effects)
    g = rng.normal(size=n)
    latent = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1)) + halo * g[:, None]
    ratings = np.clip(np.round(4 + 1.2 * latent), 1, 7)
    y = (ratings - 4) @ np.array(effects, dtype=float) + 2 * halo * g + rng.normal(size=n)
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "brand": rng.choice(["Acme", "Rival"], n),
            "recommend": np.clip(np.round(7 + y), 0, 10).astype(int),
        }
    )
    for j in range(p):
        column = ratings[:, j].copy()
        if missing and j in missing:
            column[rng.random(n) < missing[j]] = np.nan
        rows[f"r{j}"] = column
    return cx.load_study(write_study(Path(folder), rows, planted_codebook(p))), rows


def planted_codebook(p: int) -> dict:
    """The codebook of :func:`planted_study`: p touchpoints t0.. (columns r0..)."""
    return {
        "name": "Planted",
        "brand": "Acme",
        "min_base": 30,
        "responses": "responses.csv",
        "columns": {"id": "id", "brand": "brand"},
        "outcomes": {"nps": {"column": "recommend", "scale": [0, 10]}},
        "touchpoints": [
            {
                "id": f"t{j}",
                "label": f"Touchpoint {j}",
                "stage": "during",
                "experience": {"column": f"r{j}", "scale": [1, 7]},
            }
            for j in range(p)
        ],
    }


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


def test_impact_is_the_regression_slope_in_nps_points_times_reach(tmp_path):
    """Complete answers: the slope is the OLS coefficient of the NPS contribution."""
    study, rows = planted_study(tmp_path, [0.6, 0.3, 0.2])
    result = cx.drivers(study, n_boot=0, weighted=False)
    x = rows[["r0", "r1", "r2"]].to_numpy(dtype=float)
    contribution = np.select([rows["recommend"] >= 9, rows["recommend"] <= 6], [100.0, -100.0], 0.0)
    slopes = sm.OLS(contribution, sm.add_constant(x)).fit().params[1:]
    reach = 1.0  # every Acme customer answered
    assert result.table["slope"].to_numpy() == pytest.approx(slopes, rel=1e-6)
    assert result.table["impact"].to_numpy() == pytest.approx(slopes * reach, rel=1e-6)
    fitted = sm.OLS(rows["recommend"].to_numpy(float), sm.add_constant(x)).fit()
    assert result.r2 == pytest.approx(fitted.rsquared, rel=1e-6)


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


def test_an_item_with_many_missing_answers_keeps_its_importance(tmp_path):
    """60% of touchpoint 0's answers removed completely at random: the pairwise
    estimate stays near the full-data share, mean imputation would halve it."""
    effects = [0.6, 0.3, 0.3, 0.1]
    full, _ = planted_study(tmp_path / "full", effects)
    holes, rows = planted_study(tmp_path / "holes", effects, missing={0: 0.6})
    complete = cx.drivers(full, n_boot=0).table.set_index("touchpoint")
    result = cx.drivers(holes, n_boot=0).table.set_index("touchpoint")
    assert result.loc["t0", "missing"] == pytest.approx(0.6, abs=0.03)
    assert result.loc["t0", "share"] == pytest.approx(complete.loc["t0", "share"], abs=3)
    # the old way, for comparison: mean imputation shrinks the item
    x = rows[["r0", "r1", "r2", "r3"]].astype(float)
    corr = weighted_correlation(np.column_stack([x.fillna(x.mean()), rows["recommend"]]))
    imputed = relative_weights(corr[:4, :4], corr[:4, 4])
    assert 100 * imputed[0] / imputed.sum() < complete.loc["t0", "share"] - 15
    assert "missing answers" in cx.drivers(holes, n_boot=0).display().columns


def test_a_negative_effect_keeps_its_sign_in_table_display_and_chart(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    study, _ = planted_study(tmp_path, [0.6, -0.4, 0.3, 0.1])
    result = cx.drivers(study, n_boot=20)
    t = result.table.set_index("touchpoint")
    assert t.loc["t1", "direction"] == "negative" and t.loc["t1", "signed_share"] < -5
    assert (t.drop("t1")["direction"] == "positive").all()
    shown = result.display().set_index(result.table["touchpoint"])
    assert shown.loc["t1", "importance, % of R² (signed)"].startswith("-")
    ax = result.plot()
    key = " ".join(text.get_text() for text in ax.texts)
    assert "Touchpoint 1 (negative link)" in key
    assert any(c.get_label() == "negative link" for c in ax.collections)


def test_a_halo_is_reported_and_no_per_touchpoint_impact_is_claimed(tmp_path):
    """A general satisfaction drives every rating and NPS; no touchpoint has any effect."""
    study, _ = planted_study(tmp_path, [0, 0, 0, 0, 0], halo=2.0)
    result = cx.drivers(study, n_boot=30)
    assert result.has_halo and result.halo > 0.6
    lines = result.findings().lines
    assert lines[0].startswith("Ratings move together (a halo)")
    assert "read the ranks, not the points" in lines[0]
    text = " ".join(lines) + result.caption()
    assert "would move" not in text and "significant" not in text
    assert not any("one more point would go with" in line for line in lines)
    assert "a causal effect only if nothing else drives both" in result.caption()


def test_no_halo_on_distinct_ratings(tmp_path):
    study, _ = planted_study(tmp_path, [0.6, 0.3, 0.2])
    result = cx.drivers(study, n_boot=0)
    assert result.halo < 0.6 and not result.has_halo
    assert "If the link is causal" in result.findings().lines[0]


def test_an_empty_or_constant_rating_column_is_left_out_with_a_note(tmp_path):
    _, rows = planted_study(tmp_path / "a", [0.6, 0.3, 0.2], n=300)
    rows["r1"] = np.nan
    rows["r2"] = 5.0
    from conftest import write_study

    broken = cx.load_study(write_study(tmp_path / "b", rows, planted_codebook(3)))
    result = cx.drivers(broken, n_boot=10)
    assert list(result.table["touchpoint"]) == ["t0"]
    assert any("Touchpoint 1 left out" in note and "0 answer" in note for note in result.notes)
    assert any("every answer is 5" in note for note in result.notes)
    assert "Touchpoint 1 left out" in result.caption()


def test_too_few_respondents_is_a_study_error_in_words(tmp_path):
    _, rows = planted_study(tmp_path / "a", [0.6, 0.3], n=300)
    from conftest import write_study

    pilot = rows.head(1).assign(brand="Acme")
    one = cx.load_study(write_study(tmp_path / "b", pilot, planted_codebook(2)))
    with pytest.raises(cx.StudyError, match="3 respondents who answered it; this study has 1"):
        cx.drivers(one)
    same = rows.head(50).assign(recommend=9)
    flat = cx.load_study(write_study(tmp_path / "c", same, planted_codebook(2)))
    with pytest.raises(cx.StudyError, match="an outcome that varies"):
        cx.drivers(flat)


def test_the_chart_leaves_out_small_bases_with_a_note(demo):
    import matplotlib

    matplotlib.use("Agg")
    from conftest import with_min_base

    strict = with_min_base(demo, 200)
    result = cx.drivers(strict, n_boot=0)
    small = result.table[result.table["n_performance"] < 200]
    assert len(small) and len(small) < len(result.table)
    ax = result.plot()
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(result.table) - len(small)
    notes = " ".join(text.get_text() for text in ax.texts)
    assert "Not drawn, base below 200" in notes
    assert all(label in notes for label in small["label"])
