"""The key-driver model and the segmentation on Dask: the same results as in memory.

Drivers: the point estimates (importance, shares, slopes, R², performance,
reach, gap, halo) equal the in-memory ones to 1e-9; the intervals are the bag
of little bootstraps', compared with the in-memory ordinary bootstrap within a
stated tolerance, and checked for coverage on a study with a planted truth.
Segmentation: fitted on a seeded sample, every row assigned; on a study that
fits in the sample it equals the in-memory segmentation.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

import cxresearch as cx
from cxresearch.importance import correlation_from_sums, pairwise_sums

pytest.importorskip("dask.dataframe")

import dask.dataframe as dd  # noqa: E402
from dask_helpers import parquet_study, write_parts  # noqa: E402
from shapes import make_shape  # noqa: E402

from cxresearch.analyses import driver_model  # noqa: E402
from cxresearch.analyses.driver_model import DriverData  # noqa: E402
from cxresearch.analyses.on_dask import drivers as dask_drivers  # noqa: E402
from cxresearch.analyses.on_dask import segments as dask_segments  # noqa: E402
from cxresearch.data.dask_study import load_dask_study  # noqa: E402

POINT = [
    "touchpoint",
    "importance",
    "share",
    "direction",
    "signed_share",
    "rank",
    "missing",
    "n_answers",
    "stated_importance",
    "performance",
    "n_performance",
    "gap",
    "reach",
    "slope",
    "impact",
    "quadrant",
]


@pytest.fixture(scope="module")
def study_path(tmp_path_factory) -> Path:
    return parquet_study(tmp_path_factory.mktemp("dask_drivers"))


@pytest.fixture(scope="module")
def both(study_path):
    return cx.load_study(study_path), load_dask_study(study_path, scheduler="synchronous")


def as_parts(path: Path, parts: int = 3) -> Path:
    """A CSV study rewritten with its responses as a folder of Parquet parts."""
    codebook = yaml.safe_load(path.read_text())
    raw = pd.read_csv(path.parent / codebook["responses"], dtype={"respondent_id": str})
    write_parts(raw, path.parent / "parts", parts)
    codebook["responses"] = "parts"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path


def assert_same_point_estimates(memory: cx.Drivers, lazy: cx.Drivers) -> None:
    pd.testing.assert_frame_equal(memory.table[POINT], lazy.table[POINT], rtol=1e-9)
    for name in ("r2", "halo"):
        assert getattr(lazy, name) == pytest.approx(getattr(memory, name), rel=1e-9, nan_ok=True)
    for name in ("n", "n_excluded", "brand", "notes", "outcome_unit", "crosshair_rule"):
        assert getattr(lazy, name) == getattr(memory, name), name
    assert lazy.crosshair == pytest.approx(memory.crosshair, rel=1e-9)


# --- the point estimates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"outcome": "nps"},
        {"outcome": "csat", "weighted": False},
        {"outcome": "loyalty", "brand": None, "crosshair": "midpoint"},
        {"outcome": "retained"},  # yes/no: logistic relative weights, Newton steps on Dask
        {"outcome": "ces", "method": "shapley"},
    ],
    ids=lambda o: "-".join(str(v) for v in o.values()),
)
def test_point_estimates_equal_the_in_memory_ones(both, options):
    memory, lazy = both
    assert_same_point_estimates(
        cx.drivers(memory, n_boot=0, **options), cx.drivers(lazy, n_boot=0, **options)
    )


@pytest.mark.parametrize("shape", ["no_brand_column", "one_touchpoint", "yes_no_only"])
def test_point_estimates_equal_on_studies_of_other_shapes(tmp_path, both, study_path, shape):
    memory_demo = tmp_path / "demo"
    cx.make_demo_study(memory_demo, n=1500, random_state=4, events=False)
    path = as_parts(make_shape(shape, tmp_path / shape, memory_demo / "study.yaml"))
    memory, lazy = cx.load_study(path), load_dask_study(path, scheduler="synchronous")
    assert_same_point_estimates(cx.drivers(memory, n_boot=0), cx.drivers(lazy, n_boot=0))


def test_an_ill_conditioned_model_agrees_as_closely_as_memory_agrees_with_itself(
    tmp_path, monkeypatch
):
    """Forty touchpoints, many near-copies of each other: the pairwise matrix needs
    Higham's projection and its solution moves with the rounding of the sums.
    Summed in chunks of 377 rows instead of 65,536, the in-memory slopes move by
    about 1%; the Dask estimate (summed per partition) stays within ten times
    that drift, and the brand's figures are exact."""
    cx.make_demo_study(tmp_path / "demo", n=1500, random_state=4, events=False)
    shape = make_shape("forty_touchpoints", tmp_path / "forty", tmp_path / "demo" / "study.yaml")
    path = as_parts(shape)
    memory, lazy = cx.load_study(path), load_dask_study(path, scheduler="synchronous")
    a, b = cx.drivers(memory, n_boot=0), cx.drivers(lazy, n_boot=0)
    monkeypatch.setattr(driver_model, "CHUNK", 377)
    c = cx.drivers(memory, n_boot=0)
    for column in ("importance", "slope"):
        drift = np.max(np.abs(a.table[column] - c.table[column]) / np.abs(a.table[column]))
        off = np.max(np.abs(a.table[column] - b.table[column]) / np.abs(a.table[column]))
        assert 0 < drift and off <= 10 * drift, column
    exact = ["missing", "n_answers", "performance", "n_performance", "gap", "reach"]
    pd.testing.assert_frame_equal(a.table[exact], b.table[exact], rtol=1e-9)


def test_touchpoints_the_model_cannot_use_are_left_out_with_the_same_note(tmp_path):
    def rare(raw: pd.DataFrame) -> None:
        raw.loc[raw.index[2:], "perf_social_care"] = np.nan  # 2 answers left
        raw["perf_returns"] = raw["perf_returns"].where(raw["perf_returns"].isna(), 4)

    path = parquet_study(tmp_path, edit=rare)
    memory, lazy = cx.load_study(path), load_dask_study(path, scheduler="synchronous")
    a, b = cx.drivers(memory, n_boot=0), cx.drivers(lazy, n_boot=0)
    assert len(b.notes) == 2 and "every answer is 4" in " ".join(b.notes)
    assert_same_point_estimates(a, b)


def test_an_outcome_nobody_answered_is_the_same_study_error(tmp_path):
    def blank(raw: pd.DataFrame) -> None:
        raw["overall_satisfaction"] = np.nan

    path = parquet_study(tmp_path, edit=blank)
    memory, lazy = cx.load_study(path), load_dask_study(path, scheduler="synchronous")
    with pytest.raises(cx.StudyError) as in_memory:
        cx.drivers(memory, outcome="csat")
    with pytest.raises(cx.StudyError) as on_dask:
        cx.drivers(lazy, outcome="csat")
    assert str(on_dask.value) == str(in_memory.value)


def test_the_fitted_r2_from_sums_is_the_r2_of_the_fitted_values():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3))
    x[rng.random((500, 3)) < 0.3] = np.nan
    y = np.nan_to_num(x) @ [1.0, -0.5, 0.2] + rng.normal(size=500)
    w = rng.uniform(0.5, 2, 500)
    model = DriverData(x, y, y, w, 0, np.ones(500, dtype=bool), ("a", "b", "c"))
    sums = pairwise_sums(model._centred, w)
    _, means, _ = correlation_from_sums(sums)
    slopes = np.array([0.9, -0.4, 0.3])
    expected = model.fitted_r2(w, None, means, slopes)
    assert dask_drivers.fitted_r2_from_sums(sums, means, slopes) == pytest.approx(expected, 1e-12)


# --- the intervals: the bag of little bootstraps ------------------------------------------

# Tolerance against the in-memory ordinary bootstrap (200 resamples each) on the
# demo study (2,000 respondents; subsets of about 1,250): every bound within a
# quarter of the in-memory interval's width, or, for a share of R², within 0.5
# points (a touchpoint with a share near 0 has a bootstrap distribution piled
# against 0, whose percentiles move most). The Monte Carlo error alone (a 2.5%
# quantile of 200 resamples, on each side) is about 0.07 of the width per bound.
# The yes/no outcome's logistic model (R² 0.08, skewed shares): 0.35.
WIDTH_TOLERANCE = {"nps": 0.25, "csat": 0.25, "retained": 0.35}
SHARE_POINTS = 0.5


@pytest.mark.parametrize("outcome", ["nps", "csat", "retained"])
def test_blb_intervals_are_close_to_the_in_memory_bootstrap(both, outcome):
    memory, lazy = both
    tolerance = WIDTH_TOLERANCE[outcome]
    a, b = cx.drivers(memory, outcome=outcome), cx.drivers(lazy, outcome=outcome)
    assert "bag of little bootstraps: 5 subsets" in b.method and "x 40 resamples" in b.method
    for low, high, floor in (
        ("share_low", "share_high", SHARE_POINTS),
        ("impact_low", "impact_high", 0.0),
    ):
        width = (a.table[high] - a.table[low]).to_numpy()
        allowed = np.maximum(tolerance * width, floor)
        for bound in (low, high):
            off = np.abs(a.table[bound] - b.table[bound]).to_numpy()
            assert (off <= allowed).all(), (bound, a.table["touchpoint"][off > allowed].tolist())
    r2_width = a.r2_high - a.r2_low
    assert abs(a.r2_low - b.r2_low) <= tolerance * r2_width
    assert abs(a.r2_high - b.r2_high) <= tolerance * r2_width
    assert (b.table["share_low"] <= b.table["share"]).all()
    assert (b.table["share"] <= b.table["share_high"]).all()


def test_the_intervals_do_not_depend_on_the_number_of_partitions(tmp_path, both):
    _, four = both
    raw = four.responses.compute().reset_index()
    seven = dataclasses.replace(four, responses=dd.from_pandas(raw.set_index("respondent_id"), 7))
    a = cx.drivers(four, outcome="csat", n_boot=40, random_state=7)
    b = cx.drivers(seven, outcome="csat", n_boot=40, random_state=7)
    assert seven.responses.npartitions == 7
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-9)
    c = cx.drivers(four, outcome="csat", n_boot=40, random_state=8)
    assert not np.allclose(a.table["share_low"], c.table["share_low"])  # the seed matters


def test_no_bootstrap_gives_no_intervals(both):
    _, lazy = both
    result = cx.drivers(lazy, n_boot=0)
    assert result.table["share_low"].isna().all() and np.isnan(result.r2_low)
    assert result.method.endswith("no bootstrap")


def test_a_subset_holds_enough_answers_of_the_rarest_pair_of_touchpoints():
    pairs = np.array([[1000.0, 40.0], [40.0, 800.0]])
    assert dask_drivers.subset_size(100_000, 2, pairs) == 100_000  # rarest pair: 0.04%
    assert dask_drivers.subset_size(10**6, 2, np.full((2, 2), 5e5)) == int(1e6**0.7)
    assert dask_drivers.subset_size(2_000, 2, pairs * 2) == 1_250  # 80 of 2,000: 50 / 4%


# --- coverage on a planted truth (slow) ----------------------------------------------------


def planted_population(folder: Path, n: int = 60_000, seed: int = 11) -> Path:
    """A study of five touchpoints whose experiences (1-7, a fifth missing at random)
    drive a 1-7 outcome with known weights; its responses are the population
    the coverage check samples from."""
    rng = np.random.default_rng(seed)
    general = rng.normal(size=n)
    latent = 0.6 * general[:, None] + 0.8 * rng.normal(size=(n, 5))
    experience = np.clip(np.round(4 + 1.3 * latent), 1, 7)
    effort = 0.9 * latent[:, 0] + 0.5 * latent[:, 1] + 0.2 * latent[:, 3] + rng.normal(size=n)
    frame = pd.DataFrame(experience, columns=[f"perf_{i}" for i in range(5)])
    frame = frame.mask(rng.random(frame.shape) < 0.2)
    frame.insert(0, "respondent_id", [f"r{i}" for i in range(n)])
    frame["effort"] = np.clip(np.round(4 + effort), 1, 7)
    frame.to_csv(folder / "responses.csv", index=False)
    scale = [1, 7]
    codebook = {
        "name": "Planted drivers",
        "responses": "responses.csv",
        "columns": {"id": "respondent_id"},
        "outcomes": {"ces": {"column": "effort", "scale": scale}},
        "touchpoints": [
            {"id": f"t{i}", "label": f"Touchpoint {i}", "stage": "during",
             "experience": {"column": f"perf_{i}", "scale": scale}}
            for i in range(5)
        ],
    }  # fmt: skip
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path


@pytest.mark.slow
def test_blb_intervals_cover_the_planted_truth(tmp_path):
    """The truth is the model on the whole population (a plug-in estimate is the
    population's value of what it estimates); 40 samples of 4,000 drawn from it,
    each analysed on Dask: about 95% of the intervals of the slopes, shares and
    R² cover the truth (binomial spread over 40 x 11 intervals: 0.88-0.99)."""
    population = cx.load_study(planted_population(tmp_path))
    truth = cx.drivers(population, n_boot=0)
    (tmp_path / "small").mkdir()
    small = as_parts(planted_population(tmp_path / "small", n=500))
    lazy = load_dask_study(small, scheduler="synchronous")
    rows = population.responses.reset_index(drop=True)
    rng = np.random.default_rng(5)
    hits = []
    for replication in range(40):
        sample = rows.iloc[rng.integers(0, len(rows), 4_000)].reset_index(drop=True)
        ids = [f"s{replication}-{i}" for i in range(len(sample))]
        sample.index = pd.Index(ids, name="respondent_id")
        study = dataclasses.replace(lazy, responses=dd.from_pandas(sample, 3))
        got = cx.drivers(study, n_boot=100, random_state=replication)
        t, true = got.table, truth.table
        low, high = t["impact_low"] / t["reach"], t["impact_high"] / t["reach"]
        hits += list((low <= true["slope"]) & (true["slope"] <= high))
        hits += list((t["share_low"] <= true["share"]) & (true["share"] <= t["share_high"]))
        hits.append(got.r2_low <= truth.r2 <= got.r2_high)
    assert 0.88 <= np.mean(hits) <= 0.99


# --- segmentation: fitted on a sample, every row assigned ---------------------------------


def test_a_study_within_the_sample_is_segmented_as_in_memory(both):
    memory, lazy = both
    a = cx.segment(memory, k=4, n_boot=0)
    b = cx.segment(lazy, k=4, n_boot=0)
    pd.testing.assert_series_equal(b.labels.compute(), a.labels)
    pd.testing.assert_frame_equal(b.personas, a.personas, rtol=1e-9)
    pd.testing.assert_frame_equal(b.imputation, a.imputation)
    means = b.profiles["feature_means"]
    pd.testing.assert_frame_equal(means, a.profiles["feature_means"], rtol=1e-9, check_names=False)
    assert b.notes == a.notes and b.verdict == a.verdict
    pd.testing.assert_frame_equal(b.profiles["kpis"].table, a.profiles["kpis"].table, rtol=1e-9)
    labelled = cx.assign_segments(lazy, a)
    assert isinstance(labelled, dd.Series)
    pd.testing.assert_series_equal(labelled.compute(), cx.assign_segments(memory, a))


def test_a_partition_labelled_in_small_chunks_gives_the_same_segments(both, monkeypatch):
    """Partitions are labelled a chunk of rows at a time (bounded memory); the sums
    are the same however the rows are chunked (here 7 rows a chunk, partial last
    chunks included)."""
    memory, lazy = both
    whole = cx.segment(lazy, k=4, n_boot=0)
    monkeypatch.setattr(dask_segments, "CHUNK_ROWS", 7)
    chunked = cx.segment(lazy, k=4, n_boot=0)
    pd.testing.assert_frame_equal(chunked.personas, whole.personas, rtol=1e-12)
    pd.testing.assert_frame_equal(chunked.imputation, whole.imputation)
    pd.testing.assert_frame_equal(
        chunked.profiles["feature_means"], whole.profiles["feature_means"], rtol=1e-12
    )
    pd.testing.assert_series_equal(chunked.labels.compute(), whole.labels.compute())
    pd.testing.assert_frame_equal(
        chunked.profiles["kpis"].table, whole.profiles["kpis"].table, rtol=1e-12
    )
    pd.testing.assert_frame_equal(
        chunked.personas, cx.segment(memory, k=4, n_boot=0).personas, rtol=1e-9
    )


def test_workers_receive_the_model_without_the_sample_labels(both):
    """The workers get the fitted model without the sample's labels and map (5 MB
    at a sample of 100,000, once per partition's task before): it assigns every
    row to the same segment."""
    memory, _ = both
    fitted = cx.segment(memory, k=4, n_boot=0)
    slim = dask_segments.for_assigning(fitted)
    assert slim.labels.empty and slim.map_points.empty
    assert len(fitted.labels) == memory.n and not fitted.map_points.empty  # (untouched)
    pd.testing.assert_series_equal(
        cx.assign_segments(memory, slim), cx.assign_segments(memory, fitted)
    )


def planted_segments(folder: Path, n: int, seed: int = 2) -> tuple[Path, np.ndarray]:
    """A study of six touchpoints whose expectations (1-7) come from three planted
    segments (each high on two touchpoints), as Parquet parts; returns the path
    and each respondent's planted segment."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    centres = np.full((3, 6), 3.0)
    for s in range(3):
        centres[s, 2 * s : 2 * s + 2] = 6.0
    values = np.clip(np.round(centres[segment] + rng.normal(0, 0.8, (n, 6))), 1, 7)
    frame = pd.DataFrame(values, columns=[f"exp_{j}" for j in range(6)])
    frame.insert(0, "respondent_id", [f"p{i}" for i in range(n)])
    frame["effort"] = rng.integers(1, 8, n)
    folder.mkdir(parents=True, exist_ok=True)
    write_parts(frame, folder / "parts", 5)
    scale = [1, 7]
    codebook = {
        "name": "Planted segments",
        "responses": "parts",
        "columns": {"id": "respondent_id"},
        "outcomes": {"ces": {"column": "effort", "scale": scale}},
        "touchpoints": [
            {"id": f"t{j}", "label": f"Touchpoint {j}", "stage": "during",
             "expectation": {"column": f"exp_{j}", "scale": scale}}
            for j in range(6)
        ],
    }  # fmt: skip
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path, segment


def test_planted_segments_are_recovered_from_a_sample(tmp_path):
    path, planted = planted_segments(tmp_path, n=12_000)
    lazy = load_dask_study(path, scheduler="synchronous")
    result = cx.segment(lazy, k=3, n_boot=0, sample_size=2_000)
    labels = result.labels.compute()
    assert len(labels) == 12_000
    assert adjusted_rand_score(planted, labels.to_numpy()) > 0.9
    note = result.notes[-1]
    assert note.startswith("fitted on a seeded sample of ") and "of 12,000 respondents" in note
    sampled = int(note.split("sample of ")[1].split(" of ")[0].replace(",", ""))
    assert 1_800 <= sampled <= 2_200  # about sample_size, drawn by a hash of the id
    sizes = result.personas.set_index("segment")["n"]
    assert sizes.sum() == 12_000 and sizes.to_dict() == labels.value_counts().to_dict()
    assert result.personas["share"].sum() == pytest.approx(1.0)
    assert sorted(sizes, reverse=True) == pytest.approx([6000, 3600, 2400], rel=0.05)


@pytest.mark.slow
def test_drivers_and_segments_on_a_local_cluster_of_two_worker_processes(both, study_path):
    distributed = pytest.importorskip("distributed")
    memory, _ = both
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        lazy = load_dask_study(study_path, scheduler=cluster.scheduler_address)
        try:
            assert_same_point_estimates(cx.drivers(memory, n_boot=0), cx.drivers(lazy, n_boot=0))
            fitted = cx.segment(memory, k=3, n_boot=0)
            labels = lazy.compute(cx.assign_segments(lazy, fitted))[0]
            pd.testing.assert_series_equal(labels, fitted.labels)
        finally:
            lazy.client.close()
