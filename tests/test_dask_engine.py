"""The Dask engine: a study read lazily from Parquet parts is checked with the same
rules and words as in memory, and its KPI table equals the in-memory one."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.data.dask_workers import arrow_pool

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from dask_helpers import PARTS, N, parquet_study, write_parts  # noqa: E402

from cxresearch.analyses.on_dask.kpis import kpis_dask  # noqa: E402
from cxresearch.cli import main  # noqa: E402
from cxresearch.data.dask_study import load_dask_study  # noqa: E402


@pytest.fixture(scope="module")
def study_path(tmp_path_factory) -> Path:
    return parquet_study(tmp_path_factory.mktemp("dask"))


@pytest.fixture(scope="module")
def both(study_path):
    return cx.load_study(study_path), load_dask_study(study_path, scheduler="synchronous")


def assert_same_quality(a, b):
    assert dataclasses.replace(a, effective_n=None) == dataclasses.replace(b, effective_n=None)
    assert a.effective_n == pytest.approx(b.effective_n, rel=1e-12)


def test_a_dask_study_has_the_quality_record_of_the_in_memory_study(both):
    memory, lazy = both
    assert lazy.engine == "dask"
    assert lazy.responses.npartitions == PARTS
    assert_same_quality(memory.quality, lazy.quality)
    assert lazy.n == memory.n == N


def test_its_responses_are_typed_as_in_memory_with_one_set_of_categories(both):
    memory, lazy = both
    pd.testing.assert_frame_equal(lazy.responses.compute(), memory.responses)
    brands = lazy.responses.partitions[0].compute()["brand_rated"].cat.categories
    assert list(brands) == list(memory.responses["brand_rated"].cat.categories)


def test_it_answers_what_the_study_supports_as_in_memory(both):
    memory, lazy = both
    for need in ("brands", "waves", "segments", "loyalty", "events", "touchpoints"):
        assert lazy.supports(need) == memory.supports(need), need
    assert lazy.has("weight") and not lazy.has("events")
    assert lazy.weights().compute().equals(memory.weights())


@pytest.mark.parametrize("by", [None, "brand", ["brand", "wave"], "tenure_years", "region"])
@pytest.mark.parametrize("weighted", [True, False])
def test_kpis_from_partition_sums_equal_the_in_memory_table(both, by, weighted):
    memory, lazy = both
    expected = cx.kpis(memory, by=by, weighted=weighted)
    got = kpis_dask(lazy, by=by, weighted=weighted)
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-9)
    assert (got.by, got.weighted, got.min_base) == (
        expected.by,
        expected.weighted,
        expected.min_base,
    )


def test_kpis_at_another_confidence_equal_too(both):
    memory, lazy = both
    expected = cx.kpis(memory, by="wave", confidence=0.8)
    pd.testing.assert_frame_equal(
        kpis_dask(lazy, by="wave", confidence=0.8).table, expected.table, rtol=1e-9
    )


def errors_of(path: Path) -> tuple[str, str]:
    with pytest.raises(cx.StudyError) as memory:
        cx.load_study(path)
    with pytest.raises(cx.StudyError) as lazy:
        load_dask_study(path, scheduler="synchronous")
    return str(memory.value), str(lazy.value)


def test_a_bad_value_in_the_third_part_is_named_at_its_row_in_the_whole_file(tmp_path):
    def spoil(raw):
        raw.loc[1000 + 7, "recommend"] = 11  # part 3 holds rows 1001..1500
        raw.loc[1400, "overall_satisfaction"] = 9

    memory, lazy = errors_of(parquet_study(tmp_path, spoil))
    assert lazy == memory
    assert "column 'recommend': values outside the scale 0-10: 11 (data rows 1008)" in lazy
    assert "(data rows 1401)" in lazy


def test_bad_values_in_two_parts_make_one_problem_listing_both(tmp_path):
    def spoil(raw):
        raw.loc[[10, 1900], "recommend"] = [12, 11]

    memory, lazy = errors_of(parquet_study(tmp_path, spoil))
    assert lazy == memory
    assert "values outside the scale 0-10: 12, 11 (data rows 11, 1901)" in lazy


def test_an_id_repeated_in_two_parts_is_a_duplicate_of_the_whole_file(tmp_path):
    def spoil(raw):
        raw.loc[1600, "respondent_id"] = raw.loc[3, "respondent_id"]

    memory, lazy = errors_of(parquet_study(tmp_path, spoil))
    assert lazy == memory
    assert "duplicate respondent ids" in lazy and "(data rows 4, 1601)" in lazy


def test_the_brand_need_only_be_in_some_part(tmp_path):
    def competitors_first(raw):
        order = np.argsort((raw["brand_rated"] == "Acme").to_numpy(), kind="stable")
        raw[:] = raw.iloc[order].to_numpy()

    path = parquet_study(tmp_path, competitors_first)
    lazy = load_dask_study(path, scheduler="synchronous")
    memory = cx.load_study(path)
    assert lazy.brand == "Acme"
    pd.testing.assert_frame_equal(
        kpis_dask(lazy, by="brand").table, cx.kpis(memory, by="brand").table, rtol=1e-9
    )


def test_a_brand_in_no_part_is_the_in_memory_error(tmp_path):
    path = parquet_study(tmp_path)
    path.write_text(path.read_text().replace("brand: Acme", "brand: acme"))
    memory, lazy = errors_of(path)
    assert lazy == memory and "did you mean 'Acme'?" in lazy


def test_the_warnings_of_the_whole_file_are_those_of_memory(tmp_path):
    def spoil(raw):
        raw.loc[1500:, "weight"] *= 500  # only the last part has the heavy weights
        raw["perf_queue"] = np.nan  # nobody answered

    path = parquet_study(tmp_path, spoil)
    memory = cx.load_study(path)
    lazy = load_dask_study(path, scheduler="synchronous")
    assert any(w.startswith("extreme weights") for w in memory.quality.warnings)
    assert any("'perf_queue' has no answer at all" in w for w in memory.quality.warnings)
    assert_same_quality(memory.quality, lazy.quality)


def test_weights_too_spread_over_the_whole_file_are_the_in_memory_error(tmp_path):
    def spoil(raw):  # no part alone is spread, the file is
        raw.loc[:499, "weight"] *= 1e-4
        raw.loc[1500:, "weight"] *= 1e4

    memory, lazy = errors_of(parquet_study(tmp_path, spoil))
    assert lazy == memory and "the largest weight is" in lazy and "(data rows 1, 2, 3" in lazy


@pytest.mark.parametrize("also_bad_score", [False, True])
def test_weights_too_spread_within_one_part_are_the_in_memory_error(tmp_path, also_bad_score):
    def spoil(raw):
        raw.loc[1999, "weight"] = 1e7
        if also_bad_score:
            raw.loc[5, "recommend"] = 11

    memory, lazy = errors_of(parquet_study(tmp_path, spoil))
    assert lazy == memory and "the largest weight is" in lazy and "(data rows 2000)" in lazy


def test_a_csv_study_is_refused_in_words(tmp_path):
    path = cx.make_demo_study(tmp_path, n=100, random_state=3, events=False)
    with pytest.raises(cx.StudyError, match="the Dask engine reads Parquet"):
        load_dask_study(path)


def test_parts_outside_the_study_folder_need_an_allowed_folder(tmp_path):
    path = parquet_study(tmp_path / "study")
    shutil.move(tmp_path / "study" / "parts", tmp_path / "elsewhere")
    path.write_text(path.read_text().replace("responses: parts", "responses: ../elsewhere"))
    with pytest.raises(cx.StudyError, match="is outside the study folder"):
        load_dask_study(path)
    lazy = load_dask_study(path, data_dirs=[tmp_path / "elsewhere"], scheduler="synchronous")
    assert lazy.n == N


def test_parts_with_different_schemas_are_refused_as_in_memory(tmp_path):
    path = parquet_study(tmp_path)
    part = tmp_path / "parts" / "part-2.parquet"
    frame = pd.read_parquet(part)
    frame["recommend"] = frame["recommend"].astype("string")
    frame.to_parquet(part)
    memory, lazy = errors_of(path)
    assert lazy == memory and "do not share one schema" in lazy


@pytest.mark.slow
def test_on_a_local_cluster_of_two_worker_processes_over_tcp(both, study_path):
    distributed = pytest.importorskip("distributed")
    memory, _ = both
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        lazy = load_dask_study(study_path, scheduler=cluster.scheduler_address)
        try:
            assert_same_quality(memory.quality, lazy.quality)
            got = kpis_dask(lazy, by="brand")
            pd.testing.assert_frame_equal(got.table, cx.kpis(memory, by="brand").table, rtol=1e-9)
        finally:
            lazy.client.close()
        address = cluster.scheduler_address
        through_load = cx.load_study(study_path, engine="dask", scheduler=address)
        try:
            assert through_load.client is not None and through_load.scheduler == address
            assert through_load.compute(through_load.responses.index.size) == (N,)
            # the workers allocate Arrow memory with the system allocator (it returns it)
            pools = through_load.client.run(arrow_pool)
            assert len(pools) == 2 and set(pools.values()) == {"system"}
        finally:
            through_load.close()
        assert main(["validate", str(study_path), "--engine", "dask", "--scheduler", address]) == 0


def test_web_events_in_parts_are_checked_and_counted_as_in_memory(tmp_path):
    path = cx.make_demo_study(tmp_path, n=300, random_state=3, events=True)
    write_parts(pd.read_parquet(tmp_path / "web_events.parquet"), tmp_path / "events", 3)
    raw = pd.read_csv(tmp_path / "responses.csv", dtype={"respondent_id": str})
    write_parts(raw, tmp_path / "parts", 2)
    text = path.read_text().replace("responses: responses.csv", "responses: parts")
    path.write_text(text.replace("file: web_events.parquet", "file: events"))
    memory = cx.load_study(path)
    lazy = load_dask_study(path, scheduler="synchronous")
    assert lazy.quality.events_kept == memory.quality.events_kept > 0
    assert_same_quality(memory.quality, lazy.quality)
    assert lazy.supports("events")
    pd.testing.assert_frame_equal(lazy.events.compute().reset_index(drop=True), memory.events)


def test_the_public_analysis_runs_its_dask_version_for_a_dask_study(both):
    memory, lazy = both
    pd.testing.assert_frame_equal(
        cx.kpis(lazy, by="brand").table, cx.kpis(memory, by="brand").table, rtol=1e-9
    )


def test_an_analysis_without_a_dask_version_says_so_in_words(both):
    _, lazy = both
    with pytest.raises(cx.StudyError, match=r"cx\.strategy needs the responses in memory"):
        cx.strategy(lazy)


# --- cx.load_study(..., engine="dask") and the codebook's engine: -----------------------


def test_load_study_with_engine_dask_gives_the_dask_study_of_the_in_memory_one(study_path, both):
    memory, _ = both
    lazy = cx.load_study(study_path, engine="dask", scheduler="synchronous")
    assert isinstance(lazy, cx.DaskStudy) and not isinstance(memory, cx.DaskStudy)
    assert (lazy.engine, memory.engine, lazy.scheduler) == ("dask", "pandas", "synchronous")
    assert_same_quality(memory.quality, lazy.quality)
    pd.testing.assert_frame_equal(
        cx.kpis(lazy, by="brand").table, cx.kpis(memory, by="brand").table, rtol=1e-9
    )


def test_the_codebooks_engine_and_scheduler_choose_dask_and_the_arguments_win(tmp_path):
    path = parquet_study(tmp_path)
    path.write_text(path.read_text() + "engine: dask\nscheduler: synchronous\n")
    lazy = cx.load_study(path)
    assert isinstance(lazy, cx.DaskStudy) and lazy.scheduler == "synchronous"
    memory = cx.load_study(path, engine="pandas")
    assert isinstance(memory, cx.Study)
    assert_same_quality(memory.quality, lazy.quality)
    assert cx.load_study(path, scheduler="threads").scheduler == "threads"
    assert load_dask_study(path).scheduler == "synchronous"


def test_a_dask_study_answers_the_codebooks_questions_as_the_in_memory_one(both):
    memory, lazy = both
    assert lazy.name == memory.name and lazy.brand == memory.brand == "Acme"
    assert lazy.resolve_column("wave") == memory.resolve_column("wave")
    with pytest.raises(KeyError, match="neither a role of this study nor one of its columns"):
        lazy.resolve_column("planet")
    nps = memory.codebook.outcomes["nps"].column
    assert lazy.outcome("nps").name == memory.outcome("nps").name == nps
    with pytest.raises(KeyError, match="the study has no outcome 'npx'"):
        lazy.outcome("npx")
    assert [lazy.has(r) for r in ("brand", "wave", "id")] == [True, True, True]


def test_an_unknown_engine_is_named_in_words_with_the_codebook_and_the_key(study_path):
    with pytest.raises(cx.StudyError) as err:
        cx.load_study(study_path, engine="Dask ")
    assert str(err.value) == (
        f"{study_path}, column 'engine': the engine asked for (engine='Dask ') must be "
        "pandas (the rows in memory, the default) or dask (Parquet data read lazily, "
        "partition by partition, for data larger than memory), not 'Dask '; did you mean "
        "'dask'?"
    )


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"engine": "dask", "scheduler": "localhost:8786"}, "did you mean 'tcp://localhost:8786'?"),
        ({"engine": "dask", "scheduler": "fast"}, "must be a Dask scheduler: threads, processes"),
        ({"scheduler": "threads"}, "runs the Dask engine, and this load reads the study in "
         "memory (its codebook has no engine: dask): load with engine='dask'"),
        ({"engine": "pandas", "scheduler": "threads"}, "(engine='pandas' was asked for)"),
    ],
)  # fmt: skip
def test_a_scheduler_that_cannot_be_is_named_with_the_key(study_path, arguments, words):
    with pytest.raises(cx.StudyError) as err:
        cx.load_study(study_path, **arguments)
    assert f"{study_path}, column 'scheduler': " in str(err.value) and words in str(err.value)


def test_importing_cxresearch_or_loading_in_memory_imports_no_dask(demo_path):
    code = (
        "import sys, cxresearch as cx; cx.load_study(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(demo_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_ids_out_of_order_with_one_repeated_in_two_parts_are_found_with_their_rows(tmp_path):
    def shuffle_and_repeat(raw):
        order = np.random.default_rng(5).permutation(len(raw))
        raw[:] = raw.iloc[order].to_numpy()  # ids out of order, parts overlapping
        raw.loc[1900, "respondent_id"] = raw.loc[120, "respondent_id"]

    memory, lazy = errors_of(parquet_study(tmp_path, shuffle_and_repeat))
    assert lazy == memory
    assert "duplicate respondent ids" in lazy and "(data rows 121, 1901)" in lazy


def test_ids_in_order_over_parts_apart_are_no_duplicates_without_counting(tmp_path, monkeypatch):
    from cxresearch.data import dask_study

    def counted(*args):
        raise AssertionError("the ids were counted")

    monkeypatch.setattr(dask_study, "_repeated_ids", counted)

    def in_order(raw):
        raw[:] = raw.sort_values("respondent_id").to_numpy()

    path = parquet_study(tmp_path, in_order)
    assert load_dask_study(path, scheduler="synchronous").n == N


def test_ids_are_checked_part_by_part_never_many_parts_in_one_task(tmp_path, monkeypatch):
    """Read alone, one column of many parts would be fused by Dask into a few tasks
    (at 100M respondents, 25 million ids in one worker: killed for its memory)."""
    from cxresearch.data import dask_study

    sizes = []
    id_range = dask_study._id_range
    monkeypatch.setattr(
        dask_study, "_id_range", lambda ids: sizes.append(len(ids)) or id_range(ids)
    )
    raw = pd.read_csv(cx.make_demo_study(tmp_path, n=N, random_state=3, events=False).parent
                      / "responses.csv", dtype={"respondent_id": str})  # fmt: skip
    write_parts(raw, tmp_path / "parts", 40)
    (tmp_path / "responses.csv").unlink()
    path = tmp_path / "study.yaml"
    path.write_text(path.read_text().replace("responses: responses.csv", "responses: parts"))
    assert load_dask_study(path, scheduler="synchronous").n == N
    assert sizes == [N // 40] * 40


@pytest.mark.parametrize(
    "columns",
    [["recommend"], ["brand_rated", "wave", "weight"], ["region", "overall_satisfaction"]],
)
def test_a_frame_of_some_columns_equals_those_columns_of_the_whole_study(both, columns):
    memory, lazy = both
    frame = lazy.frame(columns)
    assert list(frame.columns) == columns
    pd.testing.assert_frame_equal(frame.compute(), memory.responses[columns])


def test_a_frame_of_a_filtered_study_is_cut_from_its_responses(both):
    _, lazy = both
    filtered = dataclasses.replace(lazy, responses=lazy.responses[lazy.responses["recommend"] > 8])
    got = filtered.frame(["recommend"]).compute()
    assert len(got) and (got["recommend"] > 8).all()
