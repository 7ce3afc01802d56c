"""The report's speed-ups keep every number (issue 15).

Each faster path is checked against the path it replaced, on the demo study
of the report (4,000 respondents, seed 7) and on another generated study (the
1,200-respondent demo of the test session, seed 11):

- :func:`cxresearch.stats.adjust_pvalues` computes Bonferroni, Holm and
  Benjamini-Hochberg itself: the very p-values of statsmodels' ``multipletests``
  (bit for bit), without its ``gc.collect()`` on every Holm call;
- the segmentation's many small fits run on one thread
  (:func:`cxresearch.analyses.clustering.one_thread`): the same labels, k
  scores, silhouettes, null reference and stability, bit for bit, as with two
  threads;
- the strategy's scenario bootstrap runs BLAS on one thread: the same numbers
  to the last bit or two (BLAS sums in another order on two threads; the
  differences seen are below 1e-14 NPS points);
- the silhouette's shared distances are written chunk by chunk into one array:
  the matrix ``np.vstack`` of the chunks gave, bit for bit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.metrics import pairwise_distances_chunked
from statsmodels.stats.multitest import multipletests
from threadpoolctl import threadpool_info, threadpool_limits

import cxresearch as cx
from cxresearch.analyses import clustering
from cxresearch.analyses.clustering import SilhouetteSample, one_thread
from cxresearch.stats import adjust_pvalues

METHODS = ("bonferroni", "holm", "fdr_bh")
strategy_module = importlib.import_module("cxresearch.analyses.strategy")  # not the function


@pytest.fixture(scope="module")
def report_demo(tmp_path_factory) -> cx.Study:
    """The report's demo study: 4,000 respondents, seed 7."""
    return cx.load_study(cx.make_demo_study(tmp_path_factory.mktemp("demo7"), n=4000))


@pytest.fixture(params=["report demo", "session demo"])
def study(request, report_demo, demo) -> cx.Study:
    return report_demo if request.param == "report demo" else demo


def statsmodels_adjusted(p: np.ndarray, method: str, monkeypatch) -> np.ndarray:
    """The old path: ``multipletests`` on the p-values that are not missing
    (its gc.collect() switched off here only to keep the test quick)."""
    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    adjusted = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        adjusted[ok] = multipletests(p[ok], method=method)[1]
    return adjusted


def p_value_sets(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        m = int(rng.integers(1, 40))
        p = rng.random(m) ** rng.uniform(0.2, 5)
        if rng.random() < 0.3:  # ties
            p = np.round(p, 2)
        if rng.random() < 0.2:
            p[rng.integers(m)] = rng.choice([0.0, 1.0])
        if rng.random() < 0.2:
            p[rng.integers(m)] = np.nan  # not a test
        yield p


@pytest.mark.parametrize("method", METHODS)
def test_adjusted_p_values_are_statsmodels_bit_for_bit(method, monkeypatch):
    for p in p_value_sets(seed=len(method), count=500):
        expected = statsmodels_adjusted(p, method, monkeypatch)
        np.testing.assert_array_equal(adjust_pvalues(p, method), expected)


def test_adjusted_p_values_of_the_studies_gaps_are_statsmodels_bit_for_bit(study, monkeypatch):
    for by in ("touchpoint", "stage", "brand"):
        table = cx.gaps(study, by=by, brand=None if by == "brand" else "auto").table
        for column in ("p", "wilcoxon_p"):
            p = table[column].to_numpy(dtype=float)
            assert np.isfinite(p).sum() >= 3
            for method in METHODS:
                expected = statsmodels_adjusted(p, method, monkeypatch)
                np.testing.assert_array_equal(adjust_pvalues(p, method), expected)


def test_holm_no_longer_collects_garbage_and_other_methods_still_work(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(args) or 0)
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.2])
    assert np.allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, np.nan, 0.2], equal_nan=True)
    assert calls == []
    # methods this module does not compute go to statsmodels, as before
    sidak = adjust_pvalues(p, "sidak")
    np.testing.assert_array_equal(
        sidak[~np.isnan(p)], multipletests(p[~np.isnan(p)], method="sidak")[1]
    )
    with pytest.raises(ValueError, match="method not recognized"):
        adjust_pvalues(p, "no such method")


class AnyThreads:
    """The old path: no thread limit (``threadpool_limits`` does nothing)."""

    @staticmethod
    def threadpool_limits(*args, **kwargs):
        return contextlib.nullcontext()


def assert_same(new, old, where: str = "result", tolerance: float = 0.0) -> None:
    """Every number of two results equal: frames, arrays and floats bit for bit
    (or within ``tolerance``), recursively through dataclasses, dicts and tuples;
    fitted estimators are compared by what they predict elsewhere."""
    if dataclasses.is_dataclass(new):
        for f in dataclasses.fields(new):
            assert_same(getattr(new, f.name), getattr(old, f.name), f"{where}.{f.name}", tolerance)
    elif isinstance(new, dict):
        assert new.keys() == old.keys(), where
        for key in new:
            assert_same(new[key], old[key], f"{where}[{key!r}]", tolerance)
    elif isinstance(new, (list, tuple)):
        assert len(new) == len(old), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            assert_same(a, b, f"{where}[{i}]", tolerance)
    elif isinstance(new, pd.DataFrame):
        pd.testing.assert_frame_equal(
            new, old, check_exact=not tolerance, rtol=tolerance, atol=tolerance, obj=where
        )
    elif isinstance(new, pd.Series):
        pd.testing.assert_series_equal(
            new, old, check_exact=not tolerance, rtol=tolerance, atol=tolerance, obj=where
        )
    elif isinstance(new, np.ndarray):
        np.testing.assert_allclose(new, old, rtol=0, atol=tolerance, err_msg=where)
    elif isinstance(new, float):
        assert new == pytest.approx(old, abs=tolerance, nan_ok=True), where
    elif isinstance(new, (int, str, bool, type(None))):
        assert new == old, where


SEGMENTATIONS = {  # the chapters' k-means on both studies, the other methods on one
    "report demo, kmeans": {"n_boot": 5},
    "session demo, kmeans": {"n_boot": 5},
    "session demo, gmm": {"n_boot": 2, "method": "gmm", "random_state": 1},
    "session demo, agglomerative": {
        "n_boot": 2,
        "method": "agglomerative",
        "k": 3,
        "centre": "respondent",
    },
}


@pytest.mark.parametrize("case", SEGMENTATIONS)
def test_segmentations_on_one_thread_are_those_of_two_threads_bit_for_bit(
    case, report_demo, demo, monkeypatch
):
    study, options = report_demo if case.startswith("report") else demo, SEGMENTATIONS[case]
    new = cx.segment(study, **options)
    with monkeypatch.context() as old_path, threadpool_limits(2):
        old_path.setattr(clustering, "_threads", AnyThreads)
        old = cx.segment(study, **options)
    assert_same(new, old, "segmentation")
    assert new.labels.equals(old.labels)
    assert new.null.silhouettes == old.null.silhouettes


def test_the_strategys_scenarios_on_one_thread_are_those_of_two_threads(study, monkeypatch):
    drivers = cx.drivers(study, n_boot=30)
    new = cx.strategy(study, drivers=drivers, n_boot=60)
    with monkeypatch.context() as old_path, threadpool_limits(2):
        old_path.setattr(strategy_module, "_threads", AnyThreads)
        old = cx.strategy(study, drivers=drivers, n_boot=60)
    assert not new.priorities.empty
    assert_same(new, old, "strategy", tolerance=1e-12)
    assert list(new.priorities["touchpoint"]) == list(old.priorities["touchpoint"])


def test_one_thread_limits_openmp_and_blas_while_the_function_runs():
    @one_thread
    def threads_inside():
        return {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}

    with threadpool_limits(2):
        assert set(threads_inside().values()) == {1}
        assert threads_inside.__name__ == "threads_inside"
        assert all(pool["num_threads"] == 2 for pool in threadpool_info())


@pytest.mark.parametrize("n", [1, 7, 700])
def test_shared_distances_are_the_stacked_chunks_bit_for_bit(n):
    z = np.random.default_rng(n).normal(size=(n, 6))
    with config_context(working_memory=1):  # 1 MiB: several chunks for 700 rows
        shared = SilhouetteSample(z, random_state=2)
        stacked = np.vstack(list(pairwise_distances_chunked(z[shared.rows])))
        assert n < 700 or len(list(pairwise_distances_chunked(z))) > 1
        distances = shared.distances
    assert distances.dtype == stacked.dtype
    np.testing.assert_array_equal(distances, stacked)
