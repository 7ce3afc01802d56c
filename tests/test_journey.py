"""Journey, pain points, operational waits, funnel, feedback channels, loyalty links."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, with_min_base, write_study
from scipy import stats

import cxresearch as cx
from cxresearch.analyses.feedback import reviews, smileys
from cxresearch.analyses.funnel import funnel
from cxresearch.analyses.journey import THEME_COLUMNS, journey
from cxresearch.analyses.loyalty import loyalty_links
from cxresearch.analyses.operations import operations, quantile_interval
from cxresearch.analyses.quotes import mask_contacts, quotes
from cxresearch.analyses.text._planted import planted_comments
from cxresearch.stats import wilson_interval

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = cx.make_demo_study(tmp_path_factory.mktemp("journey"), n=3000, random_state=7)
    return cx.load_study(path), json.loads((path.parent / "truth.json").read_text())


# -- funnel -----------------------------------------------------------------------------
def tiny_events_study(tmp_path, rows):
    events = pd.DataFrame(rows, columns=["session", "page", "ts", "device"])
    events.to_csv(tmp_path / "events.csv", index=False)
    pd.DataFrame({"id": ["a"], "recommend": [9]}).to_csv(tmp_path / "responses.csv", index=False)
    (tmp_path / "study.yaml").write_text(
        "name: tiny funnel\nresponses: responses.csv\ncolumns: {id: id}\n"
        "outcomes: {nps: {column: recommend, scale: [0, 10]}}\n"
        "events: {file: events.csv, session: session, step: page, time: ts, device: device,\n"
        "         funnel: [product, cart, payment, confirmation]}\n"
    )
    return cx.load_study(tmp_path / "study.yaml")


def test_funnel_arithmetic_by_hand(tmp_path):
    t = "2026-05-01 10:00:0"
    rows = [
        # s1: the whole funnel, with one event logged twice
        ("s1", "product", t + "1", "mobile"),
        ("s1", "cart", t + "2", "mobile"),
        ("s1", "cart", t + "2", "mobile"),
        ("s1", "payment", t + "4", "mobile"),
        ("s1", "confirmation", t + "8", "mobile"),
        # s2: leaves at payment
        ("s2", "home", t + "0", "desktop"),
        ("s2", "search", t + "1", "desktop"),
        ("s2", "product", t + "2", "desktop"),
        ("s2", "cart", t + "3", "desktop"),
        ("s2", "payment", t + "5", "desktop"),
        # s3: leaves at product, searched twice
        ("s3", "search", t + "1", "mobile"),
        ("s3", "search", t + "2", "mobile"),
        ("s3", "product", t + "3", "mobile"),
        # s4: cart logged before product: out of order, reaches only product
        ("s4", "cart", t + "1", "desktop"),
        ("s4", "product", t + "2", "desktop"),
        # s5: never sees a product
        ("s5", "home", t + "1", "mobile"),
    ]
    result = funnel(tiny_events_study(tmp_path, rows))
    table = result.table.set_index("step")
    assert table["sessions"].to_dict() == {"product": 4, "cart": 2, "payment": 2, "confirmation": 1}
    assert table.loc["product", "conversion"] == pytest.approx(2 / 4)
    assert table.loc["payment", "conversion"] == pytest.approx(1 / 2)
    assert table.loc["cart", "median_seconds"] == pytest.approx(1.0)
    assert table.loc["payment", "median_seconds"] == pytest.approx(2.0)  # s1: 2 s, s2: 2 s
    assert result.quality == {
        "events": 16,
        "duplicate_events": 1,
        "sessions": 5,
        "out_of_order_sessions": 1,
    }
    assert result.findability.loc[0, "found_product"] == pytest.approx(4 / 5)
    assert result.findability.loc[0, "searches_per_session"] == pytest.approx(3 / 5)
    assert result.abandonment.loc[0, "step"] in ("product", "payment")  # both lose half
    by_device = funnel(tiny_events_study(tmp_path, rows), by="device").table
    mobile = by_device[by_device["device"] == "mobile"].set_index("step")["sessions"]
    assert mobile.to_dict() == {"product": 2, "cart": 1, "payment": 1, "confirmation": 1}


def test_planted_abandonment_step_is_found(planted):
    study, truth = planted
    result = funnel(study)
    assert result.abandonment.loc[0, "step"] == truth["abandonment_step"]
    assert result.quality["duplicate_events"] > 0 and result.quality["out_of_order_sessions"] > 0
    assert "Wilson" in result._repr_html_()
    assert "payment" in result.plot().get_title()


# -- operational waits ------------------------------------------------------------------
def test_planted_longest_wait_is_found(planted):
    study, truth = planted
    result = operations(study)
    assert result.worst_wait()["touchpoint"] == truth["longest_wait"]["touchpoint"]


def test_the_worst_wait_needs_a_base_and_open_intervals_are_drawn_as_arrows(planted):
    study, _ = planted
    assert operations(with_min_base(study, 10**9)).worst_wait() is None
    tiny = operations(study).table.head(1).copy()
    tiny[["p90_high", "below_min_base"]] = [np.inf, False]
    result = operations(study)
    ax = type(result).plot(replace(result, table=tiny))
    texts = [t.get_text() for t in ax.texts]
    assert "no upper bound" in texts
    assert np.isfinite(ax.get_xlim()).all()


def test_quantile_interval_matches_scipy_quantile_test():
    x = np.random.default_rng(0).gamma(2.0, 3.0, 301)
    for q in (0.5, 0.9):
        value, low, high = quantile_interval(x, q)
        reference = stats.quantile_test(x, q=np.quantile(x, q), p=q).confidence_interval(0.95)
        assert value == pytest.approx(np.quantile(x, q))
        assert (low, high) == pytest.approx((reference.low, reference.high))


def test_waits_relate_to_satisfaction(planted):
    study, _ = planted
    bands = operations(study).relation("wait_minutes_queue").table
    top2 = bands[bands["statistic"] == "CSAT top-2-box %"].set_index("wait_band")["value"]
    assert top2.iloc[0] > top2.iloc[2]  # within target beats more than twice the target


# -- journey and pain points --------------------------------------------------------------
def test_journey_rows_follow_the_journey_and_pain_is_the_documented_product(planted):
    study, truth = planted
    result = journey(study)
    assert list(result.table["touchpoint"]) == [tp.id for tp in study.codebook.touchpoints]
    row = result.table.set_index("touchpoint").loc["hotline"]
    assert row["pain"] == pytest.approx(row["importance"] * max(0, -row["gap"]) * row["reach"])
    acme = study.responses[study.responses["brand_rated"] == "Acme"]
    used = acme["perf_hotline"].notna()
    assert row["reach"] == pytest.approx(np.average(used, weights=acme["weight"]))
    assert journey(study, weighted=False).table.set_index("touchpoint").loc[
        "hotline", "reach"
    ] == pytest.approx(used.mean())
    assert result.pain_points(top=1).lines[0].startswith("Hotline")
    assert result.plot().get_title() == "Customer journey map"


def test_the_journey_map_does_not_draw_suppressed_touchpoints(demo):
    """A touchpoint below the minimum base is a gap in the lines, and its tick says why."""
    result = journey(with_min_base(demo, 10_000))
    ax = result.plot()
    experience = next(line for line in ax.get_lines() if line.get_label() == "experience")
    assert np.isnan(experience.get_ydata().astype(float)).all()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert all("suppressed" in t for t in ticks)


def test_journey_by_segment(demo):
    labels = pd.Series(
        np.where(demo.responses["tenure_years"] > 4, "long", "short"), index=demo.responses.index
    )
    result = journey(demo, by="segment", segments=labels)
    assert set(result.table["segment"]) == {"long", "short"}


# -- feedback channels -------------------------------------------------------------------
def test_smiley_shares_and_net_score(demo):
    result = smileys(demo, weighted=False).table.set_index("touchpoint")
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]["feel_hotline"].dropna()
    assert result.loc["hotline", "n"] == len(acme)
    assert result.loc["hotline", "sad"] == pytest.approx(100 * (acme == 1).mean())
    assert result.loc["hotline", "net"] == pytest.approx(
        100 * ((acme == 3).mean() - (acme == 1).mean())
    )
    assert (
        result.loc["hotline", "net_low"]
        < result.loc["hotline", "net"]
        < result.loc["hotline", "net_high"]
    )


def test_smiley_shares_are_weighted_like_the_kpis(demo):
    """The demo is weighted: shares are weighted means, intervals use Kish's n."""
    result = smileys(demo)
    row = result.table.set_index("touchpoint").loc["hotline"]
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    answered = acme["feel_hotline"].notna()
    faces, w = acme.loc[answered, "feel_hotline"], acme.loc[answered, "weight"]
    assert row["sad"] == pytest.approx(100 * np.average(faces == 1, weights=w))
    assert row["happy"] == pytest.approx(100 * np.average(faces == 3, weights=w))
    n_eff = w.sum() ** 2 / (w**2).sum()
    low, high = wilson_interval(row["sad"] / 100, n_eff)
    assert (row["sad_low"], row["sad_high"]) == pytest.approx((100 * low, 100 * high))
    assert "weighted (Kish effective n)" in result.caption()
    assert "unweighted" in smileys(demo, weighted=False).caption()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Call me on +48 601 234 567.", "Call me on [phone]."),
        ("mail jan.kowalski@example.com now", "mail [e-mail] now"),
        ("(022) 555-1234 or 0048.22.555.12.34", "[phone] or [phone]"),
        ("Order 12345 on 2026-11-23, flight UA 1234", "Order 12345 on 2026-11-23, flight UA 1234"),
    ],
)
def test_contacts_are_masked(text, expected):
    assert mask_contacts(text) == expected


def test_quotes_are_masked_and_escaped(demo):
    result = quotes(demo, n=50, random_state=1)
    html = result._repr_html_()
    assert "@example.com" not in html and "601 234 567" not in html
    assert "<b>every</b>" not in html and "&lt;b&gt;every&lt;/b&gt;" in html


# -- loyalty linked to experience ----------------------------------------------------------
def test_retention_rises_from_detractors_to_promoters(planted):
    study, _ = planted
    seg = pd.Series(
        np.where(study.responses["tenure_years"] > 4, "long", "short"), index=study.responses.index
    )
    result = loyalty_links(study, segments=seg, brand=None)
    by_group, by_segment = result.by_nps_group, result.by_segment
    rate = by_group.table[by_group.table["statistic"] == "Retention rate %"].set_index("nps_group")[
        "value"
    ]
    assert rate["detractor"] < rate["passive"] < rate["promoter"]
    assert set(by_segment.table["segment"]) == {"long", "short"}


# -- real data -----------------------------------------------------------------------------
@pytest.mark.skipif(
    not (SHARED_DATA / "twitter-airline-sentiment").exists(), reason="shared tweets absent"
)
def test_real_tweets_give_a_per_airline_pain_point_table():
    study = cx.load_study(EXAMPLES / "airline-tweets" / "study.yaml", data_dirs=[SHARED_DATA])
    result = reviews(study)
    table = result.pain_point_table()
    assert set(table.columns) == {
        "American",
        "Delta",
        "Southwest",
        "US Airways",
        "United",
        "Virgin America",
    }
    stages = list(dict.fromkeys(table.index.get_level_values("stage")))
    assert stages == ["during", "after", "(not placed)"]
    united = result.pain_points[result.pain_points["airline"] == "United"].set_index("reason")
    negative = study.responses[
        (study.responses["airline"] == "United")
        & (study.responses["airline_sentiment"] == "negative")
    ]
    expected = (negative["negativereason"] == "Late Flight").mean() * 100
    assert united.loc["Late Flight", "share"] == pytest.approx(expected)


@pytest.mark.skipif(not (SHARED_DATA / "telco-churn").exists(), reason="shared telco data absent")
def test_real_telco_churn_by_contract_and_support():
    study = cx.load_study(EXAMPLES / "telco-churn" / "study.yaml", data_dirs=[SHARED_DATA])
    contract = cx.kpis(study, by="Contract").table.set_index("Contract")
    support = cx.kpis(study, by="TechSupport").table.set_index("TechSupport")
    churn = 100 - contract["value"]
    assert churn["Month-to-month"] > churn["One year"] > churn["Two year"]
    assert (contract["low"] < contract["value"]).all() and (contract["n"] > 1000).all()
    assert 100 - support.loc["No", "value"] > 100 - support.loc["Yes", "value"]


# -- themes on the journey (issue 16) ------------------------------------------------------
DELIVERY_NEGATIVE, OTHER_NEGATIVE = 0.8, 0.3  # planted shares of negative comments


def commented_study(folder, n=900, codeframe=True):
    """Planted English comments: delivery comments negative at 80%, the rest at
    30%; the codeframe maps the delivery theme to the delivery touchpoint and
    the staff theme to the store (scores follow each comment's sentiment)."""
    from_delivery = planted_comments(2 * n, ("en",), DELIVERY_NEGATIVE, random_state=11)
    from_others = planted_comments(2 * n, ("en",), OTHER_NEGATIVE, random_state=12)
    d = pd.concat(
        [from_delivery[from_delivery["topic"] == "delivery"].head(n // 4),
         from_others[from_others["topic"] != "delivery"].head(n - n // 4)]
    ).sample(frac=1, random_state=13).reset_index(drop=True)  # fmt: skip
    rng = np.random.default_rng(14)
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "recommend": d["score"],
            "comment": d["text"],
            **{c: rng.integers(1, 8, n) for c in ("exp_del", "perf_del", "exp_st", "perf_st")},
        }
    )
    codebook = {
        "name": "Commented journey",
        "min_base": 30,
        "responses": "responses.csv",
        "columns": {"id": "id"},
        "outcomes": {"nps": {"column": "recommend", "scale": [0, 10]}},
        "touchpoints": [
            {"id": "store", "experience": {"column": "perf_st", "scale": [1, 7]},
             "expectation": {"column": "exp_st", "scale": [1, 7]}},
            {"id": "delivery", "experience": {"column": "perf_del", "scale": [1, 7]},
             "expectation": {"column": "exp_del", "scale": [1, 7]}},
        ],
        "text": [{"column": "comment"}],
    }  # fmt: skip
    if codeframe:
        codebook["codeframe"] = [
            {"theme": "delivery", "keywords": ["deliver*", "courier", "parcel", "package"],
             "touchpoint": "delivery"},
            {"theme": "staff", "keywords": ["staff", "consultant", "employee"],
             "touchpoint": "store"},
            {"theme": "price", "keywords": ["price", "expensive", "cheap"]},
        ]  # fmt: skip
    return cx.load_study(write_study(folder, rows, codebook)), d


def test_the_journey_recovers_the_planted_share_of_negative_delivery_comments(tmp_path):
    study, d = commented_study(tmp_path)
    result = journey(study)
    t = result.table.set_index("touchpoint")
    delivery = t.loc["delivery"]
    assert (
        delivery["theme_negative_low"] < 100 * DELIVERY_NEGATIVE < delivery["theme_negative_high"]
    )
    truth = 100 * (d["topic"] == "delivery").mean()
    assert delivery["theme_share_low"] < truth < delivery["theme_share_high"]
    assert delivery["comments"] == len(d) and delivery["theme_n"] >= 30
    # the interval is Wilson's on the mentioning comments (unweighted: n is the base)
    low, high = wilson_interval(delivery["theme_negative"] / 100, delivery["theme_n"])
    assert (delivery["theme_negative_low"], delivery["theme_negative_high"]) == pytest.approx(
        (100 * low, 100 * high)
    )
    store = t.loc["store"]
    assert store["theme_negative_low"] < 100 * OTHER_NEGATIVE < store["theme_negative_high"]
    lines = [line for line in result.pain_points().lines if "of them negative" in line]
    assert len(lines) == 1 and lines[0].startswith(f"{delivery['label']}: ")
    assert f"{delivery['theme_negative']:.0f}% [{delivery['theme_negative_low']:.0f}%" in lines[0]
    assert f"(n={delivery['theme_n']:,})" in lines[0]
    shown = result.display()
    assert any(c.startswith("negative % of them") for c in shown.columns)
    assert "codeframe themes" in result.caption()


def test_comment_themes_are_suppressed_below_the_minimum_base(tmp_path):
    study, _ = commented_study(tmp_path)
    result = journey(with_min_base(study, 10**6))
    assert not [line for line in result.pain_points().lines if "of them negative" in line]
    shown = result.display()
    column = next(c for c in shown.columns if c.startswith("negative % of them"))
    assert shown[column].str.startswith("suppressed").all()


def test_without_a_codeframe_the_journey_has_no_comment_columns(tmp_path):
    study, _ = commented_study(tmp_path, codeframe=False)
    result = journey(study)
    assert not set(THEME_COLUMNS) & set(result.table.columns)
    assert "codeframe" not in result.caption()
