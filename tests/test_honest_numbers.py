"""Honest numbers (issue 14): a verdict and the interval beside it always agree, the
families of comparisons are stated, small bases are suppressed in sentences too, and
"against the best competitor" does not find the brand behind by the luck of the pick."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import with_min_base
from scipy import stats

import cxresearch as cx

# -- the scanner: "significant" beside an interval with zero inside, or the reverse ------
_NUMBER = r"[+-]?\d[\d,]*(?:\.\d+)?"
_INTERVAL = re.compile(
    rf"\[(?P<low>{_NUMBER}|no lower bound), (?P<high>{_NUMBER}|no upper bound)\]"
    r"(?P<tail>[^\[<]{0,60})"
)


def _number(text: str) -> float:
    if text.startswith("no lower"):
        return -np.inf
    if text.startswith("no upper"):
        return np.inf
    return float(text.replace(",", ""))


def contradictions(html: str) -> list[str]:
    """Every interval whose verdict right after it disagrees with it: "significant" or
    " *" beside an interval containing zero, "within chance" or "not significant"
    beside one that excludes zero."""
    found = []
    for match in _INTERVAL.finditer(html):
        low, high = _number(match["low"]), _number(match["high"])
        tail = match["tail"]
        excludes_zero = low > 0 or high < 0
        chance = "within chance" in tail or "not significant" in tail
        significant = tail.startswith(" *") or (" significant" in tail and not chance)
        if (chance and excludes_zero) or (significant and not excludes_zero):
            found.append(match.group(0))
    return found


def test_the_scanner_finds_what_the_review_found():
    review = "+11.9 [+4.0, +19.9] within chance, after correcting for many comparisons"
    assert contradictions(review) == [review[6:]]
    assert contradictions("<td>-0.3 [-0.6, +0.1] *</td>")
    assert not contradictions("<td>-0.3 [-0.6, -0.004] *</td><td>+0.1 [-0.2, +0.4]</td>")
    assert not contradictions("+2.0 [+0.5, no upper bound] significant")


@pytest.fixture(scope="module")
def results(demo):
    return {
        "kpis": cx.kpis(demo, by="brand"),
        "compare": cx.compare(demo),
        "gaps": cx.gaps(demo),
        "gaps by age": cx.gaps(demo, by="age_group"),
        "gaps against the best competitor": cx.gaps(demo, reference="best_competitor"),
        "trends": cx.trends(demo),
        "banner": cx.banner(demo),
    }


@pytest.mark.parametrize(
    "name",
    [
        "kpis",
        "compare",
        "gaps",
        "gaps by age",
        "gaps against the best competitor",
        "trends",
        "banner",
    ],
)
def test_no_verdict_disagrees_with_its_interval(results, name):
    result = results[name]
    html = result._repr_html_() + result.findings(top=50)._repr_html_()
    assert contradictions(html) == []
    if "significant" in result.table:
        t = result.table
        excludes_zero = (t["low"] > 0) | (t["high"] < 0)
        assert (t["significant"] == (excludes_zero & t["p_adjusted"].notna())).all()


@pytest.mark.parametrize("name", ["compare", "gaps", "trends"])
def test_every_corrected_table_states_its_family(results, name):
    result = results[name]
    t = result.table
    tested = int(t["p_adjusted"].notna().sum())
    assert result.family_size == tested > 1
    assert f"Bonferroni correction for the {tested} " in result.caption()
    assert result.family_level == pytest.approx(1 - 0.05 / tested)


def test_the_intervals_beside_the_verdicts_are_welchs_at_the_family_level(demo):
    """The shown interval is scipy's Welch interval at 1 - alpha / m (m comparisons)."""
    responses = demo.responses
    unweighted = cx.compare(demo, weighted=False).table
    row = unweighted[(unweighted["label"] == "Website") & (unweighted["competitor"] == "Corvex")]
    row = row.iloc[0]
    a = responses.loc[responses["brand_rated"] == "Acme", "perf_website"].dropna()
    b = responses.loc[responses["brand_rated"] == "Corvex", "perf_website"].dropna()
    welch = stats.ttest_ind(a, b, equal_var=False)
    m = int(unweighted["p_adjusted"].notna().sum())
    assert (row["low"], row["high"]) == pytest.approx(
        tuple(welch.confidence_interval(1 - 0.05 / m))
    )
    assert (row["raw_low"], row["raw_high"]) == pytest.approx(
        tuple(welch.confidence_interval(0.95))
    )
    assert row["p_adjusted"] == pytest.approx(min(1.0, m * welch.pvalue))


def test_suppressed_comparisons_are_left_out_of_the_family(demo):
    strict = with_min_base(demo, 120)
    table = cx.compare(strict).table
    small = table["competitor_below_min_base"] | (table["brand_n"] < 120)
    assert small.any() and (~small).any()
    assert table.loc[small, "p_adjusted"].isna().all() and not table.loc[small, "significant"].any()
    assert "suppressed" in cx.compare(strict)._repr_html_()


# -- small bases in the trends table and on the cards ------------------------------------
def test_a_waves_value_below_the_minimum_base_is_suppressed_in_the_trends_table(demo):
    trends = cx.trends(with_min_base(demo, 150))  # the hotline's waves have about 100
    shown = trends.display()
    t = trends.table.set_index("label")
    small = t[t["previous_n"] < 150].index
    assert len(small)
    for label in small:
        assert shown.loc[label, trends.previous].startswith("suppressed (n=")
    assert not any(label in line for line in trends.findings().lines for label in small)


def test_a_card_shows_the_change_exactly_as_the_table_of_what_moved(demo):
    """One change, one interval, one verdict on the page: the cards take their
    changes from the trends table (its family), never a second correction."""
    from types import SimpleNamespace

    from cxresearch.report.summary import _cards

    trends = cx.trends(demo)
    _, cards, family = _cards(demo, SimpleNamespace(trends=trends))
    m = trends.family_size
    assert f"Bonferroni correction for the {m} changes in that table" in family
    table = trends.table.set_index("label")
    for card in cards:
        change, row = card["change"], table.loc[card["statistic"]]
        assert (change["low"], change["high"]) == (row["low"], row["high"])
        assert change["significant"] == bool(row["significant"])
        assert change["significant"] == (change["low"] > 0 or change["high"] < 0)
        text = f"{change['text']}" + (" significant" if change["significant"] else " within chance")
        assert contradictions(text) == []


# -- the best competitor: the winner's curse ------------------------------------------------
def equal_rivals(study: cx.Study, seed: int, rivals: int = 12, n: int = 40) -> cx.Study:
    """The brand and ``rivals`` competitors with the same true website score: no
    brand is really ahead of any other."""
    rng = np.random.default_rng(seed)
    names = ["Acme"] + [f"Rival {i}" for i in range(1, rivals + 1)]
    brand = np.repeat(names, n)
    score = np.clip(np.round(rng.normal(4.5, 1.3, len(brand))), 1, 7)
    rows = pd.DataFrame(
        {
            "brand_rated": pd.Categorical(brand, categories=names),
            "perf_website": score,
        },
        index=pd.Index([f"r{i}" for i in range(len(brand))], name=study.responses.index.name),
    )
    website = next(tp for tp in study.codebook.touchpoints if tp.id == "website")
    codebook = replace(study.codebook, touchpoints=[website], weight=None, min_base=30)
    return replace(study, responses=rows, codebook=codebook)


def naive_trails(study: cx.Study) -> bool:
    """The naive test: Welch against the rival with the highest mean, as if chosen in advance."""
    r = study.responses
    means = r.groupby("brand_rated", observed=True)["perf_website"].mean().drop("Acme")
    own = r.loc[r["brand_rated"] == "Acme", "perf_website"]
    best = r.loc[r["brand_rated"] == means.idxmax(), "perf_website"]
    test = stats.ttest_ind(own, best, equal_var=False)
    return bool(test.pvalue < 0.05 and own.mean() < best.mean())


def test_against_the_best_of_equal_rivals_the_brand_trails_at_the_nominal_rate(demo):
    runs = 200
    naive, corrected = 0, 0
    for seed in range(runs):
        study = equal_rivals(demo, seed)
        naive += naive_trails(study)
        row = cx.gaps(study, reference="best_competitor", weighted=False).table.iloc[0]
        corrected += bool(row["significant"] and row["gap"] < 0)
    error = 3 * np.sqrt(0.05 * 0.95 / runs)
    assert naive / runs > 0.10  # the winner's curse, shown
    assert corrected / runs <= 0.05 + error


def test_the_best_competitor_interval_is_bonferroni_over_the_rivals(demo):
    study = equal_rivals(demo, 3, rivals=3, n=80)
    result = cx.gaps(study, reference="best_competitor", weighted=False)
    row = result.table.iloc[0]
    r = study.responses
    own = r.loc[r["brand_rated"] == "Acme", "perf_website"]
    tests = [
        stats.ttest_ind(
            own, r.loc[r["brand_rated"] == f"Rival {i}", "perf_website"], equal_var=False
        )
        for i in (1, 2, 3)
    ]
    level = 1 - 0.05 / 3  # one touchpoint in the family, three rivals to pick from
    intervals = [t.confidence_interval(level) for t in tests]
    assert row["raw_low"] == pytest.approx(min(i.low for i in intervals))
    assert row["raw_high"] == pytest.approx(min(i.high for i in intervals))
    best = r.groupby("brand_rated", observed=True)["perf_website"].mean().drop("Acme").idxmax()
    assert row["reference"] == f"best competitor ({best})"
    assert "best of the rivals" in result.caption()


# -- the index page ------------------------------------------------------------------------
@pytest.mark.slow
def test_the_index_page_never_contradicts_itself(demo):
    from cxresearch.report.render import _environment
    from cxresearch.report.summary import build_report

    report = build_report(demo)
    html = (
        _environment()
        .get_template("index_body.html.j2")
        .render(study=demo, quality=demo.quality, report=report, chapters=[], generated="now")
    )
    assert "since 2026-Q2" in html and "changes in that table" in html
    assert contradictions(html) == []
