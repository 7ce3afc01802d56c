"""Gaps, competitor comparisons and banner tables on Dask equal the in-memory ones:
the same result objects from per-partition sums, on the demo and on studies of
other shapes, and the Wilcoxon signed-rank test from the counts of each difference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

import cxresearch as cx

pytest.importorskip("dask.dataframe")

from dask_helpers import N, engines, parquet_study, shape_in_parts  # noqa: E402

from cxresearch.analyses.gaps import wilcoxon_from_counts  # noqa: E402
from cxresearch.analyses.on_dask import gaps as gaps_on_dask  # noqa: E402
from cxresearch.data.dask_study import load_dask_study  # noqa: E402


# -- the studies ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = parquet_study(tmp_path_factory.mktemp("dask-gaps"))
    return cx.load_study(path), load_dask_study(path, scheduler="synchronous")


@pytest.fixture(scope="module")
def csv_demo(tmp_path_factory) -> Path:
    return cx.make_demo_study(tmp_path_factory.mktemp("shape-demo"), n=N, random_state=4,
                              events=False)  # fmt: skip


@pytest.fixture(scope="module")
def shapes(tmp_path_factory, csv_demo):
    folder = tmp_path_factory.mktemp("dask-shapes")
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = engines(shape_in_parts(name, folder / name, csv_demo, parts=4))
        return cache[name]

    return get


def assert_same_gaps(got, expected):
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    assert (got.by, got.brand, got.notes, got.correction, got.family_size) == (
        expected.by, expected.brand, expected.notes, expected.correction, expected.family_size,
    )  # fmt: skip
    assert got.family_level == pytest.approx(expected.family_level, rel=1e-12)


def assert_same_comparison(got, expected):
    for part in ("values", "table", "positions"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(expected, part), rtol=1e-9)
    assert (got.brand, got.brand_column, got.source, got.family_size) == (
        expected.brand, expected.brand_column, expected.source, expected.family_size,
    )  # fmt: skip


def assert_same_banner(got, expected):
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    pd.testing.assert_frame_equal(got.tests, expected.tests, rtol=1e-9)
    assert (got.columns, got.respondents, got.notes, got.weighted) == (
        expected.columns, expected.respondents, expected.notes, expected.weighted,
    )  # fmt: skip


# -- the Wilcoxon signed-rank test from counts ---------------------------------------------
def histogram(d: np.ndarray):
    values, counts = np.unique(d, return_counts=True)
    return values, counts


@pytest.mark.parametrize("n", [2, 5, 9, 13, 20, 50, 51, 200, 5000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wilcoxon_from_the_counts_of_each_difference_equals_scipy(n, seed):
    rng = np.random.default_rng(seed)
    d = rng.integers(-4, 6, n).astype(float)  # ties and zeros
    expected = st.wilcoxon(d, zero_method="wilcox").pvalue if np.any(d != 0) else np.nan
    got = wilcoxon_from_counts(*histogram(d))
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize("n", [8, 40, 300])
def test_wilcoxon_from_counts_without_ties_and_with_halves(n):
    rng = np.random.default_rng(n)
    distinct = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1, 1], n) / 7  # exact path
    halves = rng.integers(-8, 9, n) / 2  # not whole numbers: counted as they are
    for d in (distinct, halves):
        np.testing.assert_allclose(
            wilcoxon_from_counts(*histogram(d)),
            st.wilcoxon(d, zero_method="wilcox").pvalue,
            rtol=1e-9,
        )


def test_wilcoxon_from_counts_finds_a_planted_shift_and_not_a_symmetric_one():
    rng = np.random.default_rng(7)
    shifted = np.round(rng.normal(0.4, 1.5, 4000))
    symmetric = np.concatenate([np.arange(-3, 4)] * 500).astype(float)
    assert wilcoxon_from_counts(*histogram(shifted)) < 1e-6
    assert wilcoxon_from_counts(*histogram(symmetric)) == pytest.approx(1.0)


def test_no_test_without_two_differences_or_with_only_zeros():
    assert np.isnan(wilcoxon_from_counts([3.0], [1]))
    assert np.isnan(wilcoxon_from_counts([0.0], [500]))


# -- gaps ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"by": "stage"},
        {"by": "brand", "brand": None},
        {"by": "wave", "weighted": False},
        {"by": "region", "correction": "holm"},
        {"by": "region", "correction": "fdr_bh", "confidence": 0.9, "weighted": False},
        {"brand": "Corvex", "by": "age_group"},
        {"reference": "best_competitor"},
        {"reference": "best_competitor", "brand": "Duomart", "weighted": False},
    ],
)
def test_gaps_from_partition_sums_equal_the_in_memory_table(demo, arguments):
    memory, lazy = demo
    expected = cx.gaps(memory, **arguments)
    assert_same_gaps(cx.gaps(lazy, **arguments), expected)
    if "wilcoxon_p" in expected.table:
        assert expected.table["wilcoxon_p"].notna().any()


def test_gaps_by_segment_equal_with_respondents_without_a_segment(demo):
    memory, lazy = demo
    labels = pd.Series(np.arange(memory.n) % 3, index=memory.responses.index, dtype=float)
    labels.iloc[::8] = np.nan
    expected = cx.gaps(memory, by="segment", segments=labels)
    assert "(missing)" in set(expected.table["segment"])
    assert_same_gaps(cx.gaps(lazy, by="segment", segments=labels), expected)


def test_gaps_of_small_groups_take_scipy_exact_and_permutation_tests_as_in_memory(demo):
    memory, lazy = demo
    sizes = {0: 12, 1: 40}  # up to 13 with ties: permutation; up to 50: exact or normal
    labels = pd.Series(2, index=memory.responses.index)
    labels.iloc[: sizes[0]], labels.iloc[sizes[0] : sizes[0] + sizes[1]] = 0, 1
    expected = cx.gaps(memory, by="segment", segments=labels, brand=None)
    small = expected.table[expected.table["segment"] == "0"]
    assert small["n"].between(2, 12).all() and small["wilcoxon_p"].notna().all()
    assert_same_gaps(cx.gaps(lazy, by="segment", segments=labels, brand=None), expected)


def test_gaps_of_a_brand_nobody_rated_is_the_in_memory_error(demo):
    memory, lazy = demo
    with pytest.raises(KeyError) as in_memory:
        cx.gaps(memory, brand="Nobody")
    with pytest.raises(KeyError) as on_dask:
        cx.gaps(lazy, brand="Nobody")
    assert str(on_dask.value) == str(in_memory.value)


def test_too_many_distinct_differences_stop_in_words(demo, monkeypatch):
    _, lazy = demo
    monkeypatch.setattr(gaps_on_dask, "MAX_DIFFERENCES", 5)  # a 1-7 scale has 13
    with pytest.raises(cx.StudyError, match=r"Wilcoxon signed-rank.*more than 5 distinct"):
        cx.gaps(lazy)


def test_a_partition_sends_counts_per_group_touchpoint_and_difference_not_rows(demo):
    _, lazy = demo
    spec = gaps_on_dask._Spec(lazy.codebook, "brand", "expectation", None, ["brand_rated"],
                              True, None)  # fmt: skip
    rows = lazy.responses.partitions[0].compute()
    part = gaps_on_dask.summarise(rows, spec, None)
    bigger = gaps_on_dask.summarise(pd.concat([rows] * 4), spec, None)  # 4 times the rows
    assert len(bigger.sums) == len(part.sums) == 4  # brands
    assert len(bigger.differences) == len(part.differences)
    counts = bigger.differences.sums["count"], 4 * part.differences.sums["count"]
    np.testing.assert_array_equal(*counts)
    touchpoints = len(lazy.codebook.touchpoints)
    assert len(part.differences) <= 4 * touchpoints * 13  # a 1-7 scale: 13 differences


@pytest.mark.parametrize(
    ("shape", "arguments"),
    [
        ("one_brand", {"by": "wave"}),
        ("no_brand_column", {"by": "age_group", "weighted": False}),
        ("waves_as_numbers", {"by": "wave"}),
        ("forty_touchpoints", {"by": "stage"}),  # stage means of up to 33 touchpoints
        ("experiences_only", {"reference": "best_competitor"}),
    ],
)
def test_gaps_on_other_shapes_equal_the_in_memory_table(shapes, shape, arguments):
    memory, lazy = shapes(shape)
    assert_same_gaps(cx.gaps(lazy, **arguments), cx.gaps(memory, **arguments))


@pytest.mark.parametrize(
    ("shape", "arguments", "words"),
    [
        ("experiences_only", {}, "expectations or targets"),
        ("full", {"reference": "target"}, "need a target: score"),  # the demo has no targets
    ],
)
def test_gaps_a_study_cannot_have_are_refused_in_the_same_words(shapes, shape, arguments, words):
    memory, lazy = shapes(shape)
    with pytest.raises(cx.StudyError, match=words) as in_memory:
        cx.gaps(memory, **arguments)
    with pytest.raises(cx.StudyError) as on_dask:
        cx.gaps(lazy, **arguments)
    assert str(on_dask.value) == str(in_memory.value)


# -- compare -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def importance(demo):
    memory, _ = demo
    return cx.drivers(memory, n_boot=0)


@pytest.mark.parametrize(
    "arguments",
    [{}, {"weighted": False, "correction": "holm"}, {"brand": "Corvex", "confidence": 0.9}],
)
def test_compare_from_partition_sums_equals_the_in_memory_comparison(demo, importance, arguments):
    memory, lazy = demo
    expected = cx.compare(memory, drivers=importance, **arguments)
    assert_same_comparison(cx.compare(lazy, drivers=importance, **arguments), expected)


def test_compare_asks_the_drivers_of_the_dask_study_when_none_are_given(demo):
    memory, lazy = demo
    assert_same_comparison(cx.compare(lazy), cx.compare(memory))


def test_compare_of_feedback_reasons_equals_the_in_memory_comparison(shapes):
    memory, lazy = shapes("text_only")
    expected = cx.compare(memory)
    assert expected.values["measure"].str.startswith("reason:").any()
    assert_same_comparison(cx.compare(lazy), expected)


def test_reasons_given_as_often_come_in_the_order_they_first_appear(tmp_path, csv_demo):
    def two_reasons(raw):  # as many of each, and "Rude staff" (not first by name) first
        given = np.flatnonzero(raw["why"].notna().to_numpy())
        given = given[: len(given) // 2 * 2]
        why = pd.Series(None, index=raw.index, dtype=object)
        why.iloc[given[0::2]], why.iloc[given[1::2]] = "Rude staff", "Long queue"
        raw["why"] = why

    memory, lazy = engines(
        shape_in_parts("text_only", tmp_path / "text_only", csv_demo, edit=two_reasons, parts=4)
    )
    expected = cx.compare(memory)
    reasons = [m for m in dict.fromkeys(expected.values["measure"]) if m.startswith("reason:")]
    assert reasons == ["reason:Rude staff", "reason:Long queue"]
    assert_same_comparison(cx.compare(lazy), expected)


@pytest.mark.parametrize(("shape", "arguments"), [("no_brand_column", {}), ("one_brand", {})])
def test_compare_without_competitors_is_refused_in_the_same_words(shapes, shape, arguments):
    memory, lazy = shapes(shape)
    with pytest.raises(cx.StudyError) as in_memory:
        cx.compare(memory, **arguments)
    with pytest.raises(cx.StudyError) as on_dask:
        cx.compare(lazy, **arguments)
    assert str(on_dask.value) == str(in_memory.value)


def test_compare_on_a_csat_only_study_unweighted(shapes):
    memory, lazy = shapes("csat_only")
    assert_same_comparison(cx.compare(lazy, weighted=False), cx.compare(memory, weighted=False))


# -- banner --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"columns": "brand"},
        {"columns": ["wave", "tenure_years"], "brand": None, "distributions": True},
        {"columns": "region", "weighted": False, "correction": "fdr_bh"},
        {
            "rows": ["nps", "store"],
            "brand": "Corvex",
            "confidence": 0.9,
            "correction": "bonferroni",
        },  # fmt: skip
    ],
)
def test_banner_from_partition_sums_equals_the_in_memory_banner(demo, arguments):
    memory, lazy = demo
    assert_same_banner(cx.banner(lazy, **arguments), cx.banner(memory, **arguments))


def test_banner_by_segment_counts_those_without_one_as_in_memory(demo):
    memory, lazy = demo
    labels = pd.Series(np.arange(memory.n) % 4, index=memory.responses.index, dtype=float)
    labels.iloc[:70] = np.nan
    expected = cx.banner(memory, columns=["age_group", "segment"], segments=labels)
    assert any(note.startswith("segment: ") for note in expected.notes)
    assert_same_banner(cx.banner(lazy, columns=["age_group", "segment"], segments=labels), expected)


def test_banner_of_a_scale_without_whole_ends_counts_the_points_seen(tmp_path):
    def without_region(raw):
        raw.loc[::11, "region"] = None

    path = parquet_study(tmp_path, edit=without_region)
    text = path.read_text()
    csat = "column: overall_satisfaction\n    scale:\n    - 1\n    - 5"
    assert csat in text
    path.write_text(text.replace(csat, csat.replace("- 1", "- 0.5")))
    memory, lazy = cx.load_study(path), load_dask_study(path, scheduler="synchronous")
    arguments = {"rows": ["csat"], "columns": "region", "distributions": True}
    expected = cx.banner(memory, **arguments)
    statistics = set(expected.table["statistic"])
    assert "% answering 2" in statistics and "% answering 0.5" not in statistics
    assert any(note.startswith("region: ") for note in expected.notes)
    assert_same_banner(cx.banner(lazy, **arguments), expected)


@pytest.mark.parametrize(
    ("shape", "arguments"),
    [
        ("yes_no_only", {"distributions": True}),
        ("one_brand", {"columns": "wave", "weighted": False}),
        ("no_brand_column", {}),
        ("waves_as_numbers", {"columns": ["wave", "age_group"]}),
    ],
)
def test_banner_on_other_shapes_equals_the_in_memory_banner(shapes, shape, arguments):
    memory, lazy = shapes(shape)
    assert_same_banner(cx.banner(lazy, **arguments), cx.banner(memory, **arguments))


def test_banner_of_a_brand_nobody_rated_is_the_in_memory_error(demo):
    memory, lazy = demo
    with pytest.raises(KeyError) as in_memory:
        cx.banner(memory, brand="Nobody")
    with pytest.raises(KeyError) as on_dask:
        cx.banner(lazy, brand="Nobody")
    assert str(on_dask.value) == str(in_memory.value)


# -- segments= with a Dask segmentation (lazy labels) -------------------------------------
@pytest.fixture(scope="module")
def segmentations(demo):
    """The demo's segmentation in memory and on Dask, fitted on every respondent
    (``sample_size`` = n), so that the two are the same segmentation."""
    memory, lazy = demo
    options = {"k": 3, "n_boot": 0, "random_state": 0}
    return cx.segment(memory, **options), cx.segment(lazy, sample_size=N, **options)


def planted_labels(frame: pd.DataFrame) -> pd.Series:
    """Labels 0-2 from the last digit of the respondent id, none where it is 7: the
    same for a respondent whichever way the rows are partitioned."""
    digit = frame.index.str[-1].astype(int)
    labels = pd.Series(digit % 3, index=frame.index, dtype=float, name="segment")
    return labels.mask(digit == 7)


def test_the_dask_segmentation_has_lazy_labels_equal_to_the_in_memory_ones(segmentations):
    in_memory, on_dask = segmentations
    assert hasattr(on_dask.labels, "to_delayed") and not isinstance(on_dask.labels, pd.Series)
    pd.testing.assert_series_equal(on_dask.labels.compute(), in_memory.labels)


@pytest.mark.parametrize(
    "arguments", [{}, {"brand": "Corvex", "weighted": False}, {"correction": "fdr_bh"}]
)
def test_gaps_by_a_dask_segmentation_equal_the_in_memory_gaps(demo, segmentations, arguments):
    (memory, lazy), (in_memory, on_dask) = demo, segmentations
    expected = cx.gaps(memory, by="segment", segments=in_memory, **arguments)
    assert set(expected.table["segment"]) == {"1", "2", "3"}
    assert_same_gaps(cx.gaps(lazy, by="segment", segments=on_dask, **arguments), expected)


@pytest.mark.parametrize(
    "arguments",
    [
        {"columns": ["age_group", "segment"]},
        {"brand": "Corvex", "distributions": True},  # "auto": the profile, then the segments
        {"columns": "segment", "rows": ["nps", "store"], "weighted": False},
    ],
)
def test_banner_by_a_dask_segmentation_equals_the_in_memory_banner(demo, segmentations, arguments):
    (memory, lazy), (in_memory, on_dask) = demo, segmentations
    expected = cx.banner(memory, segments=in_memory, **arguments)
    names = set(in_memory.personas["name"])
    assert "segment" in expected.columns
    assert names <= set(expected.table["category"])  # the personas' names head the columns
    assert_same_banner(cx.banner(lazy, segments=on_dask, **arguments), expected)


def test_lazy_labels_alone_with_respondents_without_one_equal_the_in_memory_series(demo):
    memory, lazy = demo
    labels = planted_labels(memory.responses)
    lazy_labels = lazy.responses.map_partitions(planted_labels, meta=labels.iloc[:0])
    assert labels.isna().any()
    expected = cx.gaps(memory, by="segment", segments=labels)
    assert "(missing)" in set(expected.table["segment"])
    assert_same_gaps(cx.gaps(lazy, by="segment", segments=lazy_labels), expected)
    arguments = {"columns": ["region", "segment"]}
    expected = cx.banner(memory, segments=labels, **arguments)
    assert {"Segment 0.0", "Segment 2.0"} <= set(expected.table["category"])
    assert any(note.startswith("segment: ") for note in expected.notes)  # those without one
    assert_same_banner(cx.banner(lazy, segments=lazy_labels, **arguments), expected)


def test_each_partition_meets_only_its_own_labels(demo, segmentations, monkeypatch):
    """Lazy labels are read partition by partition, never brought to one process."""
    _, lazy = demo
    seen, original = [], gaps_on_dask.summarise

    def summarise(frame, spec, labels):
        seen.append((len(frame), len(labels), labels.index.isin(frame.index).all()))
        return original(frame, spec, labels)

    monkeypatch.setattr(gaps_on_dask, "summarise", summarise)
    cx.gaps(lazy, by="segment", segments=segmentations[1])
    assert len(seen) == lazy.responses.npartitions
    assert all(rows == labelled and inside for rows, labelled, inside in seen)
    assert sum(rows for rows, _, _ in seen) == N


def test_lazy_labels_partitioned_otherwise_than_the_responses_are_refused_in_words(demo):
    memory, lazy = demo
    labels = planted_labels(memory.responses)
    dd = pytest.importorskip("dask.dataframe")
    with pytest.raises(ValueError, match="lazy labels in 3 partitions .* responses are in 4"):
        cx.gaps(lazy, by="segment", segments=dd.from_pandas(labels, npartitions=3))
    shuffled = dd.from_pandas(labels.iloc[::-1], npartitions=4, sort=False)
    with pytest.raises(
        ValueError, match=r"partition (\d) labels 500 respondents .* not in partition \1 "
    ):
        cx.banner(lazy, columns="segment", segments=shuffled)


def test_an_in_memory_analysis_refuses_lazy_labels_in_words(demo, segmentations):
    memory, _ = demo
    with pytest.raises(TypeError, match=r"lazy \(Dask\) labels.*labels.compute\(\)"):
        cx.gaps(memory, by="segment", segments=segmentations[1])
    with pytest.raises(TypeError, match=r"lazy \(Dask\) labels"):
        cx.banner(memory, columns="segment", segments=segmentations[1].labels)


# -- a cluster -----------------------------------------------------------------------------
@pytest.mark.slow
def test_on_a_local_cluster_of_two_worker_processes(demo, importance):
    distributed = pytest.importorskip("distributed")
    memory, _ = demo
    path = memory.codebook.path
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        lazy = load_dask_study(path, scheduler=cluster.scheduler_address)
        try:
            assert_same_gaps(cx.gaps(lazy, by="wave"), cx.gaps(memory, by="wave"))
            assert_same_comparison(
                cx.compare(lazy, drivers=importance), cx.compare(memory, drivers=importance)
            )
            labels = pd.Series(np.arange(memory.n) % 3, index=memory.responses.index)
            assert_same_banner(
                cx.banner(lazy, columns=["region", "segment"], segments=labels),
                cx.banner(memory, columns=["region", "segment"], segments=labels),
            )
            planted = planted_labels(memory.responses)
            lazy_labels = lazy.responses.map_partitions(planted_labels, meta=planted.iloc[:0])
            assert_same_gaps(
                cx.gaps(lazy, by="segment", segments=lazy_labels),
                cx.gaps(memory, by="segment", segments=planted),
            )
        finally:
            lazy.client.close()
