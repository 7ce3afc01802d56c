"""The scorecard on Dask equals the in-memory scorecard: every rated item's base,
mean, top-2-box and distribution from per-partition sums, on the demo and on
studies of other shapes (yes/no outcomes only, no brand column, dates as waves)."""

from __future__ import annotations

import pandas as pd
import pytest

import cxresearch as cx

pytest.importorskip("dask.dataframe")

from dask_helpers import engines, parquet_study, shape_in_parts  # noqa: E402

from cxresearch.analyses.on_dask import scorecard as scorecard_on_dask  # noqa: E402
from cxresearch.analyses.scorecard import rated_items  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return engines(parquet_study(tmp_path_factory.mktemp("dask-scorecard")))


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return cx.make_demo_study(tmp_path_factory.mktemp("scorecard-shapes"), n=600, random_state=5)


def assert_same_scorecard(got, expected):
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    pd.testing.assert_frame_equal(got.distribution, expected.distribution, rtol=1e-9)
    assert (got.by, got.min_base, got.weighted, got.confidence) == (
        expected.by, expected.min_base, expected.weighted, expected.confidence,
    )  # fmt: skip


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by": "brand"},
        {"by": ["wave", "brand"]},
        {"by": "age_group", "brand": None},
        {"weighted": False, "confidence": 0.9},
        {"brand": "Corvex"},
    ],
)
def test_the_scorecard_on_dask_equals_the_in_memory_scorecard(demo, options):
    memory, lazy = demo
    expected = cx.scorecard(memory, **options)
    assert len(expected.table) > 20 and expected.table["n"].gt(0).all()
    assert_same_scorecard(cx.scorecard(lazy, **options), expected)


def test_a_brand_nobody_rated_gives_empty_bases_as_in_memory(demo):
    memory, lazy = demo
    expected = cx.scorecard(memory, brand="Nobody")
    assert (expected.table["n"] == 0).all()
    assert_same_scorecard(cx.scorecard(lazy, brand="Nobody"), expected)


@pytest.mark.parametrize("shape", ["yes_no_only", "no_brand_column", "waves_as_dates"])
def test_the_scorecard_of_other_shapes_equals_in_memory(shape, small_demo, tmp_path):
    memory, lazy = engines(shape_in_parts(shape, tmp_path / shape, small_demo))
    for options in ({}, {"by": "wave"}):
        assert_same_scorecard(cx.scorecard(lazy, **options), cx.scorecard(memory, **options))


def test_each_partition_sends_sums_per_group_not_rows(demo):
    _, lazy = demo
    items = [spec["spec"] for spec in rated_items(lazy)]
    frame = lazy.responses.get_partition(0).compute()
    part = scorecard_on_dask.summarise(frame, ["wave"], None, None, None, items)
    assert len(part) == frame["wave"].nunique() < len(frame)
    points = part.sums["0|points"]  # the first item: NPS, 0-10
    assert points.shape == (len(part), 11)
    assert points.sum() == part.sums["0|x|count"].sum()  # unweighted: counts
