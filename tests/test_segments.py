"""Segmentation: planted personas recovered, noise recognised, scikit-learn contract kept."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, with_min_base
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

import cxresearch as cx
from cxresearch.analyses.personas import standardized_differences

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
    assert seg.clear and seg.verdict.startswith("Clear segment structure")
    assert seg.stability.mean >= 0.9 and seg.stability.low <= seg.stability.mean


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


def test_pure_noise_is_reported_as_no_clear_structure(planted):
    study, _, _ = planted
    rng = np.random.default_rng(1)
    shuffled = study.responses.apply(lambda c: c.iloc[rng.permutation(len(c))].to_numpy())
    noise = cx.Study(study.codebook, shuffled.set_axis(study.responses.index), None, study.quality)
    seg = cx.segment(noise, random_state=0, n_boot=10)
    assert not seg.clear
    assert seg.verdict.startswith("No clear segment structure")
    assert seg.stability.mean < 0.75 or seg.silhouette < seg.silhouette_null + 0.03
    assert "cx-warning" in seg._repr_html_()


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
    study = cx.load_study(TELCO)
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
    """One general factor behind ten ratings: two segments that differ by level only."""
    rng = np.random.default_rng(5)
    n, items = 800, [f"item{j}" for j in range(10)]
    halo = rng.normal(0, 1, n)
    ratings = pd.DataFrame(
        {c: np.clip(np.round(4.5 + 1.2 * halo + rng.normal(0, 0.8, n)), 1, 7) for c in items}
    )
    seg = cx.segment(rating_study(tmp_path, ratings), k=2, n_boot=0)
    names = set(seg.personas["name"])
    assert names == {"Rates everything lower", "Rates everything higher"}
    assert seg.personas["description"].str.contains("a difference of level").all()


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
