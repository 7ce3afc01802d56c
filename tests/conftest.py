"""Shared fixtures: a small demo study, and a helper that writes tiny studies."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxresearch as cx

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_worker():
    """pytest-xdist runs two workers on two cores: BLAS/OpenMP threads in each
    would oversubscribe the CPUs (k-means slows down tenfold)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session", autouse=True)
def own_results_cache(tmp_path_factory):
    """Reports rendered by the tests keep their analysis results in a folder
    of the test session (shared by its reports), never in the user's cache."""
    import os

    folder = tmp_path_factory.mktemp("results-cache")
    previous = os.environ.get("CXRESEARCH_CACHE_DIR")
    os.environ["CXRESEARCH_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CXRESEARCH_CACHE_DIR", None)
    else:
        os.environ["CXRESEARCH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory) -> Path:
    """A demo study of 1,200 respondents (read-only: copy it before changing files)."""
    return cx.make_demo_study(tmp_path_factory.mktemp("demo"), n=1200, random_state=11)


@pytest.fixture(scope="session")
def demo(demo_path) -> cx.Study:
    return cx.load_study(demo_path)


BASIC_CODEBOOK = {
    "name": "Tiny study",
    "brand": "Acme",
    "min_base": 2,
    "responses": "responses.csv",
    "columns": {"id": "id", "brand": "brand"},
    "outcomes": {
        "nps": {"column": "recommend", "scale": [0, 10]},
        "csat": {"column": "sat", "scale": [1, 5]},
    },
    "touchpoints": [
        {
            "id": "website",
            "stage": "before",
            "experience": {"column": "perf_web", "scale": [1, 7]},
            "expectation": {"column": "exp_web", "scale": [1, 7]},
        },
        {"id": "hotline", "stage": "after", "experience": {"column": "perf_hot", "scale": [1, 7]}},
    ],
    "missing": [98, 99],
}

BASIC_ROWS = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "brand": ["Acme", "Acme", "Acme", "Rival", "Rival", "Rival"],
        "recommend": [10, 9, 3, 7, 8, 99],
        "sat": [5, 4, 2, 3, 4, 5],
        "perf_web": [7, 6, 5, 4, 98, 6],
        "exp_web": [6, 6, 6, 5, 5, 5],
        "perf_hot": [2, 3, None, 4, 5, 6],
    }
)


def write_study(
    folder: Path,
    rows: pd.DataFrame | str | bytes | None = None,
    codebook: dict | None = None,
    **changes,
) -> Path:
    """Write ``study.yaml`` and its responses file into ``folder``; return the yaml path.

    ``rows`` may be a DataFrame (written as UTF-8 CSV), or the file's raw text
    or bytes; None writes the basic rows unless the responses file already
    exists. ``changes`` update the codebook's top-level keys.
    """
    codebook = {**(codebook or BASIC_CODEBOOK), **changes}
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / codebook["responses"]
    if rows is None and target.exists():
        pass
    elif isinstance(rows, pd.DataFrame) or rows is None:
        rows = BASIC_ROWS if rows is None else rows
        rows.to_csv(target, index=False)
    elif isinstance(rows, bytes):
        target.write_bytes(rows)
    else:
        target.write_text(rows, encoding="utf-8")
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def with_min_base(study: cx.Study, min_base: int) -> cx.Study:
    """The same study with another minimum base (as the ``min_base`` report parameter)."""
    return replace(study, codebook=replace(study.codebook, min_base=min_base))


def reshaped(demo_path, folder, keep_outcomes, expectations=False):
    """The demo study with fewer outcomes and, by default, experiences only."""
    shutil.copytree(demo_path.parent, folder)
    path = folder / "study.yaml"
    codebook = yaml.safe_load(path.read_text())
    codebook["outcomes"] = {k: v for k, v in codebook["outcomes"].items() if k in keep_outcomes}
    for tp in codebook["touchpoints"]:
        tp.pop("emotion", None)
        if not expectations:
            tp.pop("expectation", None)
            tp.pop("target", None)
    codebook.pop("events", None)
    codebook["operational"] = []
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path
