"""Segmentation: planted personas recovered, a continuum recognised against a null that
keeps the correlations, halo removed on request, imputation reported, scikit-learn
contract kept."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, with_min_base
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

import cxresearch as cx
from cxresearch.analyses.clustering import GaussianReference, RespondentCentring
from cxresearch.analyses.personas import Levels, describe_segments, standardized_differences

TELCO = Path(__file__).resolve().parents[1] / "examples" / "telco-churn" / "study.yaml"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = cx.make_demo_study(tmp_path_factory.mktemp("seg"), n=2500, random_state=7)
    study = cx.load_study(path)
    truth = json.loads((path.parent / "truth.json").read_text())
    return study, truth, cx.segment(study, random_state=0)


def truth_labels(study, truth):
    return [truth["respondent_persona"][i] for i in study.responses.index]


def test_planted_personas_are_recovered_with_the_planted_k(planted):
    study, truth, seg = planted
    assert seg.k == truth["k"]
    assert adjusted_rand_score(truth_labels(study, truth), seg.labels) >= 0.8
    assert seg.structure == "clear" and seg.clear and seg.verdict.startswith("Clear segments")
    assert seg.stability.mean >= 0.9 and seg.stability.low <= seg.stability.mean
    assert seg.silhouette >= seg.null.upper + 0.05 and seg.null.draws == 20


def test_k_scores_cover_the_range_and_the_reason_names_the_criteria(planted):
    _, _, seg = planted
    assert list(seg.k_scores["k"]) == list(range(2, 9))
    assert {"silhouette", "calinski_harabasz", "davies_bouldin"} <= set(seg.k_scores)
    assert "silhouette" in seg.choice.reason and "k = 4" in seg.choice.reason
    assert seg.plot_k().get_title() == "Choosing k: k = 4 chosen"


def test_personas_are_named_from_what_distinguishes_them(planted):
    study, truth, seg = planted
    personas = seg.personas.set_index("segment")
    assert personas["n"].sum() == study.n
    assert personas["share"].sum() == pytest.approx(1)
    # the segment holding the planted digital persona is named and described by it
    digital = (
        pd.Series(truth_labels(study, truth), index=study.responses.index) == "Digital self-servers"
    )
    segment = seg.labels[digital].mode()[0]
    assert personas.loc[segment, "name"].startswith("Digital")
    assert "Website" in personas.loc[segment, "description"]
    assert personas.loc[segment, "outcome"] == "NPS"
    assert not np.isnan(personas.loc[segment, "outcome_value"])
    assert "Digital" in seg._repr_html_() and "NPS" in seg._repr_html_()


def test_shuffled_answers_are_a_continuum_shown_as_levels(planted):
    study, _, _ = planted
    rng = np.random.default_rng(1)
    shuffled = study.responses.apply(lambda c: c.iloc[rng.permutation(len(c))].to_numpy())
    noise = cx.Study(study.codebook, shuffled.set_axis(study.responses.index), None, study.quality)
    seg = cx.segment(noise, random_state=0, n_boot=10)
    assert seg.structure == "continuum" and not seg.clear
    assert seg.verdict.startswith("A continuum, not segments")
    assert seg.silhouette < seg.silhouette_null + 0.02
    html = seg._repr_html_()
    assert "cx-warning" in html and "Levels of overall rating, not personas" in html


def test_the_demo_fixture_keeps_clear_segments_with_its_planted_personas(demo, demo_path):
    truth = json.loads((demo_path.parent / "truth.json").read_text())
    seg = cx.segment(demo, random_state=0, n_boot=5)
    assert seg.structure == "clear" and seg.k == truth["k"]
    assert adjusted_rand_score(truth_labels(demo, truth), seg.labels) >= 0.8


def test_same_seed_same_labels(demo):
    a = cx.segment(demo, random_state=3, n_boot=5)
    b = cx.segment(demo, random_state=3, n_boot=5)
    assert a.labels.equals(b.labels) and a.stability == b.stability


def test_the_model_is_a_scikit_learn_pipeline(planted):
    study, truth, seg = planted
    assert isinstance(seg.pipeline, Pipeline)
    assert seg.pipeline.get_params()["cluster__n_clusters"] == 4
    assert clone(seg.pipeline).get_params()["cluster__n_clusters"] == 4
    new_wave = cx.load_study(
        cx.make_demo_study(Path(study.codebook.folder).parent / "wave3", n=800, random_state=99)
    )
    labels = cx.assign_segments(new_wave, seg)
    planted_wave = json.loads((new_wave.codebook.folder / "truth.json").read_text())
    assert adjusted_rand_score(truth_labels(new_wave, planted_wave), labels) >= 0.8
    assert set(labels) <= set(seg.labels)


@pytest.mark.parametrize("method", ["gmm", "agglomerative"])
def test_other_methods(demo, method):
    seg = cx.segment(demo, method=method, k=4, n_boot=3)
    assert seg.k == 4 and seg.labels.nunique() == 4
    assert seg.pipeline.predict(demo.responses[seg.features]).shape == (demo.n,)
    if method == "gmm":
        assert "bic" in seg.k_scores


def test_small_segments_are_flagged_not_described(demo):
    strict = with_min_base(demo, 400)
    seg = cx.segment(strict, k=6, n_boot=2)
    small = seg.personas[seg.personas["n"] < 400]
    assert len(small) and small["below_min_base"].all()
    assert small["description"].str.startswith("Too few respondents").all()
    assert "suppressed" in seg._repr_html_()


def test_large_studies_fit_minibatch_kmeans_on_everyone(demo, monkeypatch):
    import importlib

    segments = importlib.import_module("cxresearch.analyses.segments")
    monkeypatch.setattr(segments, "LARGE_N", 600)
    seg = cx.segment(demo, k=4, n_boot=3)
    assert any("random sample of 600" in note for note in seg.notes)
    assert any("MiniBatchKMeans" in note for note in seg.notes)
    assert seg.labels.index.equals(demo.responses.index)


def test_standardized_difference_by_hand():
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0, 6.0, 7.0]})
    labels = pd.Series([1, 1, 1, 2, 2, 2])
    d = standardized_differences(data, labels)
    # means 2 and 6, both variances 1: d = (2 - 6) / 1
    assert d.loc[1, "x"] == pytest.approx(-4.0) and d.loc[2, "x"] == pytest.approx(4.0)


def test_map_points_are_a_seeded_sample_with_segments(planted):
    _, _, seg = planted
    assert len(seg.map_points) == 2500
    assert seg.plot().get_xlabel().startswith("first principal component")


@pytest.mark.skipif(
    not (SHARED_DATA / "telco-churn").exists(), reason="../shared/data/telco-churn is absent"
)
def test_real_telco_customers_segment_without_hand_editing():
    study = cx.load_study(TELCO, data_dirs=[SHARED_DATA])
    seg = cx.segment(
        study, features=["tenure", "MonthlyCharges", "TotalCharges"], profile=True, n_boot=5
    )
    assert 2 <= seg.k <= 8
    assert seg.personas["n"].sum() == 7043
    assert seg.personas["description"].str.contains("Contract").any()


def test_for_segment_restricts_the_study_and_says_so(demo):
    labels = cx.segment(demo, random_state=0, n_boot=0).labels
    second = cx.for_segment(demo, 2, random_state=0)
    assert second.n == int((labels == 2).sum())
    assert any("restricted to segment 2" in note for note in second.quality.notes)
    assert cx.for_segment(demo, None) is demo
    with pytest.raises(KeyError, match="no segment 99"):
        cx.for_segment(demo, 99)


def rating_study(folder, ratings: pd.DataFrame):
    """A study of 1-7 experience ratings, one touchpoint per column (no expectations)."""
    from conftest import write_study

    rows = ratings.assign(id=[f"r{i}" for i in range(len(ratings))])
    touchpoints = [
        {"id": c, "stage": "during", "experience": {"column": c, "scale": [1, 7]}}
        for c in ratings.columns
    ]
    codebook = {
        "name": "Ratings",
        "responses": "responses.csv",
        "min_base": 20,
        "columns": {"id": "id"},
        "touchpoints": touchpoints,
    }
    return cx.load_study(write_study(folder, rows, codebook))


def test_a_halo_split_is_named_by_its_level_not_by_trivial_differences(tmp_path):
    """One general factor behind ten ratings, split at its median: two groups that
    differ by level only are named by their level."""
    rng = np.random.default_rng(5)
    n, items = 800, [f"item{j}" for j in range(10)]
    halo = rng.normal(0, 1, n)
    ratings = pd.DataFrame(
        {c: np.clip(np.round(4.5 + 1.2 * halo + rng.normal(0, 0.8, n)), 1, 7) for c in items}
    )
    study = rating_study(tmp_path, ratings)
    labels = pd.Series(np.where(halo > 0, 1, 2), index=study.responses.index)
    personas, _ = describe_segments(study, labels, items)
    assert set(personas["name"]) == {"Rates everything lower", "Rates everything higher"}
    assert personas["description"].str.contains("a difference of level").all()


def test_differences_too_small_to_matter_name_nothing(tmp_path):
    """Two segments split on one bimodal item; two noise items differ by chance only
    and must not name a segment."""
    rng = np.random.default_rng(6)
    n = 3000
    ratings = pd.DataFrame(
        {
            "noise_a": rng.integers(1, 8, n).astype(float),
            "noise_b": rng.integers(1, 8, n).astype(float),
            "split": np.where(rng.random(n) < 0.5, 1.0, 6.0) + rng.integers(0, 2, n),
        }
    )
    seg = cx.segment(rating_study(tmp_path, ratings), k=2, n_boot=0)
    for row in seg.personas.to_dict("records"):
        assert row["distinguishing"] == 1  # the split item alone
        assert "split" in row["name"].lower() and "noise" not in row["name"].lower()
        assert row["outcome"] is None  # a study without outcomes shows none on its cards
    assert "no answers" not in seg._repr_html_()


# --- planted truths against the honest null (a Gaussian with the same correlations) ---

ITEMS = [f"item{j}" for j in range(9)]
BLOCKS = np.kron(np.eye(3), np.ones(3))  # persona c rates items 3c..3c+2 high


def on_scale(values) -> pd.DataFrame:
    """Answers on a 1-7 scale, as respondents give them."""
    return pd.DataFrame(np.clip(np.round(values), 1, 7), columns=ITEMS)


def test_one_factor_without_clusters_is_a_continuum_shown_as_levels(tmp_path):
    """One normal factor behind nine ratings and no clusters: k-means still finds a tidy
    split (silhouette near 0.3), and so does a Gaussian with the same correlations."""
    rng = np.random.default_rng(0)
    factor = rng.normal(0, 1, (300, 1))
    study = rating_study(tmp_path, on_scale(4 + 1.2 * factor + rng.normal(0, 0.8, (300, 9))))
    seg = cx.segment(study, n_boot=5)
    assert seg.silhouette > 0.25  # what the shuffled-column baseline called "clear"
    assert seg.structure == "continuum" and not seg.clear
    assert seg.verdict.startswith("A continuum, not segments")
    assert "centre='respondent'" in seg.verdict
    # levels, not personas: thirds of the overall rating, lowest first
    assert list(seg.personas["name"]) == [
        "Lower third of overall ratings",
        "Middle third of overall ratings",
        "Upper third of overall ratings",
    ]
    assert seg.personas["description"].str.startswith("A level, not a persona").all()
    assert seg.personas["share"].between(0.28, 0.39).all()
    means = study.responses[ITEMS].mean(axis=1).groupby(seg.labels).mean()
    assert means.is_monotonic_increasing
    assert list(seg.display().columns) == ["level", "respondents", "description"]
    assert cx.assign_segments(study, seg).equals(seg.labels)
    # every chapter gets the same levels, whether or not it measures stability
    assert cx.segment(study, n_boot=0).labels.equals(seg.labels)


def test_planted_clusters_are_clear_and_recovered(tmp_path):
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 300)
    study = rating_study(tmp_path, on_scale(2.5 + 3 * BLOCKS[truth] + rng.normal(0, 0.8, (300, 9))))
    seg = cx.segment(study, n_boot=5)
    assert seg.structure == "clear" and seg.clear and seg.k == 3
    assert adjusted_rand_score(truth, seg.labels) > 0.8
    assert seg.silhouette > seg.null.upper + 0.05


def test_centring_per_respondent_finds_segments_a_halo_masks(tmp_path):
    """Three kinds of customer (each rates its own three touchpoints higher than its
    others) under a strong general level: raw ratings look like a continuum, the
    within-respondent profiles show the three segments."""
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, 300)
    halo = rng.normal(0, 1.5, (300, 1))
    kind = 1.5 * (BLOCKS - 1 / 3)
    study = rating_study(tmp_path, on_scale(4 + halo + kind[truth] + rng.normal(0, 0.6, (300, 9))))
    raw = cx.segment(study, n_boot=5)
    centred = cx.segment(study, n_boot=5, centre="respondent")
    assert raw.structure == "continuum" and adjusted_rand_score(truth, raw.labels) < 0.2
    assert centred.structure == "clear" and centred.centre == "respondent"
    assert adjusted_rand_score(truth, centred.labels) > 0.8
    assert any("within-respondent profiles" in note for note in centred.notes)
    assert cx.assign_segments(study, centred).equals(centred.labels)  # predict centres too


def test_the_imputation_report_matches_the_planted_missing_shares(tmp_path):
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 300)
    ratings = on_scale(2.5 + 3 * BLOCKS[truth] + rng.normal(0, 0.8, (300, 9)))
    ratings.loc[rng.choice(300, 45, replace=False), "item0"] = np.nan  # 15%
    ratings.loc[rng.choice(300, 120, replace=False), "item4"] = np.nan  # 40%
    ratings.loc[rng.choice(300, 15, replace=False), "item8"] = np.nan  # 5%
    seg = cx.segment(rating_study(tmp_path, ratings), n_boot=0)
    shares = seg.imputation.set_index("feature")["share_missing"]
    assert shares["item0"] == 0.15 and shares["item4"] == 0.40 and shares["item8"] == 0.05
    assert shares.drop(["item0", "item4", "item8"]).eq(0).all()
    assert (seg.imputation["filled_with"] == "mean").all()
    assert "Caveat: 2 of 9 features had more than 10% of answers missing" in seg.verdict
    assert "(most: item4 (experience), 40%)" in seg.verdict
    assert "in 3 of 9 features" in seg.imputation_note
    assert seg.imputation_note in seg.notes and "mean imputation" in seg._repr_html_()


def test_too_few_respondents_or_answers_are_study_errors_in_words(tmp_path):
    rng = np.random.default_rng(4)
    with pytest.raises(cx.StudyError, match="at least 20 respondents; this study has 1"):
        cx.segment(rating_study(tmp_path / "one", on_scale(rng.integers(1, 8, (1, 9)))))
    empty = on_scale(rng.integers(1, 8, (40, 9))).assign(**{c: np.nan for c in ITEMS})
    with pytest.raises(cx.StudyError, match="nobody answered any of its features"):
        cx.segment(rating_study(tmp_path / "empty", empty))
    one_answers = on_scale(rng.integers(1, 8, (40, 9)))
    one_answers.iloc[1:] = np.nan
    with pytest.raises(cx.StudyError, match="only 1 answered any of its features"):
        cx.segment(rating_study(tmp_path / "one-answers", one_answers))
    same = on_scale(np.full((40, 9), 4.0))
    with pytest.raises(cx.StudyError, match="only 1 different pattern"):
        cx.segment(rating_study(tmp_path / "same", same))


def test_a_feature_nobody_answered_is_left_out_with_a_note(tmp_path):
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, 200)
    ratings = on_scale(2.5 + 3 * BLOCKS[truth] + rng.normal(0, 0.8, (200, 9)))
    ratings["item2"] = np.nan
    seg = cx.segment(rating_study(tmp_path, ratings), n_boot=0)
    assert "item2" not in seg.features and len(seg.features) == 8
    assert any("nobody answered them: item2" in note for note in seg.notes)
    row = seg.imputation.set_index("feature").loc["item2"]
    assert row["filled_with"] == "dropped" and row["share_missing"] == 1.0
    assert seg.personas["n"].sum() == 200


def test_centre_takes_respondent_or_nothing(tmp_path, demo):
    with pytest.raises(ValueError, match="centre must be None or 'respondent'"):
        cx.segment(demo, centre="item")
    rng = np.random.default_rng(6)
    ratings = pd.DataFrame({"tenure": rng.normal(size=40), "charges": rng.normal(size=40)})
    study = rating_study(tmp_path, on_scale(rng.integers(1, 8, (40, 9))))
    extra = ratings.set_axis(study.responses.index)
    numbers = replace(study, responses=study.responses.assign(**extra))
    with pytest.raises(cx.StudyError, match="needs at least two touchpoint ratings"):
        cx.segment(numbers, features=["tenure", "charges"], centre="respondent")


def test_respondent_centring_by_hand():
    ratings = pd.DataFrame({"a": [1.0, 7.0], "b": [4.0, np.nan], "c": [7.0, 1.0], "d": [9, 9]})
    centred = RespondentCentring(("a", "b", "c"), ((1, 7), (1, 7), (1, 7))).transform(ratings)
    # respondent 1: shares 0, 0.5, 1 (mean 0.5); respondent 2: 1, missing, 0 (mean 0.5)
    assert centred.loc[0, ["a", "b", "c"]].tolist() == [-0.5, 0.0, 0.5]
    assert centred.loc[1, "a"] == 0.5 and np.isnan(centred.loc[1, "b"])
    assert centred["d"].tolist() == [9, 9]  # not a rating: left as it is


def test_the_gaussian_reference_keeps_mean_and_covariance_also_when_singular():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(500, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]]) + [3.0, -1.0]
    z = np.column_stack([z, z[:, 0] + z[:, 1]])  # a third column with no variance of its own
    draws = GaussianReference.of(z).draw(200_000, np.random.default_rng(8))
    assert np.allclose(draws.mean(axis=0), z.mean(axis=0), atol=0.02)
    assert np.allclose(np.cov(draws, rowvar=False), np.cov(z, rowvar=False), atol=0.02)
    assert np.allclose(draws[:, 2], draws[:, 0] + draws[:, 1])


def test_levels_by_hand():
    numbers = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "y": [1.0] * 3 + [np.nan] * 3})
    levels = Levels.fit(numbers)
    # y is constant where answered (z = 0), so the score is x's z averaged with y's 0
    z = (numbers["x"] - 3.5) / numbers["x"].std()
    expected = pd.concat([z[:3] / 2, z[3:]])
    assert np.allclose(levels.score(numbers), expected)
    assert levels.assign(numbers).tolist() == [1, 1, 2, 2, 3, 3]


def test_the_missing_answers_table_reads_in_words(demo):
    """Chapter 02 shows the imputation per feature as people read it."""
    segmentation = cx.segment(demo, n_boot=0)
    shown = segmentation.imputation_display()
    raw = segmentation.imputation.set_index("label")
    assert list(shown.columns) == ["respondents", "answers missing", "share missing", "filled with"]
    worst = raw["share_missing"].idxmax()
    assert shown.loc[worst, "share missing"] == f"{raw.loc[worst, 'share_missing']:.0%}"
    assert set(shown["filled with"]) <= {"the item's mean", "a category of its own"}


def test_a_feature_constant_within_a_segment_is_tested_without_a_warning():
    """Everyone in segment 1 rated the item 2: its variance is exactly 0, and Welch's
    t against the others is exact (scipy's check for "nearly identical" data would
    otherwise print a precision warning in the analyst's notebook)."""
    import warnings

    from scipy import stats

    from cxresearch.analyses.personas import distinguishing

    rng = np.random.default_rng(3)
    data = pd.DataFrame({"item": np.r_[np.full(40, 2.0), rng.integers(3, 8, 60).astype(float)]})
    labels = pd.Series(np.r_[np.ones(40, int), np.full(60, 2)])
    differences = standardized_differences(data, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        flagged = distinguishing(data, labels, differences)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the reference: scipy alone
        p = stats.ttest_ind(data["item"][:40], data["item"][40:], equal_var=False).pvalue
    assert p < 1e-20 and flagged.loc[1, "item"] and flagged.loc[2, "item"]
