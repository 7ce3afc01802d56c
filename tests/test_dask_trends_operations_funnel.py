"""Trends, operations and the web funnel on Dask equal the in-memory results: on
the demo study in Parquet parts, on other shapes of study, with events whose
sessions cross the parts' boundaries, and on a local cluster of two workers.

Quantiles (medians, 90th percentiles, their order-statistic bounds, the
funnel's median seconds) are exact on Dask (radix selection): they are
compared to the bit; sums to 1e-9."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import cxresearch as cx
from cxresearch.stats import quantile_interval

pytest.importorskip("dask.dataframe")

from dask_helpers import engines, parquet_study, shape_in_parts, write_parts  # noqa: E402

from cxresearch.analyses.funnel import Funnel  # noqa: E402
from cxresearch.analyses.on_dask import funnel as on_dask_funnel  # noqa: E402
from cxresearch.analyses.on_dask import operations as on_dask_operations  # noqa: E402
from cxresearch.analyses.on_dask.funnel import funnel_dask, sessions_apart  # noqa: E402
from cxresearch.analyses.on_dask.operations import (  # noqa: E402
    OrderStatistics,
    QuantileRanks,
    Request,
    answer,
    float_keys,
    key_values,
    merge_answers,
    operations_dask,
    select,
)
from cxresearch.analyses.on_dask.trends import trends_dask  # noqa: E402
from cxresearch.analyses.operations import Operations  # noqa: E402
from cxresearch.analyses.trends import Trends  # noqa: E402
from cxresearch.data.dask_study import load_dask_study  # noqa: E402

QUANTILE_COLUMNS = ["median", "median_low", "median_high", "p90", "p90_low", "p90_high"]
RESULT_FRAMES = ("table", "abandonment", "findability")


def same_operations(got, expected) -> None:
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    pd.testing.assert_frame_equal(
        got.table[QUANTILE_COLUMNS], expected.table[QUANTILE_COLUMNS], check_exact=True
    )
    assert (got.by, got.min_base, got.confidence) == (
        expected.by,
        expected.min_base,
        expected.confidence,
    )


def same_trends(got, expected) -> None:
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    fields = ("previous", "last", "brand", "correction", "family_size", "min_base")
    assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert got.family_level == pytest.approx(expected.family_level, rel=1e-12)


def same_funnel(got, expected) -> None:
    for name in RESULT_FRAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), rtol=1e-9)
    seconds = "median_seconds"
    pd.testing.assert_series_equal(got.table[seconds], expected.table[seconds], check_exact=True)
    assert got.quality == expected.quality
    assert (got.steps, got.by) == (expected.steps, expected.by)


# --- the selection of order statistics, without Dask ------------------------------------


def test_float_keys_sort_as_the_floats_and_give_them_back():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.normal(0, 1e3, 500), [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 1e308]]
    )
    keys = float_keys(x)
    assert np.array_equal(np.sort(x), key_values(np.sort(keys)))
    assert np.array_equal(key_values(keys), x + 0.0)  # -0.0 comes back as 0.0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 9, 10, 11, 30, 101, 1000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.1])
@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_quantile_ranks_give_quantile_interval_to_the_bit(n, q, confidence):
    rng = np.random.default_rng(n)
    x = np.sort(rng.gamma(2.0, 3.0, n) + np.round(rng.normal(0, 1, n), 1))
    ranks = QuantileRanks.of(n, q, confidence)
    got = ranks.interval({r: x[r] for r in ranks.ranks})
    assert got == quantile_interval(x, q, confidence)


def split_selection(parts: list[np.ndarray], ranks: list[int]) -> dict[int, float]:
    """Select ``ranks`` of the union of ``parts`` as the Dask versions do, with the
    partitions as arrays (each pass answers every part and adds the answers up)."""
    sets = [{"x": np.sort(float_keys(p))} for p in parts]

    def run_pass(requests):
        answers = [answer(s, requests) for s in sets]
        total = answers[0]
        for a in answers[1:]:
            total = merge_answers(total, a)
        return total

    first = run_pass([Request("x", 0, 0)])
    return select(OrderStatistics({"x": ranks}), first, run_pass).found["x"]


@pytest.mark.parametrize("exact_distinct", [1, 7, 4096])
def test_selection_finds_every_rank_of_values_spread_over_parts(monkeypatch, exact_distinct):
    monkeypatch.setattr(on_dask_operations, "EXACT_DISTINCT", exact_distinct)
    rng = np.random.default_rng(1)
    near = 1.0 + np.arange(40) * np.finfo(float).eps  # share their top 48 bits
    values = np.concatenate([rng.lognormal(1, 2, 300), near, np.full(50, 3.0), -near])
    rng.shuffle(values)
    parts = np.array_split(values, 5)
    truth = np.sort(values)
    ranks = [0, 1, 57, 199, 200, 301, 330, len(values) - 1]
    found = split_selection(parts, ranks)
    assert found == {r: truth[r] for r in ranks}


def test_a_rank_beyond_the_values_is_an_error():
    with pytest.raises(ValueError, match="fewer values"):
        split_selection([np.arange(3.0), np.arange(2.0)], [5])


# --- operations ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_parts(tmp_path_factory) -> Path:
    return parquet_study(tmp_path_factory.mktemp("dask-ops"))


@pytest.mark.parametrize("by", [None, "region", "tenure_years", "wave"])
@pytest.mark.parametrize("brand", ["auto", None])
def test_operations_on_dask_equal_the_in_memory_table(demo_parts, by, brand):
    memory, lazy = engines(demo_parts)
    same_operations(
        operations_dask(lazy, by=by, brand=brand), cx.operations(memory, by=by, brand=brand)
    )


def continuous_waits(raw: pd.DataFrame) -> None:
    """Waits with many distinct values, some equal in their first 48 bits."""
    rng = np.random.default_rng(5)
    raw["wait_minutes_queue"] = rng.gamma(2.0, 3.0, len(raw))
    raw["wait_minutes_hotline"] = 3.0 + rng.integers(0, 60, len(raw)) * 4e-15
    raw.loc[::9, "delivery_days"] = np.nan


@pytest.mark.parametrize("exact_distinct", [1, 64])
def test_continuous_waits_take_several_passes_and_stay_exact(tmp_path, monkeypatch, exact_distinct):
    monkeypatch.setattr(on_dask_operations, "EXACT_DISTINCT", exact_distinct)
    depths = []
    later = on_dask_operations._later_pass

    def counted(frame, plan, requests):
        depths.extend(r.depth for r in requests)
        return later(frame, plan, requests)

    monkeypatch.setattr(on_dask_operations, "_later_pass", counted)
    memory, lazy = engines(parquet_study(tmp_path, continuous_waits))
    for by in (None, "region"):
        same_operations(
            operations_dask(lazy, by=by, confidence=0.9),
            cx.operations(memory, by=by, confidence=0.9),
        )
    assert depths  # more passes than the first
    if exact_distinct == 1:  # the hotline waits differ only in their last bits
        assert max(depths) >= 32


def test_the_public_operations_run_the_dask_version(demo_parts):
    memory, lazy = engines(demo_parts)
    same_operations(cx.operations(lazy, by="region"), cx.operations(memory, by="region"))


# --- trends -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{}, {"brand": None}, {"weighted": False}, {"correction": "holm", "confidence": 0.9}],
)
def test_trends_on_dask_equal_the_in_memory_table(demo_parts, options):
    memory, lazy = engines(demo_parts)
    same_trends(trends_dask(lazy, **options), cx.trends(memory, **options))


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    return cx.make_demo_study(tmp_path_factory.mktemp("dask-shapes"), n=600, random_state=5)


@pytest.mark.parametrize("shape", ["waves_as_labels", "waves_as_numbers", "no_brand_column"])
def test_trends_of_other_shapes_equal_in_memory(shape, small_demo, tmp_path):
    memory, lazy = engines(shape_in_parts(shape, tmp_path / shape, small_demo))
    expected = cx.trends(memory)
    if shape == "waves_as_labels":  # natural order: Wave 10 after Wave 9
        assert (expected.previous, expected.last) == ("Wave 9", "Wave 10")
    same_trends(trends_dask(lazy), expected)


def tied_reasons(raw: pd.DataFrame) -> None:
    """Feedback reasons with tied counts, met in an order that is not alphabetical,
    one of them only in the last part and one too rare to compare."""
    n = len(raw)
    why = np.array(["Zed queue", "Alpha price", "Mid staff"] * (n // 3 + 1), dtype=object)[:n]
    why[-40:] = "Late delivery"
    why[:5] = "Rare"
    raw["why"] = np.where(raw["recommend"] >= 7, None, why)


def test_trends_of_feedback_reasons_equal_in_memory(small_demo, tmp_path):
    path = shape_in_parts("text_only", tmp_path / "text", small_demo, tied_reasons)
    memory, lazy = engines(path)
    expected = cx.trends(memory)
    assert any(m.startswith("reason:") for m in expected.table["measure"])
    same_trends(trends_dask(lazy), expected)


def test_operations_of_a_study_without_touchpoints_equal_in_memory(small_demo, tmp_path):
    path = shape_in_parts("operational_only", tmp_path / "ops", small_demo)
    memory, lazy = engines(path)
    same_operations(operations_dask(lazy, by="wave"), cx.operations(memory, by="wave"))


# --- the funnel ---------------------------------------------------------------------------


def events_study(folder: Path, layout: str, *, timed: bool = True, n: int = 600) -> Path:
    """The demo study with its responses and events as Parquet parts. ``layout``:
    ``"split"`` (the events file cut in three: sessions cross the cuts),
    ``"by_session"`` (two parts of whole sessions), ``"numbered"`` (the same
    with whole-number session ids: 1-300 and 1000-1299), ``"scattered"`` (rows in
    random order, every part holding pieces of many sessions)."""
    path = cx.make_demo_study(folder, n=n, random_state=3, events=True)
    events = pd.read_parquet(folder / "web_events.parquet")
    if layout == "scattered":
        events = events.sample(frac=1.0, random_state=1).reset_index(drop=True)
    if layout == "numbered":  # whole sessions, ids that order differently as text
        ids = np.sort(events["session_id"].unique())
        half = len(ids) // 2
        numbers = np.arange(len(ids)) + 1
        numbers[half:] += 10 ** len(str(half)) - half - 1  # part 1 starts at 1000
        events["session_id"] = events["session_id"].map(dict(zip(ids, numbers, strict=True)))
        layout = "by_session"
    if layout == "by_session":
        ids = np.sort(events["session_id"].unique())
        cut = events["session_id"] >= ids[len(ids) // 2]
        (folder / "events").mkdir()
        events[~cut].to_parquet(folder / "events" / "part-0.parquet")
        events[cut].to_parquet(folder / "events" / "part-1.parquet")
    else:
        write_parts(events, folder / "events", 3)
    raw = pd.read_csv(folder / "responses.csv", dtype={"respondent_id": str})
    write_parts(raw, folder / "parts", 2)
    text = path.read_text().replace("responses: responses.csv", "responses: parts")
    text = text.replace("file: web_events.parquet", "file: events")
    path.write_text(text if timed else text.replace("  time: ts\n", ""))
    return path


@pytest.fixture
def shuffles(monkeypatch) -> list:
    """Records each time the Dask funnel shuffles the events by session."""
    calls = []
    shuffled = on_dask_funnel._shuffled

    def recorded(*args):
        calls.append(args)
        return shuffled(*args)

    monkeypatch.setattr(on_dask_funnel, "_shuffled", recorded)
    return calls


@pytest.mark.parametrize(
    "layout, shuffled",
    [("split", True), ("scattered", True), ("by_session", False), ("numbered", False)],
)
@pytest.mark.parametrize("by", [None, "device"])
def test_the_funnel_on_dask_equals_the_in_memory_funnel(tmp_path, shuffles, layout, shuffled, by):
    memory, lazy = engines(events_study(tmp_path, layout))
    if layout == "split":  # the cuts fall inside sessions
        ids = [pd.read_parquet(p)["session_id"] for p in sorted((tmp_path / "events").iterdir())]
        assert set(ids[0]) & set(ids[1]) or set(ids[1]) & set(ids[2])
    expected = cx.funnel(memory, by=by)
    got = funnel_dask(lazy, by=by)
    same_funnel(got, expected)
    assert bool(shuffles) == shuffled
    assert expected.quality["duplicate_events"] > 0


def test_the_funnel_with_other_steps_and_confidence_equals_in_memory(tmp_path):
    memory, lazy = engines(events_study(tmp_path, "split"))
    options = {"product_step": "cart", "search_step": "home", "confidence": 0.8}
    same_funnel(funnel_dask(lazy, **options), cx.funnel(memory, **options))


def test_events_without_times_are_ordered_by_their_place_in_the_file(tmp_path):
    memory, lazy = engines(events_study(tmp_path / "s", "scattered", timed=False))
    expected = cx.funnel(memory, by="device")
    assert expected.table["median_seconds"].isna().all()  # no times: no seconds
    assert expected.quality["out_of_order_sessions"] > 0  # the file's order is scrambled
    same_funnel(funnel_dask(lazy, by="device"), expected)


def test_median_seconds_in_milliseconds_take_more_passes_and_stay_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(on_dask_operations, "EXACT_DISTINCT", 2)
    path = events_study(tmp_path, "split")
    part = tmp_path / "events" / "part-1.parquet"
    events = pd.read_parquet(part)
    jitter = np.random.default_rng(2).integers(0, 1000, len(events))
    events["ts"] = events["ts"] + pd.to_timedelta(jitter, unit="ms")
    events.to_parquet(part)
    passes = []
    later = on_dask_funnel._later_pass
    monkeypatch.setattr(
        on_dask_funnel, "_later_pass", lambda *args: passes.append(1) or later(*args)
    )
    memory, lazy = engines(path)
    same_funnel(funnel_dask(lazy, by="device"), cx.funnel(memory, by="device"))
    assert passes


def test_partitions_hold_whole_sessions_when_their_ranges_of_ids_are_apart():
    assert sessions_apart([(3, "a", "c"), (0, None, None), (2, "d", "f")])
    assert sessions_apart([(2, "d", "f"), (3, "a", "c")])  # in any order
    assert not sessions_apart([(3, "a", "d"), (2, "d", "f")])  # "d" may be in both
    assert not sessions_apart([(3, "a", "e"), (2, "b", "c")])


def test_session_ids_written_as_numbers_are_ranged_in_numeric_order():
    def scan(ids):
        return on_dask_funnel._scan(pd.DataFrame({"s": ids}), "s")

    as_text = [scan(pd.Series(["7", "999", "12"])), scan(pd.Series(["1000", "1999"]))]
    assert as_text[0][1:] == ((1, "7"), (3, "999"))
    assert sessions_apart(as_text)  # alphabetically "999" > "1000": they would overlap
    assert not sessions_apart([scan(pd.Series(["5", "1500"])), scan(pd.Series(["1000", "1999"]))])
    assert sessions_apart([scan(pd.Series(["S0001", "S0009"])), scan(pd.Series(["S0010"]))])
    assert sessions_apart([scan(pd.Series([7, 999])), scan(pd.Series([1000, 1999]))])


def test_the_public_funnel_runs_the_dask_version(tmp_path):
    memory, lazy = engines(events_study(tmp_path, "split"))
    same_funnel(cx.funnel(lazy, by="device"), cx.funnel(memory, by="device"))


def test_a_dask_study_without_events_is_told_what_the_funnel_needs(demo_parts):
    _, lazy = engines(demo_parts)
    with pytest.raises(cx.StudyError, match="web events"):
        funnel_dask(lazy)


# --- on a cluster -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


@pytest.mark.slow
def test_on_a_local_cluster_of_two_workers_the_three_analyses_equal_memory(cluster, tmp_path):
    path = events_study(tmp_path, "split")
    memory = cx.load_study(path)
    lazy = load_dask_study(path, scheduler=cluster.scheduler_address)
    try:
        assert lazy.client is not None
        same_funnel(funnel_dask(lazy, by="device"), cx.funnel(memory, by="device"))
        same_operations(operations_dask(lazy, by="region"), cx.operations(memory, by="region"))
        same_trends(trends_dask(lazy), cx.trends(memory))
    finally:
        lazy.client.close()


def test_results_are_the_in_memory_result_types(demo_parts, tmp_path):
    _, lazy = engines(demo_parts)
    _, with_events = engines(events_study(tmp_path, "by_session"))
    assert type(operations_dask(lazy)) is Operations
    assert type(trends_dask(lazy)) is Trends
    assert type(funnel_dask(with_events)) is Funnel


def test_kpis_by_wait_band_on_dask_equal_in_memory(demo_parts):
    memory, lazy = engines(demo_parts)
    for column in ("wait_minutes_queue", "delivery_days"):
        expected = cx.operations(memory).relation(column)
        got = operations_dask(lazy).relation(column)
        pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)


def test_wait_thirds_without_a_target_need_the_column_in_memory(small_demo, tmp_path):
    path = shape_in_parts("operational_only", tmp_path / "ops", small_demo)
    codebook = yaml.safe_load(path.read_text())
    codebook["operational"][0].pop("target")  # wait_minutes_queue
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    _, lazy = engines(path)
    with pytest.raises(cx.StudyError, match="thirds without a target"):
        operations_dask(lazy).relation("wait_minutes_queue")
