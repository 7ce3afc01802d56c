"""Gaps: paired intervals and tests against scipy/statsmodels, and the planted truth."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import BASIC_CODEBOOK, BASIC_ROWS, write_study
from scipy import stats
from statsmodels.stats.multitest import multipletests

import cxresearch as cx


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory):
    path = cx.make_demo_study(tmp_path_factory.mktemp("gaps"), n=3000, random_state=7)
    return cx.load_study(path), json.loads((path.parent / "truth.json").read_text())


def test_paired_gap_interval_and_test_match_scipy(demo):
    result = cx.gaps(demo, weighted=False)
    row = result.table.set_index("touchpoint").loc["store"]
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    pairs = acme[["perf_store", "exp_store"]].dropna()
    d = pairs["perf_store"] - pairs["exp_store"]
    low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert row["n"] == len(d)
    assert row["gap"] == pytest.approx(d.mean())
    assert (row["raw_low"], row["raw_high"]) == pytest.approx((low, high))
    m = len(result.table)  # the interval shown: at the family's Bonferroni level
    wide = stats.t.interval(1 - 0.05 / m, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert (row["low"], row["high"]) == pytest.approx(wide)
    assert row["p"] == pytest.approx(
        stats.ttest_rel(pairs["perf_store"], pairs["exp_store"]).pvalue
    )
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d).pvalue)


def test_corrections_match_statsmodels(demo):
    table = cx.gaps(demo).table  # Bonferroni by default (issue 14)
    assert np.allclose(table["p_adjusted"], multipletests(table["p"], method="bonferroni")[1])
    holm = cx.gaps(demo, correction="holm").table
    assert np.allclose(holm["p_adjusted"], multipletests(holm["p"], method="holm")[1])
    bh = cx.gaps(demo, correction="fdr_bh").table
    assert np.allclose(bh["p_adjusted"], multipletests(bh["p"], method="fdr_bh")[1])


def test_planted_worst_gap_is_ranked_first(big_demo):
    study, truth = big_demo
    result = cx.gaps(study)
    worst = result.table.sort_values("gap").iloc[0]
    assert worst["touchpoint"] == truth["worst_gap"]["touchpoint"]
    assert result.shortfalls().lines[0].startswith("Hotline")
    assert len(result.shortfalls(top=3).lines) == 3
    assert "<ol" in result.shortfalls()._repr_html_()


def test_stages_follow_the_journey_and_use_each_respondents_mean_gap(tiny_study):
    result = cx.gaps(tiny_study, by="stage", brand=None, weighted=False)
    assert list(result.table["stage"]) == ["before", "after"]
    # before: only the website has an expectation; after: the hotline has a target of 4
    before = result.table.iloc[0]
    web = BASIC_ROWS.assign(perf_web=BASIC_ROWS["perf_web"].replace(98, np.nan))
    d = (web["perf_web"] - web["exp_web"]).dropna()
    assert before["gap"] == pytest.approx(d.mean()) and before["n"] == len(d)
    after = result.table.iloc[1]
    assert after["reference"] == "target"
    assert after["gap"] == pytest.approx((BASIC_ROWS["perf_hot"].dropna() - 4).mean())


@pytest.fixture
def tiny_study(tmp_path):
    touchpoints = [
        dict(BASIC_CODEBOOK["touchpoints"][0]),
        {**BASIC_CODEBOOK["touchpoints"][1], "target": 4},
    ]
    return cx.load_study(write_study(tmp_path, touchpoints=touchpoints))


def test_touchpoints_without_a_reference_are_listed_not_silently_dropped(tmp_path):
    study = cx.load_study(write_study(tmp_path))
    result = cx.gaps(study, brand=None)
    assert list(result.table["touchpoint"]) == ["website"]
    assert any("hotline" in note.lower() for note in result.notes)
    assert "left out" in result._repr_html_()


def test_brand_choice(demo):
    acme = cx.gaps(demo).table
    pooled = cx.gaps(demo, brand=None).table
    rival = cx.gaps(demo, brand="Brightline").table
    assert acme["n"].sum() < pooled["n"].sum() and rival["n"].sum() < pooled["n"].sum()
    with pytest.raises(KeyError, match="brands"):
        cx.gaps(demo, brand="Nobody")


def test_gaps_by_a_profile_column_flag_small_bases(demo):
    result = cx.gaps(demo, by="age_group")
    assert set(result.table["age_group"]) == {"18-29", "30-44", "45-59", "60+"}
    small = result.table[result.table["n"] < 30]
    assert small["below_min_base"].all()
    if len(small):
        assert "suppressed" in result._repr_html_()


def test_gaps_by_segment_needs_labels(demo):
    with pytest.raises(ValueError, match="segments="):
        cx.gaps(demo, by="segment")
    labels = pd.Series(
        np.where(demo.responses["tenure_years"] > 4, "long", "short"), index=demo.responses.index
    )
    result = cx.gaps(demo, by="segment", segments=labels)
    assert set(result.table["segment"]) == {"long", "short"}


def test_best_competitor_reference_uses_welch_corrected_for_the_pick(demo):
    """The gap to the best rival, with Welch tests against every rival and Bonferroni
    over the three rivals (the brand leads on the website: ahead of them all)."""
    result = cx.gaps(demo, reference="best_competitor", weighted=False)
    row = result.table.set_index("touchpoint").loc["website"]
    rival = row["reference"].split("(")[1].rstrip(")")
    r = demo.responses
    own = r.loc[r["brand_rated"] == "Acme", "perf_website"].dropna()
    other = r.loc[r["brand_rated"] == rival, "perf_website"].dropna()
    assert row["gap"] == pytest.approx(own.mean() - other.mean())
    rivals = [b for b in r["brand_rated"].cat.categories if b != "Acme"]
    welch = [
        stats.ttest_ind(own, r.loc[r["brand_rated"] == b, "perf_website"].dropna(), equal_var=False)
        for b in rivals
    ]
    assert row["gap"] > 0 and row["p"] == pytest.approx(3 * max(w.pvalue for w in welch))
    bounds = [w.confidence_interval(1 - 0.05 / 3) for w in welch]
    assert (row["raw_low"], row["raw_high"]) == pytest.approx(
        (min(b.low for b in bounds), min(b.high for b in bounds))
    )


def test_gaps_by_brand_names_the_brand_column_and_plots(demo):
    result = cx.gaps(demo, by="brand", brand=None)
    assert result.by == "brand_rated"
    assert result.plot().get_legend() is not None
