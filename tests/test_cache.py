"""The results cache: each analysis once, reused while nothing it reads has changed."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from dask_helpers import parquet_study

import cxresearch as cx
from cxresearch import cache
from cxresearch.cache import SURVEY_PARTS, computed, memoised, use_cache

CALLS: list[str] = []


@memoised
def slow_mean(values, *, scale: float = 1.0):
    CALLS.append("slow_mean")
    return float(np.mean(values)) * scale


@dataclass(frozen=True)
class Total:
    value: float


@memoised(parts=SURVEY_PARTS)
def answered(study, *, column: str):
    CALLS.append("answered")
    return Total(float(study.responses[column].notna().sum()))


@memoised
def with_events(study):
    CALLS.append("with_events")
    return Total(0.0 if study.events is None else float(len(study.events)))


@memoised
def doubled(total):
    CALLS.append("doubled")
    return Total(2 * total.value)


@pytest.fixture(autouse=True)
def no_calls_yet():
    CALLS.clear()


def test_without_a_cache_folder_every_call_computes(monkeypatch):
    monkeypatch.delenv(cache.ENVIRONMENT, raising=False)
    assert slow_mean([1, 2, 3]) == slow_mean([1, 2, 3]) == 2.0
    assert CALLS == ["slow_mean", "slow_mean"]


def test_an_identical_call_is_served_from_the_folder(tmp_path):
    with use_cache(tmp_path):
        first = slow_mean([1, 2, 3])
        again = slow_mean([1, 2, 3], scale=1.0)  # the default, spelled out: the same call
        other = slow_mean([1, 2, 3], scale=2.0)
    assert (first, again, other) == (2.0, 2.0, 4.0)
    assert CALLS == ["slow_mean", "slow_mean"]
    assert [row["function"] for row in computed(tmp_path)] == [
        "test_cache.slow_mean",
        "test_cache.slow_mean",
    ]


def test_arrays_and_frames_are_read_by_content(tmp_path):
    values = np.array([1.0, 2.0, 3.0])
    with use_cache(tmp_path):
        slow_mean(values)
        slow_mean(values.copy())
        slow_mean(np.array([1.0, 2.0, 4.0]))
        slow_mean(pd.Series(values))
        slow_mean(pd.Series(values, index=[3, 4, 5]))  # another index: another call
    assert len(CALLS) == 4


def test_a_changed_answer_recomputes_and_a_changed_event_log_only_what_reads_it(demo, tmp_path):
    column = demo.codebook.touchpoints[0].experience.column
    with use_cache(tmp_path):
        answered(demo, column=column)
        with_events(demo)
        fewer_events = replace(demo, events=demo.events.iloc[:-1])
        assert answered(fewer_events, column=column) == answered(demo, column=column)
        assert with_events(fewer_events).value == len(demo.events) - 1
        changed = demo.responses.copy()
        changed.iloc[0, changed.columns.get_loc(column)] = np.nan
        answered(replace(demo, responses=changed), column=column)
    assert CALLS == ["answered", "with_events", "with_events", "answered"]


def test_a_result_given_to_another_analysis_is_keyed_by_where_it_was_stored(demo, tmp_path):
    column = demo.codebook.touchpoints[0].experience.column
    with use_cache(tmp_path):
        stored = answered(demo, column=column)
        key = getattr(stored, cache.KEY_ATTRIBUTE)
        doubled(stored)
        doubled(pickle.loads(pickle.dumps(stored)))  # a copy keeps the key: the same call
        doubled(Total(stored.value))  # equal content but never stored: keyed by its fields
        doubled(Total(stored.value))
    assert key and CALLS == ["answered", "doubled", "doubled"]


def test_another_package_version_never_serves_old_results(tmp_path, monkeypatch):
    with use_cache(tmp_path):
        slow_mean([1, 2])
        monkeypatch.setattr(cache, "source_digest", lambda: "another version")
        slow_mean([1, 2])
    assert CALLS == ["slow_mean", "slow_mean"]


def test_a_broken_stored_result_is_recomputed(tmp_path):
    with use_cache(tmp_path):
        slow_mean([5, 7])
        (stored,) = tmp_path.glob("slow_mean-*.pickle")
        stored.write_bytes(b"not a pickle")
        assert slow_mean([5, 7]) == 6.0
    assert CALLS == ["slow_mean", "slow_mean"]
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_an_analysis_gives_the_same_numbers_cached(demo, tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENVIRONMENT, raising=False)
    fresh = cx.drivers(demo, n_boot=20, random_state=3)
    with use_cache(tmp_path):
        computed_now = cx.drivers(demo, n_boot=20, random_state=3)
        served = cx.drivers(demo, outcome=cx.analyses._common.default_outcome(demo), n_boot=20,
                            random_state=3)  # fmt: skip
    pd.testing.assert_frame_equal(fresh.table, computed_now.table)
    pd.testing.assert_frame_equal(fresh.table, served.table)
    assert len([r for r in computed(tmp_path) if r["function"].endswith(".drivers")]) == 1


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cxresearch.cache import memoised, use_cache

    @memoised
    def slow(x):
        with open(sys.argv[2], "a") as log:
            log.write("computed\\n")
        time.sleep(1.0)
        return x * 2

    with use_cache(Path(sys.argv[1])):
        print(slow(21))
    """
)


def test_processes_asking_at_once_compute_once(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SCRIPT)
    log = tmp_path / "log.txt"
    folder = tmp_path / "results"
    started = [
        subprocess.Popen(
            [sys.executable, str(script), str(folder), str(log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60)[0].strip() for process in started]
    assert outputs == ["42", "42", "42"]
    assert log.read_text().splitlines() == ["computed"]


def test_prune_keeps_the_most_recently_used_within_the_size(tmp_path):
    now = time.time()
    for age, name in enumerate(["newest", "middle", "oldest"]):
        path = tmp_path / f"{name}-x.pickle"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - age * 60, now - age * 60))
    ancient = tmp_path / "ancient-x.pickle"
    ancient.write_bytes(b"x")
    os.utime(ancient, (now - 90 * 86400, now - 90 * 86400))
    assert cache.prune(tmp_path, max_bytes=2500) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["middle-x.pickle", "newest-x.pickle"]


def test_the_default_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CXRESEARCH_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.default_folder() == tmp_path / "mine"
    monkeypatch.delenv("CXRESEARCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.default_folder() == tmp_path / "cxresearch"


def test_a_segmentation_shares_its_fit_across_stability_settings(demo, tmp_path):
    folder = tmp_path / "results"
    with use_cache(folder):
        with_stability = cx.segment(demo, n_boot=3, random_state=1)
        labels_only = cx.segment(demo, n_boot=0, random_state=1)
    fits = [r for r in computed(folder) if r["function"].endswith("._fit")]
    assert len(fits) == 1
    pd.testing.assert_series_equal(with_stability.labels, labels_only.labels)
    assert folder.stat().st_mode & 0o777 == 0o700, "results are pickles: only the user may write"


def test_a_study_is_loaded_once_while_its_files_are_unchanged(demo_path, tmp_path):
    folder = tmp_path / "results"
    study_folder = tmp_path / "study"
    shutil.copytree(demo_path.parent, study_folder)
    with use_cache(folder):
        first = cx.load_study(study_folder)
        again = cx.load_study(study_folder / "study.yaml")
        other_base = cx.load_study(study_folder, min_base=7)
        responses = study_folder / "responses.csv"
        lines = responses.read_text().splitlines(keepends=True)
        responses.write_text("".join(lines[:-1]))  # one respondent fewer
        changed = cx.load_study(study_folder)
    loads = [r for r in computed(folder) if r["function"] == "load_study"]
    assert len(loads) == 3
    pd.testing.assert_frame_equal(first.responses, again.responses)
    assert first.quality == again.quality and other_base.codebook.min_base == 7
    assert changed.n == first.n - 1


def test_a_study_is_keyed_by_content_whether_or_not_its_load_was_stored(demo_path, tmp_path):
    """A chapter's study comes from a stored load (tagged with the load's key),
    the index page's from a plain load: one analysis must see one study."""
    column = cx.load_study(demo_path).codebook.touchpoints[0].experience.column
    plain = cx.load_study(demo_path)
    with use_cache(tmp_path):
        stored = cx.load_study(demo_path)
        assert getattr(stored, cache.KEY_ATTRIBUTE, None)
        answered(plain, column=column)
        answered(stored, column=column)
    assert CALLS == ["answered"]


# -- Dask studies: keyed by their files' identities, never by their rows -------------
cached_kpis = cx.kpis  # memoised, as every analysis


@pytest.fixture
def parquet_path(tmp_path):
    pytest.importorskip("dask.dataframe")
    return parquet_study(tmp_path / "study")


def load_lazily(path):
    return cx.load_study(path, engine="dask", scheduler="synchronous")


def keyed_without_computing(study) -> str:
    """The study's key, failing if keying it computed anything."""
    callbacks = pytest.importorskip("dask.callbacks")
    computed_graphs = []
    with callbacks.Callback(start=computed_graphs.append):
        key = cache.study_digest(study, SURVEY_PARTS)
    assert computed_graphs == [], "keying a Dask study computed its frames"
    return key


def touch_a_part(path, column="recommend"):
    """Rewrite the second part with one answer changed (same size of file, likely)."""
    part = path.parent / "parts" / "part-1.parquet"
    frame = pd.read_parquet(part)
    frame.loc[0, column] = 10 if frame.loc[0, column] != 10 else 9
    frame.to_parquet(part)


def test_a_dask_study_keys_by_its_parts_identities_and_apart_from_pandas(parquet_path):
    first, again = load_lazily(parquet_path), load_lazily(parquet_path)
    assert keyed_without_computing(first) == keyed_without_computing(again)
    assert keyed_without_computing(first) != cache.study_digest(cx.load_study(parquet_path))
    touch_a_part(parquet_path)
    assert keyed_without_computing(load_lazily(parquet_path)) != keyed_without_computing(first)


def test_an_analysis_of_a_dask_study_is_stored_and_served(parquet_path, tmp_path):
    folder = tmp_path / "results"
    with use_cache(folder):
        first = cached_kpis(load_lazily(parquet_path), by="brand")
        served = cached_kpis(load_lazily(parquet_path), by="brand")
        in_memory = cached_kpis(cx.load_study(parquet_path), by="brand")
    runs = [r for r in computed(folder) if r["function"].endswith(".kpis")]
    assert len(runs) == 2, "one run on Dask (served the second time), one in memory"
    pd.testing.assert_frame_equal(served.table, first.table)
    pd.testing.assert_frame_equal(first.table, in_memory.table, rtol=1e-9)


def test_a_dask_load_is_stored_until_a_part_changes(parquet_path, tmp_path):
    folder = tmp_path / "results"
    with use_cache(folder):
        first = load_lazily(parquet_path)
        served = cx.load_study(parquet_path, engine="dask", scheduler="threads")
        rows = first.responses.compute()
        pd.testing.assert_frame_equal(served.responses.compute(), rows)
        touch_a_part(parquet_path)
        changed = load_lazily(parquet_path)
    loads = [r for r in computed(folder) if r["function"] == "load_study"]
    assert len(loads) == 2
    assert served.quality == first.quality and served.scheduler == "threads"
    assert served.client is None and served.sources == first.sources != changed.sources
    assert not changed.responses.compute().equals(rows)


@memoised(parts=SURVEY_PARTS)
def answered_lazily(study, *, column: str):
    CALLS.append("answered_lazily")
    return Total(float(study.compute(study.responses[column].count())[0]))


def test_a_frame_derived_from_a_dask_studys_is_not_keyed_as_the_study(parquet_path, tmp_path):
    """A filtered frame reads the same files but holds other rows: its analyses
    run uncached rather than be served the whole study's result."""
    lazy = load_lazily(parquet_path)
    column = lazy.codebook.touchpoints[0].experience.column
    brand = lazy.codebook.brand_column
    some = replace(lazy, responses=lazy.responses[lazy.responses[brand] == "Acme"])
    with use_cache(tmp_path / "results"):
        whole = answered_lazily(lazy, column=column)
        part = answered_lazily(some, column=column)
        answered_lazily(some, column=column)
        answered_lazily(lazy, column=column)
    assert CALLS == ["answered_lazily"] * 3 and part.value < whole.value
    stored = [r["function"] for r in computed(tmp_path / "results")]
    assert stored == ["test_cache.answered_lazily"]
