"""The bad-input corpus: bad and hostile inputs, each with its expected outcome.

Every case is *made by code* (nothing is a committed data dump): ``build``
writes a study (or a broken part of one) into an empty folder and returns the
command line to run there. The outcome is either an error whose message must
contain given words, or "accepted" with checks on what was accepted (the
counts the data-quality record must show). Whatever the case, the command
must never show a Python traceback and must never accept silently.

Families (issue 13): data values, codebook, file formats, hostile content,
report parameters, output folders, signals. Each family lives in its own
module (``corpus/<family>.py``) and registers its cases with :func:`case`.

``python tests/corpus DIR`` writes every case into ``DIR/<name>/`` to look at.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

FAMILIES = (
    "data values",
    "codebook",
    "file formats",
    "hostile content",
    "report parameters",
    "output folders",
    "signals",
)


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


@dataclass(frozen=True)
class Case:
    """One bad or hostile input and what must happen to it.

    ``build(folder)`` writes the input into ``folder`` and returns the
    ``cxresearch`` arguments to run there (e.g. ``["validate", "study.yaml"]``).
    ``errors`` are words the error message must contain (case-insensitive); no
    ``errors`` means the input must be *accepted*, and then ``accepted(folder,
    outcome)`` checks what was accepted (it must check something: counts in
    the quality record, a masked text, a report's contents). ``run`` replaces
    the in-process run for cases that need a real process (signals).
    """

    name: str
    family: str
    what: str
    build: Callable[[Path], list[str]]
    errors: tuple[str, ...] = ()
    accepted: Callable[[Path, Outcome], None] | None = None
    run: Callable[[Path, list[str]], Outcome] | None = None
    forbidden: tuple[str, ...] = ()
    """Words that must *not* appear in the output (leaked paths, file contents)."""
    slow: bool = False

    def __post_init__(self):
        assert self.family in FAMILIES, self.family
        assert bool(self.errors) != (self.accepted is not None), (
            f"{self.name}: a case expects either error words or an 'accepted' check"
        )


CASES: list[Case] = []


def case(name: str, family: str, what: str, **kwargs) -> Callable:
    """Register the decorated ``build`` function as a case of the corpus."""

    def register(build: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        assert all(c.name != name for c in CASES), f"two cases named {name}"
        CASES.append(Case(name, family, what, build, **kwargs))
        return build

    return register


def run_cli(folder: Path, argv: list[str]) -> Outcome:
    """Run ``cxresearch ARGV`` in-process with ``folder`` as the working directory."""
    from cxresearch.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's own usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(cwd)
    return Outcome(code, out.getvalue(), err.getvalue())


def run_process(folder: Path, argv: list[str], timeout: float = 300, umask: int = -1) -> Outcome:
    """Run ``cxresearch ARGV`` as its own process (for what needs a real one),
    with ``umask`` when given (-1: the current one)."""
    done = subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", *argv],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        umask=umask,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


# --- building blocks for cases -------------------------------------------------

CODEBOOK = {
    "name": "Corpus study",
    "brand": "Acme",
    "min_base": 2,
    "responses": "responses.csv",
    "columns": {"id": "id", "brand": "brand", "profile": ["region"]},
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


def rows(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """``n`` plausible respondents for :data:`CODEBOOK` (two brands, seeded)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"r{i:03d}" for i in range(n)],
            "brand": np.where(np.arange(n) % 2 == 0, "Acme", "Rival"),
            "region": rng.choice(["North", "South", "East"], n),
            "recommend": rng.integers(0, 11, n),
            "sat": rng.integers(1, 6, n),
            "perf_web": rng.integers(1, 8, n),
            "exp_web": rng.integers(1, 8, n),
            "perf_hot": rng.integers(1, 8, n),
        }
    )


def write(
    folder: Path,
    data: pd.DataFrame | str | bytes | None = None,
    codebook: dict | str | None = None,
    **changes,
) -> list[str]:
    """Write ``study.yaml`` (a dict dumped as YAML, or raw YAML text) and its
    responses (a DataFrame as UTF-8 CSV, or raw text/bytes; None: :func:`rows`)
    into ``folder``; return ``["validate", "study.yaml"]``."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(codebook, str):
        (folder / "study.yaml").write_text(codebook, encoding="utf-8")
        responses = "responses.csv"
    else:
        book = {**(codebook or CODEBOOK), **changes}
        (folder / "study.yaml").write_text(
            yaml.safe_dump(book, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        responses = book.get("responses") or "responses.csv"
    target = folder / str(responses)
    if isinstance(responses, str) and not target.exists() and target.parent == folder:
        if isinstance(data, bytes):
            target.write_bytes(data)
        elif isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            (rows() if data is None else data).to_csv(target, index=False)
    return ["validate", "study.yaml"]


def load_cases() -> list[Case]:
    """Every family module's cases, in registration order."""
    from . import codebook, data_values, file_formats, hostile, output, parameters  # noqa: F401

    return CASES
