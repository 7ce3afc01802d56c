"""KPIs: hand-computed examples, scipy/statsmodels references, and properties."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import write_study
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import cxresearch as cx
from cxresearch.metrics import NPS_METHOD


def test_nps_hand_example():
    est = cx.nps([10, 9, 8, 7, 6, 3, 10, 10, 9, 0])
    # 5 promoters, 3 detractors of 10: 50% - 30% = 20 points
    assert est.value == pytest.approx(20.0)
    assert est.n == 10
    assert (est.low, est.high) == pytest.approx((-30.326, 61.095), abs=1e-3)
    assert NPS_METHOD in est.method


def test_nps_ignores_missing_and_rejects_scores_off_the_scale():
    assert cx.nps([10, np.nan, 0]).n == 2
    with pytest.raises(ValueError, match="0-10"):
        cx.nps([11, 5])


def test_csat_top2_matches_statsmodels_wilson():
    scores = [5, 4, 3, 2, 1, 5, 4, 4]
    est = cx.csat(scores, scale=(1, 5))
    low, high = proportion_confint(5, 8, method="wilson")
    assert est.value == pytest.approx(62.5)
    assert (est.low, est.high) == pytest.approx((100 * low, 100 * high))


def test_csat_mean_matches_scipy_t_interval():
    scores = np.array([5, 4, 3, 2, 1, 5, 4, 4], dtype=float)
    est = cx.csat(scores, scale=(1, 5), stat="mean")
    ref = stats.t.interval(0.95, 7, loc=scores.mean(), scale=stats.sem(scores))
    assert est.value == pytest.approx(3.5)
    assert (est.low, est.high) == pytest.approx(ref)


def test_ces_agree_counts_answers_above_the_midpoint_of_the_declared_scale():
    assert cx.ces([7, 6, 5, 4, 3], scale=(1, 7), stat="agree").value == pytest.approx(60)
    assert cx.ces([5, 4, 3, 2], scale=(1, 5), stat="agree").value == pytest.approx(50)


def test_top_box_reads_the_scale_it_is_given():
    assert cx.top_box([10, 9, 8, 0], scale=(0, 10)).value == pytest.approx(50)
    assert cx.top_box([7, 6, 5, 1], scale=(1, 7), boxes=3).value == pytest.approx(75)


def test_weighted_share_uses_kish_effective_n():
    flags = [True, False, True, True]
    w = np.array([1.0, 3.0, 1.0, 1.0])
    est = cx.share(flags, weights=w)
    assert est.value == pytest.approx(100 * 3 / 6)
    assert est.n_eff == pytest.approx(36 / 12)
    low, high = proportion_confint(0.5 * 3, 3, method="wilson")
    assert (est.low, est.high) == pytest.approx((100 * low, 100 * high))


# -- properties ---------------------------------------------------------------------
scores = st.lists(st.integers(0, 10), min_size=1, max_size=200)


@given(scores)
def test_nps_and_its_interval_stay_within_minus_100_and_100(values):
    est = cx.nps(values)
    assert -100 <= est.value <= 100
    assert -100 <= est.low <= est.high <= 100


@given(scores)
def test_unit_weights_equal_no_weights(values):
    plain = cx.nps(values)
    weighted = cx.nps(values, weights=np.ones(len(values)))
    assert (weighted.value, weighted.low, weighted.high) == pytest.approx(
        (plain.value, plain.low, plain.high)
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return cx.load_study(write_study(tmp_path_factory.mktemp("tiny")))


def _with_rows(study, rows: pd.DataFrame):
    return replace(study, responses=rows)


groups = st.lists(
    st.tuples(st.sampled_from(["Acme", "Rival", "Third"]), st.integers(0, 10), st.integers(1, 5)),
    min_size=3,
    max_size=120,
)


@settings(max_examples=40, deadline=None)
@given(groups, st.permutations(["Xeno", "Yolo", "Zeta"]))
def test_relabelling_groups_does_not_change_results(tiny, data, names):
    rows = pd.DataFrame(data, columns=["brand", "recommend", "sat"]).astype(
        {"recommend": float, "sat": float}
    )
    rows["brand"] = rows["brand"].astype("category")
    relabel = dict(zip(["Acme", "Rival", "Third"], names, strict=False))
    renamed = rows.assign(brand=rows["brand"].map(relabel).astype("category"))
    a = cx.kpis(_with_rows(tiny, rows), by="brand").table
    b = cx.kpis(_with_rows(tiny, renamed), by="brand").table
    a = a.assign(brand=a["brand"].map(relabel)).set_index(["brand", "statistic"]).sort_index()
    b = b.set_index(["brand", "statistic"]).sort_index()
    columns = ["value", "low", "high", "n"]
    pd.testing.assert_frame_equal(a[columns], b[columns], check_index_type=False)


@settings(max_examples=40, deadline=None)
@given(groups)
def test_kpi_table_rows_equal_the_scalar_metric_of_each_group(tiny, data):
    rows = pd.DataFrame(data, columns=["brand", "recommend", "sat"]).astype(
        {"recommend": float, "sat": float}
    )
    rows["brand"] = rows["brand"].astype("category")
    table = cx.kpis(_with_rows(tiny, rows), by="brand")
    for brand, group in rows.groupby("brand", observed=True):
        expected = cx.nps(group["recommend"])
        got = table.estimate("NPS", brand=brand)
        assert (got["value"], got["low"], got["high"], got["n"]) == pytest.approx(
            (expected.value, expected.low, expected.high, expected.n)
        )


# -- the KPI table on a study ----------------------------------------------------------
def test_kpis_lists_every_declared_outcome(demo):
    table = cx.kpis(demo).table
    assert list(table["statistic"]) == [
        "NPS",
        "CSAT top-2-box %",
        "CSAT mean",
        "CES mean",
        "CES agree %",
        "Loyalty top-2-box %",
        "Loyalty mean",
        "Retention rate %",
        "Referral rate %",
    ]
    assert (table["n"] > 0).all() and table["low"].le(table["value"]).all()


def test_kpis_by_brand_puts_the_study_brand_first_and_weights_by_kish(demo):
    result = cx.kpis(demo, by="brand")
    assert result.table["brand_rated"].iloc[0] == "Acme"
    assert result.weighted
    row = result.estimate("Retention rate %", brand_rated="Acme")
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    w = acme["weight"].to_numpy()
    kept = acme["still_customer_90d"].to_numpy(dtype=float)
    assert row["value"] == pytest.approx(100 * np.sum(w * kept) / w.sum())
    assert row["n_eff"] == pytest.approx(w.sum() ** 2 / np.sum(w**2))


def test_kpis_by_two_columns_and_min_base_flag(tiny):
    result = cx.kpis(tiny, by=["brand"])
    nps_rows = result.table[result.table["statistic"] == "NPS"]
    # Rival's 99 is a "don't know" code: 2 answers remain, the minimum base is 2
    assert dict(zip(nps_rows["brand"], nps_rows["n"], strict=False)) == {"Acme": 3, "Rival": 2}
    assert not nps_rows["below_min_base"].any()
    strict = replace(tiny, codebook=replace(tiny.codebook, min_base=3))
    flagged = cx.kpis(strict, by="brand").table
    assert flagged.loc[flagged["statistic"] == "NPS", "below_min_base"].tolist() == [False, True]
    assert "suppressed (n=2 &lt; 3)" in cx.kpis(strict, by="brand")._repr_html_()


def test_missing_group_values_form_their_own_visible_group(tiny):
    rows = tiny.responses.copy()
    rows["brand"] = rows["brand"].astype("string").mask(rows.index == "a").astype("category")
    table = cx.kpis(_with_rows(tiny, rows), by="brand").table
    assert "(missing)" in set(table["brand"])
    assert table.loc[table["statistic"] == "NPS", "n"].sum() == 5


def test_kpis_by_unknown_column_names_what_exists(demo):
    with pytest.raises(KeyError, match="profile columns"):
        cx.kpis(demo, by="shoe_size")
