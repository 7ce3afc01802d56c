"""The scorecard against independent references: numpy, scipy and statsmodels."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import cxresearch as cx


@pytest.fixture(scope="module")
def card(demo):
    return cx.scorecard(demo, weighted=False)


def test_every_rated_item_is_listed_once(demo, card):
    items = set(card.table["item"])
    declared = set(demo.codebook.scale_items()) | set(demo.codebook.binary_items())
    assert items == declared and card.table["item"].is_unique


def test_mean_and_interval_match_scipy(demo, card):
    own = demo.responses[demo.responses["brand_rated"] == demo.brand]
    row = card.table.set_index("item").loc["perf_hotline"]
    x = own["perf_hotline"].dropna().to_numpy()
    assert row["n"] == len(x) and row["mean"] == pytest.approx(x.mean())
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (row["mean_low"], row["mean_high"]) == pytest.approx((low, high))


def test_top_two_box_matches_statsmodels_wilson(demo, card):
    own = demo.responses[demo.responses["brand_rated"] == demo.brand]
    x = own["overall_satisfaction"].dropna()
    hits = int((x >= 4).sum())
    row = card.table.set_index("item").loc["overall_satisfaction"]
    assert row["top2"] == pytest.approx(100 * hits / len(x))
    low, high = proportion_confint(hits, len(x), method="wilson")
    assert (row["top2_low"], row["top2_high"]) == pytest.approx((100 * low, 100 * high))


def test_nps_top_two_box_is_the_promoter_share_and_yes_no_is_the_yes_share(demo, card):
    own = demo.responses[demo.responses["brand_rated"] == demo.brand]
    t = card.table.set_index("item")
    assert t.loc["recommend", "top2"] == pytest.approx(
        100 * (own["recommend"].dropna() >= 9).mean()
    )
    kept = own["still_customer_90d"].dropna().astype(bool)
    assert t.loc["still_customer_90d", "top2"] == pytest.approx(100 * kept.mean())
    assert np.isnan(t.loc["still_customer_90d", "mean"])


def test_distribution_is_the_share_of_each_point(demo, card):
    own = demo.responses[demo.responses["brand_rated"] == demo.brand]
    d = card.distribution[card.distribution["item"] == "perf_queue"].set_index("value")["share"]
    expected = 100 * own["perf_queue"].value_counts(normalize=True)
    pd.testing.assert_series_equal(
        d.loc[expected.index], expected, check_names=False, check_index_type=False
    )
    assert d.sum() == pytest.approx(100)
    assert list(d.index) == [1, 2, 3, 4, 5, 6, 7]  # every point, answered or not


def test_weighted_means_use_the_survey_weights(demo):
    card = cx.scorecard(demo, by="brand")
    rows = demo.responses[demo.responses["brand_rated"] == "Corvex"]
    x, w = rows["perf_website"], rows["weight"]
    ok = x.notna()
    row = card.table[
        (card.table["brand_rated"] == "Corvex") & (card.table["item"] == "perf_website")
    ]
    assert row["mean"].iloc[0] == pytest.approx(np.average(x[ok], weights=w[ok]))
    assert set(card.table["brand_rated"]) == set(demo.responses["brand_rated"].cat.categories)
