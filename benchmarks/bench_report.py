#!/usr/bin/env python
"""Benchmark: the demo report against the floor of its kernels.

A report runs one kernel per chapter; starting a kernel and running nothing in
it is the floor no report can go under. This script measures, in one run:

- **bare**: one plain ``papermill.execute_notebook`` run of a one-cell
  notebook (``pass``) per chapter, one after another, with papermill's
  defaults (the issue's measure of "seven bare kernel starts"; the median of
  three runs, since a kernel's graceful shutdown now and then waits 2-3 s);
  the same notebooks run as the report runs chapters (two side by side, shut
  down at once), for information;
- **report (cold)**: ``cx.render_report`` on the demo study with a results
  folder of its own (``cache=False``): every analysis computed, each once;
- **report (warm)**: the same report again with a lasting results folder
  already filled by one run: what a re-run after an edit to a notebook costs;
- where each chapter's time goes: kernel start, the first cell (imports and
  loading the study), the rest of its cells (from papermill's per-cell
  durations), and the analyses each process computed (the cache's ledger).

Target on this 2-core machine: report (cold) at most 1.5x the bare starts.
Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

import cxresearch as cx
from cxresearch.report.execute import execute_all
from cxresearch.report.notebooks import chapters_folder, chapters_in

TARGET_RATIO = 1.5
RESULTS = Path(__file__).resolve().parent / "results"


def bare_notebooks(folder: Path) -> list[Path]:
    """One notebook per chapter, each a single ``pass`` cell."""
    source = folder / "bare-notebooks"
    source.mkdir(parents=True, exist_ok=True)
    paths = []
    for chapter in chapters_in(chapters_folder()):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell("pass")]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, source / chapter.source.name)
        paths.append(source / chapter.source.name)
    return paths


def bare_papermill(paths: list[Path], out: Path) -> float:
    """Seconds for plain ``papermill.execute_notebook`` runs of ``paths``, one
    after another, with papermill's defaults: the floor the issue names."""
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for path in paths:
        pm.execute_notebook(
            str(path),
            str(out / path.name),
            progress_bar=False,
            log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # quiet, as the report
        )
    return time.perf_counter() - started


def bare_side_by_side(paths: list[Path], folder: Path) -> float:
    """Seconds for the same notebooks run the way the report runs chapters
    (two kernels side by side, the report's kernel settings)."""
    out = folder / "bare-2"
    started = time.perf_counter()
    execute_all(chapters_in(paths[0].parent), out, {}, 2, False, folder / "bare-report")
    seconds = time.perf_counter() - started
    shutil.rmtree(out)
    return seconds


def report_seconds(study: Path, out: Path, cache) -> float:
    started = time.perf_counter()
    cx.render_report(study, out, progress=False, cache=cache)
    return time.perf_counter() - started


def chapter_times(out: Path) -> list[dict]:
    """Per chapter: papermill's total, the first cell (import, open) and the rest."""
    rows = []
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        cells = [
            cell.metadata.get("papermill", {}).get("duration") or 0.0
            for cell in notebook.cells
            if cell.cell_type == "code"
        ]
        opening = next(
            (i for i, c in enumerate(notebook.cells) if "cx.open_chapter" in c.source), 0
        )
        code_before = sum(1 for c in notebook.cells[: opening + 1] if c.cell_type == "code")
        rows.append(
            {
                "chapter": path.stem,
                "total": notebook.metadata.get("papermill", {}).get("duration") or 0.0,
                "opening": sum(cells[:code_before]),
                "cells": sum(cells[code_before:]),
            }
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=4000, help="demo respondents (default 4000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cx-bench-report-"))
    study = cx.make_demo_study(work / "demo", n=args.rows, random_state=args.seed)
    paths = bare_notebooks(work)
    bare_runs = [bare_papermill(paths, work / f"bare-sequential-{run}") for run in range(3)]
    sequential = statistics.median(bare_runs)
    side_by_side = bare_side_by_side(paths, work)
    cold = report_seconds(study, work / "cold", cache=False)
    lasting = work / "results"
    report_seconds(study, work / "fill", cache=lasting)
    warm = report_seconds(study, work / "warm", cache=lasting)
    ledger = cx.cache.computed(lasting)
    chapters = chapter_times(work / "cold")
    ratio = cold / sequential
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    chapters_run = len(paths)
    print(f"demo report, {args.rows:,} respondents, {chapters_run} chapters, 2 kernels at a time")
    runs = ", ".join(f"{r:.1f}" for r in bare_runs)
    print(f"  bare kernel starts, one after another : {sequential:6.1f} s (median of {runs})")
    print(f"  the same, as the report runs kernels  : {side_by_side:6.1f} s (information)")
    print(f"  report, cold (every analysis once)    : {cold:6.1f} s")
    print(f"  report, warm (results kept)           : {warm:6.1f} s (information)")
    print(
        f"  ratio report / bare starts            : {ratio:6.2f}x"
        f"  target <= {TARGET_RATIO}x  {verdict}"
    )
    print("\nwhere each chapter's time goes (cold run; papermill's own clock, seconds)")
    print(f"  {'chapter':24} {'total':>6} {'opening':>8} {'cells':>6}")
    for row in chapters:
        print(
            f"  {row['chapter']:24} {row['total']:6.1f} {row['opening']:8.1f} {row['cells']:6.1f}"
        )
    print("\nanalyses computed in one report (seconds, by function)")
    by_function: dict[str, float] = {}
    for row in ledger:
        name = row["function"].rsplit(".", 1)[-1]
        by_function[name] = by_function.get(name, 0.0) + row["seconds"]
    for name, seconds in sorted(by_function.items(), key=lambda item: -item[1]):
        print(f"  {name:24} {seconds:6.2f}")
    RESULTS.mkdir(exist_ok=True)
    record = {
        "rows": args.rows,
        "bare_sequential": sequential,
        "bare_sequential_runs": bare_runs,
        "bare_side_by_side": side_by_side,
        "report_cold": cold,
        "report_warm": warm,
        "ratio": ratio,
        "chapters": chapters,
        "analyses": by_function,
    }
    (RESULTS / "bench_report.json").write_text(json.dumps(record, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
