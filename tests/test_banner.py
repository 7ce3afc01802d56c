"""Banner tables: every measure by every profile category, with significance letters.

Each letter's test is checked against scipy and statsmodels on small data, the
corrections against ``multipletests``, and the letters against a planted truth:
a group planted higher on one item gets the letters of the others there, and
across many seeds of equal groups false letters appear at about the nominal
family rate or less (weighted, so Kish's effective n is needed for that).
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import SHARED_DATA, with_min_base, write_study  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402
from statsmodels.stats.proportion import proportions_ztest  # noqa: E402
from test_honest_numbers import contradictions  # noqa: E402

import cxresearch as cx  # noqa: E402
from cxresearch.analyses._banner_tests import adjust_grouped, correct_families  # noqa: E402
from cxresearch.analyses.banner import Banner, banner  # noqa: E402
from cxresearch.stats import CORRECTIONS, correct_family, family_level  # noqa: E402

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def generated(folder, *, n=600, seed=0, planted=0.0, items=3, weighted=False, min_base=20):
    """A study of ``items`` touchpoint scores (1-7), NPS, CSAT and a yes/no outcome by two
    profile columns: ``grp`` (A, B, C; B planted ``planted`` points higher on the first
    item) and ``area`` (four areas, no effect; 4% not known); ``visit`` is a running
    number. Weighted: weights 0.25, 1 or 4 at random."""
    rng = np.random.default_rng(seed)
    grp = rng.choice(["A", "B", "C"], n)
    rows = {
        "id": [f"r{i}" for i in range(n)],
        "grp": grp,
        "area": rng.choice(["north", "south", "east", "west", None], n, p=[0.24] * 4 + [0.04]),
        "recommend": rng.integers(0, 11, n),
        "sat": rng.integers(1, 6, n),
        "stayed": rng.integers(0, 2, n),
        "visit": np.arange(n),  # a running number: no banner column
    }
    for j in range(items):
        latent = rng.normal(4.2, 1.3, n) + planted * (j == 0) * (grp == "B")
        rows[f"perf_{j}"] = np.clip(np.rint(latent), 1, 7).astype(int)
    columns = {"id": "id", "profile": ["grp", "area", "visit"]}
    if weighted:
        rows["w"] = rng.choice([0.25, 1.0, 4.0], n)
        columns["weight"] = "w"
    codebook = {
        "name": "Generated banner study",
        "min_base": min_base,
        "responses": "responses.csv",
        "columns": columns,
        "outcomes": {
            "nps": {"column": "recommend", "scale": [0, 10]},
            "csat": {"column": "sat", "scale": [1, 5]},
            "retained": {"column": "stayed"},
        },
        "touchpoints": [
            {
                "id": f"t{j}",
                "stage": "during",
                "experience": {"column": f"perf_{j}", "scale": [1, 7]},
            }
            for j in range(items)
        ],
    }
    return cx.load_study(write_study(folder, pd.DataFrame(rows), codebook))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Clear differences on t0 between the groups (B highest), 150 respondents."""
    return generated(tmp_path_factory.mktemp("small"), n=150, seed=5, planted=1.2, items=2)


def _pairs(result, statistic, measure, banner_column="grp"):
    t = result.tests
    return t[
        (t["statistic"] == statistic) & (t["measure"] == measure) & (t["banner"] == banner_column)
    ]


def _groups(study, column, values):
    r = study.responses
    return {g: values[(r[column] == g).to_numpy()] for g in ("A", "B", "C")}


# -- each letter's test against an independent reference -----------------------------------
def test_column_means_are_welch_t_tests_as_scipy(small):
    result = banner(small, rows=["t0"], columns="grp")
    x = small.responses["perf_0"].to_numpy(dtype=float)
    groups = _groups(small, "grp", x)
    pairs = _pairs(result, "mean", "t0:experience")
    assert len(pairs) == 3
    for row in pairs.itertuples():
        a, b = groups[row.category], groups[row.other]
        assert row.p == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-9)
        assert row.difference == pytest.approx(a.mean() - b.mean())
    assert pairs["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(pairs["p"], method="holm")[1]
    )
    # means: the letter is exactly Holm's verdict at alpha = 5%
    assert (pairs["significant"] == (pairs["p_adjusted"] <= 0.05)).all()


def test_column_proportions_are_pooled_z_tests_as_statsmodels(small):
    result = banner(small, rows=["t0", "retained"], columns="grp")
    checks = {
        ("t0:experience", "top-2-box %"): small.responses["perf_0"].to_numpy(dtype=float) >= 6,
        ("retained", "%"): small.responses["stayed"].to_numpy(dtype=bool),
    }
    for (measure, statistic), flags in checks.items():
        groups = _groups(small, "grp", flags)
        pairs = _pairs(result, statistic, measure)
        assert len(pairs) == 3
        for row in pairs.itertuples():
            a, b = groups[row.category], groups[row.other]
            _, p = proportions_ztest([a.sum(), b.sum()], [len(a), len(b)])
            assert row.p == pytest.approx(p, rel=1e-9)
            assert row.difference == pytest.approx(100 * (a.mean() - b.mean()))


def test_nps_differences_use_the_trinomial_variance(small):
    """The NPS of a group is the mean of +1 (promoter), 0, -1 (detractor); its variance
    is the population variance of those scores."""
    result = banner(small, rows=["nps"], columns="grp")
    scores = small.responses["recommend"].to_numpy(dtype=float)
    groups = _groups(small, "grp", np.select([scores >= 9, scores <= 6], [1.0, -1.0], 0.0))
    for row in _pairs(result, "NPS", "nps").itertuples():
        a, b = groups[row.category], groups[row.other]
        z = (a.mean() - b.mean()) / np.sqrt(a.var() / len(a) + b.var() / len(b))
        assert row.p == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
        assert row.difference == pytest.approx(100 * (a.mean() - b.mean()))


@pytest.mark.parametrize("method", CORRECTIONS)
def test_corrections_match_multipletests_in_every_family(method):
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 0.1, 40), rng.uniform(0, 1, 60), [0.01, 0.01, 0.3]])
    family = rng.integers(0, 12, len(p))
    adjusted = adjust_grouped(p, family, method)
    for f in np.unique(family):
        at = family == f
        assert adjusted[at] == pytest.approx(multipletests(p[at], method=method)[1], abs=1e-15)


@pytest.mark.parametrize("method", CORRECTIONS)
def test_family_levels_and_verdicts_are_those_of_correct_family(method):
    """One rule with the rest of the package: the same levels and verdicts as
    :func:`cxresearch.stats.correct_family` on each family (here z intervals)."""
    rng = np.random.default_rng(2)
    d, se = rng.normal(0, 1, 90), rng.uniform(0.3, 0.6, 90)
    p = 2 * stats.norm.sf(np.abs(d / se))
    family = rng.integers(0, 9, len(p))
    families = correct_families(p, family, 0.9, method)
    for f in np.unique(family):
        at = family == f
        z = stats.norm.ppf(0.5 + families.level[at] / 2)
        ours = (d[at] - z * se[at] > 0) | (d[at] + z * se[at] < 0)
        reference = correct_family(
            p[at],
            lambda level, at=at: (
                d[at] - stats.norm.ppf(0.5 + level / 2) * se[at],
                d[at] + stats.norm.ppf(0.5 + level / 2) * se[at],
            ),
            confidence=0.9,
            method=method,
        )
        assert families.level[at] == pytest.approx(reference.level)
        assert families.level[at][0] == pytest.approx(family_level(p[at], 0.9, method))
        assert (ours == reference.significant).all()
        assert (families.size[at] == at.sum()).all()


# -- planted truth ---------------------------------------------------------------------------
def test_a_group_planted_higher_gets_the_letters_of_the_others_there(tmp_path):
    study = generated(tmp_path, n=900, seed=7, planted=0.8, items=4)
    result = banner(study, columns=["grp"])
    t = result.table
    b = t[(t["measure"] == "t0:experience") & (t["statistic"] == "mean") & (t["category"] == "B")]
    assert b["letter"].item() == "B" and b["above"].item() == ("A", "C")
    others = t[(t["measure"] == "t0:experience") & (t["category"] != "B")]
    assert not others["above"].map(len).any()  # nobody is above the planted group there
    assert "t0 experience (mean): grp B (B)" in str(result.findings(top=1))


def test_false_letters_appear_at_most_at_the_nominal_family_rate(tmp_path):
    """Equal groups, random weights: each row and banner column is a family whose
    chance of any letter is at most alpha (Holm), when the tests use Kish's n_eff."""
    families = false = 0
    for seed in range(8):
        study = generated(tmp_path / str(seed), n=500, seed=seed, items=25, weighted=True)
        tests = banner(study, columns=["grp", "area"]).tests
        per_family = tests.groupby(["measure", "statistic", "banner"])["significant"].any()
        families, false = families + len(per_family), false + int(per_family.sum())
    assert families == 8 * (1 + 2 + 1 + 25 * 2) * 2  # nps, csat x2, retained, items x2
    print(f"false letters in {false} of {families} families")
    assert false / families < 0.075  # nominal 0.05; the standard error here is about 0.007


def test_weighted_cells_are_weighted_means_with_kish_n(tmp_path):
    study = generated(tmp_path, n=300, seed=3, items=1, weighted=True)
    t = banner(study, rows=["t0"], columns="grp").table
    r = study.responses
    for category, cell in t[t["statistic"] == "mean"].set_index("category").iterrows():
        rows = r if category == "Total" else r[r["grp"] == category]
        w = rows["w"].to_numpy()
        assert cell["value"] == pytest.approx(np.average(rows["perf_0"], weights=w))
        assert cell["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
        assert cell["n"] == len(rows)
    unweighted = banner(study, rows=["t0"], columns="grp", weighted=False).table
    assert (unweighted["n_eff"] == unweighted["n"]).all()


# -- small bases -----------------------------------------------------------------------------
def test_small_bases_are_suppressed_visibly_and_never_tested(small):
    study = replace(small, codebook=replace(small.codebook, min_base=55))
    result = banner(study, rows=["t0"], columns="grp")
    t = result.table
    small_cells = t[t["below_min_base"] & (t["banner"] == "grp")]
    assert len(small_cells) > 0 and not small_cells["tested"].any()
    assert not small_cells["above"].map(len).any()
    small_letters = set(small_cells["letter"])
    assert not set(result.tests["letter"]) & small_letters
    assert not set(result.tests["other_letter"]) & small_letters
    assert not any(small_letters & set(a) for a in t["above"])
    shown = result.display()
    assert shown.map(lambda s: s.startswith("suppressed (n=")).sum().sum() == len(small_cells)
    html = result._repr_html_()
    assert "cx-suppressed" in html and "fewer than 55 answers are suppressed" in html


# -- the result: display, HTML, findings, plot ----------------------------------------------
@pytest.fixture(scope="module")
def demo_banner(demo):
    return banner(with_min_base(demo, 25), confidence=0.9)


def test_the_demo_banner_shows_every_measure_by_every_category(demo, demo_banner):
    result = demo_banner
    assert isinstance(result, cx.Result) and isinstance(result, Banner)
    assert result.columns == ("age_group", "region", "preferred_channel")
    assert result.confidence == 0.9 and result.min_base == 25
    assert any("tenure_years" in note for note in result.notes)  # 14 categories: left out
    shown = result.display()
    touchpoints = sum(
        2 * ((tp.experience is not None) + (tp.expectation is not None))  # mean, top-2-box
        for tp in demo.codebook.touchpoints
    )
    assert len(shown) == 9 + touchpoints  # NPS, CSAT x2, CES x2, loyalty x2, yes/no x2
    assert shown.columns[0] == ("Total", "Total")
    assert ("age_group", "18-29 (A)") in shown.columns
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    total = result.table[(result.table["banner"] == "Total") & (result.table["measure"] == "ces")]
    assert total["n"].iloc[0] == acme["easy_to_deal_with"].notna().sum()
    assert result.respondents == "respondents who rated Acme"


def test_the_html_has_superscript_letters_and_a_legend_of_tests_and_correction(demo_banner):
    html = demo_banner._repr_html_()
    assert "<sup>" in html
    for words in ("Welch t", "two-proportion z", "difference of two NPS", "Holm", "Total is not"):
        assert words in html
    assert "90% interval" in html and "95%" not in html
    assert contradictions(html + demo_banner.findings(top=50)._repr_html_()) == []


def test_findings_name_the_biggest_significant_differences(demo_banner):
    lines = demo_banner.findings(top=3).lines
    assert 1 <= len(lines) <= 3
    significant = demo_banner.tests[demo_banner.tests["significant"]]
    biggest = significant.loc[significant["effect"].abs().idxmax()]
    assert lines[0].startswith(f"{biggest['label']} ({biggest['statistic']}): {biggest['banner']}")
    assert all("is above" in line and "correction" in line for line in lines)


def test_intervals_follow_confidence(demo, demo_banner):
    wide = banner(with_min_base(demo, 25), confidence=0.95).table
    assert ((wide["high"] - wide["low"]).mean()) > (
        demo_banner.table["high"] - demo_banner.table["low"]
    ).mean()


def test_plot_draws_one_measure_with_its_letters(demo_banner):
    ax = demo_banner.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    _, given = plt.subplots()
    assert demo_banner.plot(given, measure="store:expectation", statistic="mean") is given
    letters = [t.get_text() for t in given.texts if t.get_text().strip().startswith(">")]
    t = demo_banner.table
    cells = t[(t["measure"] == "store:expectation") & (t["statistic"] == "mean")]
    assert len(letters) == cells["above"].map(bool).sum() > 0
    assert "90% interval" in given.get_xlabel()
    with pytest.raises(KeyError, match="no measure"):
        demo_banner.plot(measure="nowhere")
    plt.close("all")


# -- banner columns: brand, wave, segment ------------------------------------------------------
def test_brand_as_a_banner_column_takes_every_brand_own_brand_first(demo):
    result = banner(demo, rows=["nps"], columns=["brand", "wave"])
    cells = result.table[result.table["banner"] == "brand_rated"]
    assert list(cells["category"])[0] == "Acme" and list(cells["letter"])[0] == "A"
    assert result.respondents == "all respondents (every brand)"
    assert banner(demo, rows=["nps"], columns=["brand", "brand_rated"]).columns == ("brand_rated",)
    total = result.table[result.table["banner"] == "Total"]["n"].item()
    assert total == demo.responses["recommend"].notna().sum()
    assert set(result.table[result.table["banner"] == "wave"]["category"]) == set(
        demo.responses["wave"].unique()
    )


def test_segments_come_from_labels_or_a_segmentation(demo):
    rng = np.random.default_rng(0)
    labels = pd.Series(rng.integers(1, 4, demo.n), index=demo.responses.index)
    result = banner(demo, rows=["csat"], columns=["segment"], segments=labels, brand=None)
    cells = result.table[result.table["banner"] == "segment"]
    assert list(dict.fromkeys(cells["category"])) == ["Segment 1", "Segment 2", "Segment 3"]
    assert "segment" in banner(demo, rows=["csat"], segments=labels).columns
    with pytest.raises(ValueError, match="segments="):
        banner(demo, columns=["segment"])
    with pytest.raises(TypeError, match="Segmentation"):
        banner(demo, columns=["segment"], segments=[1, 2, 3])


def test_distributions_add_the_share_of_each_scale_point(small):
    result = banner(small, rows=["csat", "nps"], columns="grp", distributions=True)
    t = result.table
    points = t[(t["measure"] == "csat") & t["statistic"].str.startswith("% answering")]
    assert sorted(points["statistic"].unique()) == [f"% answering {v}" for v in range(1, 6)]
    assert points.groupby("category")["value"].sum().to_numpy() == pytest.approx(100)
    nps = t[(t["measure"] == "nps") & (t["category"] == "Total")].set_index("statistic")["value"]
    assert nps["NPS"] == pytest.approx(nps["% promoters (9-10)"] - nps["% detractors (0-6)"])


def test_bad_arguments_say_what_is_wrong(small):
    with pytest.raises(KeyError, match="'nowhere' is neither an outcome"):
        banner(small, rows=["nowhere"])
    with pytest.raises(KeyError, match="neither a role"):
        banner(small, columns=["nowhere"])
    with pytest.raises(ValueError, match="correction must be one of"):
        banner(small, correction="sidak")
    with pytest.raises(ValueError, match="band a continuous column"):
        banner(small, columns=["visit"])
    auto = banner(small, rows=["t0"])
    assert auto.columns == ("grp", "area")
    assert "Profile column visit (150 categories) is not in the banner" in auto.notes[0]


def test_respondents_without_a_category_count_in_the_total_only(small):
    result = banner(small, rows=["t0"], columns=["area"])
    missing = int(small.responses["area"].isna().sum())
    assert missing > 0
    assert result.notes == (
        f"area: {missing:,} respondents without a category are in the Total only.",
    )
    means = result.table[result.table["statistic"] == "mean"].set_index("banner")["n"]
    assert means["area"].sum() + missing == means["Total"]


def test_a_banner_without_columns_is_the_total_alone(small):
    result = banner(small, rows=["nps", "t0"], columns=[])
    shown = result.display()
    assert list(shown.columns) == [("Total", "Total")] and len(shown) == 3
    assert result.tests.empty and result.findings().lines == ()
    assert "No category differs" in str(result.findings())
    assert "<table" in result._repr_html_()


# -- speed and real data -------------------------------------------------------------------
def test_the_demo_banner_has_a_row_per_measure_and_statistic(demo):
    """Speed is measured in benchmarks/, never in a timed test."""
    result = banner(demo, columns=["age_group", "region", "preferred_channel"])
    assert len(result.display()) == 69


TELCO = REPO / "examples" / "telco-churn" / "study.yaml"


@pytest.mark.skipif(not (SHARED_DATA / "telco-churn").exists(), reason="no shared data")
def test_telco_customers_on_long_contracts_stay_more_often():
    study = cx.load_study(TELCO, data_dirs=[SHARED_DATA])
    result = banner(study)
    assert "Contract" in result.columns and "tenure" not in result.columns
    assert any("MonthlyCharges" in note for note in result.notes)
    r = study.responses
    t = result.table.set_index(["banner", "category"])
    stayed = (r["Churn"] == "No") if r["Churn"].dtype == object else r["Churn"]
    assert t.loc[("Total", "Total"), "value"] == pytest.approx(100 * stayed.mean())
    contract = t.loc["Contract"]
    monthly = contract.loc["Month-to-month", "letter"]
    for longer in ("One year", "Two year"):
        assert monthly in contract.loc[longer, "above"]
