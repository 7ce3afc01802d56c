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
  durations), and the analyses each process computed (the cache's ledger);
- CPU seconds (user + system) of the whole process tree beside each wall
  time: this machine's two cores are often shared, and CPU time is much less
  sensitive to the load than wall time (the kernels are this process's
  children, and their CPU is counted when they have ended);
- per analysis, the CPU seconds of computing it once in this process, the
  libraries it needs already imported (``--no-analyses`` skips this part).

Target on this 2-core machine: report (cold) at most 1.5x the bare starts.
Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
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


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its ended children
    (the kernels, and what they started)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run, *args, **kwargs) -> tuple[float, float]:
    """Wall and CPU seconds (process tree) of ``run(*args, **kwargs)``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    run(*args, **kwargs)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def report_seconds(study: Path, out: Path, cache) -> tuple[float, float]:
    """Wall and CPU seconds of one report."""
    return timed(cx.render_report, study, out, progress=False, cache=cache)


LIBRARIES = (
    "scipy.stats",
    "scipy.optimize",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.feature_extraction.text",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.mixture",
    "sklearn.model_selection",
    "sklearn.pipeline",
)


def analysis_cpu(study_path: Path, folder: Path) -> dict[str, float]:
    """CPU seconds of each analysis the chapters compute, once each, as the
    chapters call them, with a results folder of its own (``folder``) as a
    report has: what two analyses share (the k choice of the segmentations)
    is computed once, by the first. The libraries they load are imported
    first (a kernel's import cost is in its opening or first analysis cell)."""
    import importlib

    for name in LIBRARIES:
        importlib.import_module(name)
    with cx.cache.use_cache(folder):
        return _analysis_steps(cx.load_study(study_path))


def _analysis_steps(study) -> dict[str, float]:
    """The chapters' analyses in the chapters' order (a later one reuses what an
    earlier one stored: the strategy the gaps, comparison and drivers)."""
    done: dict[str, object] = {}
    steps = {
        "scorecard (3 tables)": lambda: [
            cx.scorecard(study),
            cx.scorecard(study, by="brand"),
            cx.scorecard(study, by="wave"),
        ],
        "banner": lambda: cx.banner(study),
        "segment (n_boot=20)": lambda: cx.segment(study, n_boot=20),
        "gaps (3 tables)": lambda: [
            cx.gaps(study),
            cx.gaps(study, by="stage"),
            cx.gaps(study, by="brand", brand=None),
        ],
        "segment (n_boot=0)": lambda: done.setdefault("segments", cx.segment(study, n_boot=0)),
        "drivers (n_boot=200)": lambda: cx.drivers(study, n_boot=200),
        "compare": lambda: cx.compare(study),
        "operations": lambda: cx.operations(study),
        "strategy (n_boot=200)": lambda: cx.strategy(study, segments=done["segments"], n_boot=200),
        "sentiment": lambda: done.setdefault("mood", cx.sentiment(study)),
        "themes": lambda: done.setdefault("themes", cx.themes(study, sentiment=done["mood"])),
        "theme_drivers": lambda: cx.theme_drivers(study, themes_result=done["themes"]),
        "follow_up": lambda: cx.follow_up(study, sentiment=done["mood"], themes=done["themes"]),
    }
    seconds = {}
    for name, step in steps.items():
        started = time.process_time()
        step()
        seconds[name] = time.process_time() - started
    return seconds


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
    parser.add_argument(
        "--no-analyses", action="store_true", help="skip the per-analysis CPU table"
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cx-bench-report-"))
    study = cx.make_demo_study(work / "demo", n=args.rows, random_state=args.seed)
    paths = bare_notebooks(work)
    bare = [timed(bare_papermill, paths, work / f"bare-sequential-{run}") for run in range(3)]
    bare_runs = [wall for wall, _ in bare]
    sequential = statistics.median(bare_runs)
    bare_cpu = statistics.median(cpu for _, cpu in bare)
    side_by_side = bare_side_by_side(paths, work)
    cold, cold_cpu = report_seconds(study, work / "cold", cache=False)
    lasting = work / "results"
    report_seconds(study, work / "fill", cache=lasting)
    warm, warm_cpu = report_seconds(study, work / "warm", cache=lasting)
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
    print("\nCPU seconds, user + system of the process tree (less sensitive to a shared machine)")
    print(f"  bare kernel starts (median)           : {bare_cpu:6.1f} s")
    print(f"  report, cold                          : {cold_cpu:6.1f} s")
    print(f"  report, warm                          : {warm_cpu:6.1f} s")
    print(f"  ratio cold report / bare starts (CPU) : {cold_cpu / bare_cpu:6.2f}x (information)")
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
    analyses = {} if args.no_analyses else analysis_cpu(study, work / "analyses")
    if analyses:
        print("\nCPU seconds per analysis, computed once in this process (libraries imported)")
        for name, seconds in analyses.items():
            print(f"  {name:24} {seconds:6.2f}")
        print(f"  {'together':24} {sum(analyses.values()):6.2f}")
    RESULTS.mkdir(exist_ok=True)
    record = {
        "rows": args.rows,
        "bare_sequential": sequential,
        "bare_sequential_runs": bare_runs,
        "bare_side_by_side": side_by_side,
        "report_cold": cold,
        "report_warm": warm,
        "cpu": {"bare_sequential": bare_cpu, "report_cold": cold_cpu, "report_warm": warm_cpu},
        "analysis_cpu": analyses,
        "ratio": ratio,
        "chapters": chapters,
        "analyses": by_function,
    }
    (RESULTS / "bench_report.json").write_text(json.dumps(record, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
