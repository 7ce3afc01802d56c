"""Competitor comparison: tests against statsmodels/scipy and hand computations,
the planted advantage and disadvantage, benchmark files, and real tweets."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED_DATA, with_min_base
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import cxresearch as cx

TWEETS = Path(__file__).resolve().parents[1] / "examples" / "airline-tweets" / "study.yaml"


@pytest.fixture(scope="module")
def comparison(demo):
    return cx.compare(demo, weighted=False)


def _row(comparison, label, rival):
    t = comparison.table
    return t[(t["label"] == label) & (t["competitor"] == rival)].iloc[0]


def _brand(demo, name):
    return demo.responses[demo.responses["brand_rated"] == name]


def test_welch_difference_matches_scipy(demo, comparison):
    row = _row(comparison, "Website", "Corvex")
    a = _brand(demo, "Acme")["perf_website"].dropna()
    b = _brand(demo, "Corvex")["perf_website"].dropna()
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert row["difference"] == pytest.approx(a.mean() - b.mean())
    assert row["p"] == pytest.approx(welch.pvalue)
    # raw_low/raw_high: the comparison on its own; low/high: at the table's family level
    assert (row["raw_low"], row["raw_high"]) == pytest.approx(
        tuple(welch.confidence_interval(0.95))
    )
    m = int(comparison.table["p_adjusted"].notna().sum())
    assert (row["low"], row["high"]) == pytest.approx(
        tuple(welch.confidence_interval(1 - 0.05 / m))
    )
    assert row["test"] == "Welch t"


def test_share_difference_matches_statsmodels(demo, comparison):
    row = _row(comparison, "Retention rate %", "Brightline")
    a = _brand(demo, "Acme")["still_customer_90d"].dropna().astype(int)
    b = _brand(demo, "Brightline")["still_customer_90d"].dropna().astype(int)
    _, p = proportions_ztest([a.sum(), b.sum()], [len(a), len(b)])
    low, high = confint_proportions_2indep(a.sum(), len(a), b.sum(), len(b), method="newcomb")
    assert row["difference"] == pytest.approx(100 * (a.mean() - b.mean()))
    assert row["p"] == pytest.approx(p)
    assert (row["raw_low"], row["raw_high"]) == pytest.approx((100 * low, 100 * high))


def test_nps_difference_z_test_by_hand(demo, comparison):
    row = _row(comparison, "NPS", "Duomart")

    def parts(scores):
        scores = scores.dropna()
        promoters, detractors = (scores >= 9).mean(), (scores <= 6).mean()
        variance = (promoters + detractors - (promoters - detractors) ** 2) / len(scores)
        return promoters - detractors, variance

    (nps_a, var_a), (nps_b, var_b) = (
        parts(_brand(demo, "Acme")["recommend"]),
        parts(_brand(demo, "Duomart")["recommend"]),
    )
    z = (nps_a - nps_b) / np.sqrt(var_a + var_b)
    assert row["difference"] == pytest.approx(100 * (nps_a - nps_b))
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    half = 1.959963984540054 * np.sqrt(var_a + var_b)
    assert (row["raw_low"], row["raw_high"]) == pytest.approx(
        (100 * (nps_a - nps_b - half), 100 * (nps_a - nps_b + half))
    )


def test_bonferroni_holm_and_benjamini_hochberg_across_the_whole_table(demo, comparison):
    t = comparison.table  # Bonferroni by default: its intervals are simultaneous (issue 14)
    assert np.allclose(t["p_adjusted"], multipletests(t["p"], method="bonferroni")[1])
    holm = cx.compare(demo, correction="holm").table
    assert np.allclose(holm["p_adjusted"], multipletests(holm["p"], method="holm")[1])
    bh = cx.compare(demo, correction="fdr_bh").table
    assert np.allclose(bh["p_adjusted"], multipletests(bh["p"], method="fdr_bh")[1])


def test_planted_advantage_and_disadvantage_are_found(comparison):
    positions = comparison.positions.set_index("touchpoint")
    assert positions.loc["website", "position"] == "advantage"
    assert positions.loc["hotline", "position"] == "disadvantage"
    assert positions.loc["website", "own"]
    summary = str(comparison.summary())
    assert "Leads on Website" in summary and "Trails on Hotline" in summary


def test_leaders_and_gap_to_leader(comparison):
    t = comparison.table
    website = t[t["label"] == "Website"].iloc[0]
    assert website["leader"] == "Acme" and website["gap_to_leader"] == 0
    hotline = t[t["label"] == "Hotline"].iloc[0]
    assert hotline["leader"] != "Acme" and hotline["gap_to_leader"] < 0


def test_small_bases_are_greyed_and_excluded_from_leadership(demo):
    strict = with_min_base(demo, 420)
    result = cx.compare(strict)
    small = result.values[result.values["below_min_base"]]
    assert len(small) and not small["is_leader"].any()
    assert "suppressed" in result._repr_html_()


def with_benchmark(demo, folder, responses, benchmark, own_brand_only=False):
    """A copy of the demo study (no events) whose competitors come from a benchmark file."""
    benchmark.to_csv(folder / "benchmark.csv", index=False)
    responses.reset_index().to_csv(folder / "responses.csv", index=False)
    codebook = yaml.safe_load(demo.codebook.path.read_text())
    codebook.pop("events")
    codebook["benchmark"] = {
        "file": "benchmark.csv",
        "brand": "company",
        "measure": "touchpoint",
        "mean": "avg",
        "sd": "std",
        "n": "base",
    }
    if own_brand_only:
        codebook["columns"].pop("brand")
    (folder / "study.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False))
    return folder / "study.yaml"


def test_competitors_from_a_benchmark_file_give_the_same_differences(demo, tmp_path):
    rows = []
    for brand, group in demo.responses.groupby("brand_rated", observed=True):
        for tp in demo.codebook.touchpoints:
            x = group[tp.experience.column].dropna()
            rows.append(
                {
                    "company": brand,
                    "touchpoint": tp.id,
                    "avg": x.mean(),
                    "std": x.std(),
                    "base": len(x),
                }
            )
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    path = with_benchmark(demo, tmp_path, acme, pd.DataFrame(rows), own_brand_only=True)
    own_only = cx.load_study(path)
    from_file = cx.compare(own_only, weighted=False)
    same_survey = cx.compare(demo, weighted=False)
    a = from_file.table.set_index(["measure", "competitor"])
    b = same_survey.table.set_index(["measure", "competitor"]).loc[a.index]
    assert np.allclose(a["difference"], b["difference"]) and np.allclose(a["p"], b["p"])
    assert from_file.source == "the benchmark file"


def test_benchmark_file_errors_name_rows(demo, tmp_path):
    benchmark = pd.DataFrame(
        {
            "company": ["X", "Y"],
            "touchpoint": ["website", "teleport"],
            "avg": [5, 5],
            "std": [1, -1],
            "base": [100, 100],
        }
    )
    path = with_benchmark(demo, tmp_path, demo.responses, benchmark)
    with pytest.raises(cx.StudyError) as err:
        cx.load_study(path)
    assert {p.column for p in err.value.problems} == {"touchpoint", "std"}
    assert all(p.rows == (2,) for p in err.value.problems)


@pytest.mark.skipif(
    not (SHARED_DATA / "twitter-airline-sentiment").exists(),
    reason="../shared/data/twitter-airline-sentiment is absent",
)
def test_real_airline_tweets_compare_through_their_codebook():
    study = cx.load_study(TWEETS, data_dirs=[SHARED_DATA])
    assert study.n == 14640 and any("no id column" in n for n in study.quality.notes)
    result = cx.compare(study)
    negative = result.values[result.values["label"] == "Negative feedback %"].set_index("brand")
    assert negative.loc["Virgin America", "is_leader"]  # the lowest share of negative tweets
    assert negative["value"].idxmax() == "US Airways"
    united = _row(result, "Negative feedback %", "United")
    assert united["significant"] and united["difference"] < 0
    assert "Late Flight" in " ".join(result.positions["label"])


def test_without_a_driver_model_the_brand_is_not_told_it_has_no_strengths(demo_path, tmp_path):
    """A feedback-only study has no importance: the findings say where the brand is
    ahead of every competitor, and that what matters is unknown, instead of "no own
    experience"."""
    from shapes import make_shape

    study = cx.load_study(make_shape("text_only", tmp_path / "text", demo_path))
    lines = cx.compare(study).findings().lines
    assert not any("No own experience" in line for line in lines)
    assert "matter" in lines[-1] and "unknown" in lines[-1]


def _cell_texts(ax) -> dict[tuple[float, float], str]:
    return {(t.get_position()[0], t.get_position()[1]): t.get_text() for t in ax.texts}


def test_the_heatmap_writes_the_note_in_every_suppressed_cell(demo):
    """Seaborn leaves a missing cell blank; a base below the minimum must say so."""
    import matplotlib.pyplot as plt

    result = cx.compare(with_min_base(demo, 150))  # about half the demo's cells
    ax = result.plot()
    texts = _cell_texts(ax)
    small = result.values[result.values["below_min_base"] & result.values["touchpoint"].notna()]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    brands = [t.get_text() for t in ax.get_xticklabels()]
    assert len(small)
    for _, cell in small.iterrows():
        position = (brands.index(cell["brand"]) + 0.5, labels.index(cell["label"]) + 0.5)
        assert texts[position] == "n<150"
    shown = [t for t in texts.values() if t != "n<150"]
    assert 0 < len(shown) == len(labels) * len(brands) - len(small)
    plt.close(ax.figure)


def test_a_heatmap_with_every_base_suppressed_has_no_colour_scale(demo):
    import warnings

    import matplotlib.pyplot as plt

    result = cx.compare(with_min_base(demo, 100_000))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ax = result.plot()
    assert set(_cell_texts(ax).values()) == {"n<100000"}
    assert len(ax.figure.axes) == 1  # no colour bar for a scale with nothing on it
    plt.close(ax.figure)
