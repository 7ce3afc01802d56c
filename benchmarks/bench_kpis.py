#!/usr/bin/env python
"""Benchmark: ``load_study`` + ``kpis(by=["brand", "wave"])`` on a generated study.

Run it with ``make bench`` (1,000,000 respondents) or, for a quick run,
``.venv/bin/python benchmarks/bench_kpis.py --rows 200000``.

What it does:

1. Set-up (timed, but not a target): ``cxresearch.make_demo_study`` writes a
   study of ``--rows`` respondents (no web events) into the work folder; the
   responses CSV is converted to Parquet and ``study.yaml`` is rewritten so that
   ``responses:`` names the Parquet file (``study_csv.yaml`` keeps the CSV).
   The set-up runs in a separate process, so its memory does not count in the
   peak memory of the measured steps.
2. Timed steps, each run ``--repeat`` times (best and median reported):
   ``load_study`` on the Parquet study (target), ``kpis(by=["brand", "wave"])``
   (target), ``kpis()`` weighted and unweighted, and ``load_study`` on the CSV
   study (for information).
   Two floors are timed in the same run, each right before the step it bounds:
   the *bare read* ``pd.read_parquet`` of the same Parquet file (no check, no
   typing) for ``load_study``, and the *numpy pass* for ``kpis(by=["brand",
   "wave"])``: the group codes from the two columns' category codes, then for
   each KPI column one ``np.bincount`` of those codes weighted by ``w * x``
   (answered rows only), the least any implementation must read and sum. The
   report prints ``ratio = ours / floor`` for both (best runs), with PASS at
   3x or under (FLOOR_RATIO).
3. Memory, per step: the peak resident set size (RSS) during the step (Linux:
   the high-water mark is reset through ``/proc/self/clear_refs`` before each
   step), the process's peak RSS so far (``getrusage(RUSAGE_SELF).ru_maxrss``,
   KiB on Linux, as it would read without the resets), and the tracemalloc peak
   of one extra, untimed run of the step (tracemalloc slows Python down, so it
   never runs during the timed runs).

The results are printed and written to ``benchmarks/results/bench_kpis-<rows>.json``
(git-ignored). The exit code is 0 even when a target is missed: this is a
report, not a test; missed targets are listed at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
ID_COLUMN = "respondent_id"
MIB = 1024 * 1024
FLOOR_RATIO = 3.0  # ours / floor at or under this passes
LOAD_STEP, READ_FLOOR = "load_study (Parquet)", "floor: pd.read_parquet (bare read)"
KPI_STEP, KPI_FLOOR = 'kpis(by=["brand", "wave"])', "floor: numpy pass (bincount)"
FLOORS = ((LOAD_STEP, READ_FLOOR), (KPI_STEP, KPI_FLOOR))


# -- memory ------------------------------------------------------------------------
def _ru_maxrss_bytes() -> int:
    """Peak RSS of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _current_rss_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class PeakRss:
    """Per-step peak RSS, plus the process's peak as ``ru_maxrss`` would report it.

    On Linux, writing ``5`` to ``/proc/self/clear_refs`` resets the RSS
    high-water mark (and with it ``ru_maxrss``), so the peak of each step can
    be read on its own. The process-wide peak is kept here as the maximum of
    all readings taken before each reset.
    """

    def __init__(self) -> None:
        self.process_peak = _ru_maxrss_bytes()
        self.can_reset = self._reset()

    @staticmethod
    def _reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")
            return True
        except OSError:
            return False

    def start_step(self) -> None:
        self.process_peak = max(self.process_peak, _ru_maxrss_bytes())
        if self.can_reset:
            self._reset()

    def end_step(self) -> tuple[int | None, int]:
        """(peak RSS during the step or None when it cannot be isolated, process peak so far)."""
        now = _ru_maxrss_bytes()
        self.process_peak = max(self.process_peak, now)
        return (now if self.can_reset else None), self.process_peak


class CpuContention:
    """How much CPU other processes used while the steps were timed (Linux: /proc/stat).

    The machine's busy CPU time minus this process's own CPU time, as a share of
    all CPUs over the wall-clock time. Timings taken while other work runs are
    pessimistic; the report says so.
    """

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system + irq softirq steal
        own = os.times()
        return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), own.user + own.system

    def others_share(self) -> float | None:
        end = self._sample()
        if self.start is None or end is None:
            return None
        wall = end[0] - self.start[0]
        others = (end[1] - self.start[1]) - (end[2] - self.start[2])
        cpus = os.cpu_count() or 1
        return max(others, 0.0) / (wall * cpus) if wall > 0 else None


# -- set-up (runs in a child process) ------------------------------------------------
def build_study(folder: str, rows: int, seed: int) -> dict:
    """Generate the study, convert its responses to Parquet, write the two codebooks."""
    import pandas as pd
    import yaml

    import cxresearch as cx

    folder_path = Path(folder)
    t0 = time.perf_counter()
    csv_yaml = cx.make_demo_study(folder_path, n=rows, random_state=seed, events=False)
    t1 = time.perf_counter()
    csv_path = folder_path / "responses.csv"
    parquet_path = folder_path / "responses.parquet"
    frame = pd.read_csv(csv_path, dtype={ID_COLUMN: str}, low_memory=False)
    frame.to_parquet(parquet_path, index=False, engine="pyarrow")
    del frame
    codebook = yaml.safe_load(csv_yaml.read_text(encoding="utf-8"))
    (folder_path / "study_csv.yaml").write_text(
        yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    codebook["responses"] = parquet_path.name
    csv_yaml.write_text(
        yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    t2 = time.perf_counter()
    return {
        "generate_seconds": t1 - t0,
        "convert_seconds": t2 - t1,
        "csv_bytes": csv_path.stat().st_size,
        "parquet_bytes": parquet_path.stat().st_size,
        "peak_rss_bytes": _ru_maxrss_bytes(),
        "parquet_file": str(parquet_path),
        "parquet_study": str(csv_yaml),
        "csv_study": str(folder_path / "study_csv.yaml"),
    }


# -- floors --------------------------------------------------------------------------
def numpy_pass(study, by=("brand", "wave")):
    """The least work a KPI table by ``by`` must do: one pass over each KPI column.

    Group codes straight from the columns' category codes (missing as one more
    code), then per KPI column (yes/no as 1/0) one ``np.bincount`` of the codes
    weighted by ``w * x`` over the answered rows. Returns the weighted sums.
    """
    import numpy as np

    responses = study.responses
    codes, k = np.zeros(study.n, dtype=np.intp), 1
    for name in by:
        column = responses[study.resolve_column(name)].cat
        size = len(column.categories) + 1
        codes = codes * size + (column.codes.to_numpy() + 1)
        k *= size
    weights = study.weights()
    w = np.ones(study.n) if weights is None else weights.to_numpy(dtype=float)
    sums = []
    for item in study.codebook.outcomes.values():
        x = responses[item.column].to_numpy(dtype=float, na_value=np.nan)
        sums.append(np.bincount(codes, np.where(np.isnan(x), 0.0, w * x), minlength=k))
    return sums


def floor_ratios(steps) -> list[dict]:
    """``ours / floor`` (best runs) for each step and its floor, with the verdict."""
    best = {s["step"]: s["best_seconds"] for s in steps}
    return [
        {
            "step": ours,
            "floor": floor,
            "ours_seconds": best[ours],
            "floor_seconds": best[floor],
            "ratio": best[ours] / best[floor],
            "target_ratio": FLOOR_RATIO,
            "passed": best[ours] / best[floor] <= FLOOR_RATIO,
        }
        for ours, floor in FLOORS
        if ours in best and floor in best and best[floor] > 0
    ]


# -- measuring -----------------------------------------------------------------------
def measure(name, fn, rows, repeat, memory: PeakRss, target=None, note=""):
    """Time ``fn`` ``repeat`` times, then run it once more under tracemalloc.

    Returns the step's record and the last result of ``fn``.
    """
    times = []
    result = None
    gc.collect()
    rss_before = _current_rss_bytes()
    memory.start_step()
    for _ in range(repeat):
        result = None  # never hold two results (two loaded studies) at once
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    step_peak, process_peak = memory.end_step()

    result = None
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    traced_seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    best, median = min(times), statistics.median(times)
    record = {
        "step": name,
        "note": note,
        "times_seconds": times,
        "best_seconds": best,
        "median_seconds": median,
        "rows_per_second": rows / best if best > 0 else None,
        "target_seconds": target,
        "passed": None if target is None else best < target,
        "median_passed": None if target is None else median < target,
        "rss_before_bytes": rss_before,
        "rss_peak_during_step_bytes": step_peak,
        "process_peak_rss_bytes": process_peak,
        "tracemalloc_peak_bytes": traced_peak,
        "tracemalloc_run_seconds": traced_seconds,
    }
    return record, result


# -- reporting -----------------------------------------------------------------------
def environment() -> dict:
    import numpy
    import pandas
    import pyarrow
    import scipy

    import cxresearch

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "cxresearch": cxresearch.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus_usable": usable,
    }


def _mib(value) -> str:
    return "n/a" if value is None else f"{value / MIB:,.0f}"


def print_report(
    steps, setup, rows, repeat, env, same_table, contention, ratios
) -> tuple[list, list]:
    print()
    print(f"Set-up (not a target), {rows:,} respondents:")
    print(f"  make_demo_study(events=False)  {setup['generate_seconds']:8.2f} s")
    print(
        f"  CSV -> Parquet + codebooks      {setup['convert_seconds']:8.2f} s"
        f"   (CSV {setup['csv_bytes'] / MIB:,.0f} MiB, "
        f"Parquet {setup['parquet_bytes'] / MIB:,.0f} MiB)"
    )
    print(f"  peak RSS of the set-up process  {setup['peak_rss_bytes'] / MIB:8,.0f} MiB")
    print()
    print(f"Timed steps ({repeat} runs each; rows per second from the best run):")
    header = f"  {'step':<38} {'best s':>8} {'median s':>9} {'rows/s':>13} {'target':>9}  result"
    print(header)
    print("  " + "-" * (len(header) - 2))
    missed, marginal = [], []
    for s in steps:
        target = "" if s["target_seconds"] is None else f"< {s['target_seconds']:g} s"
        verdict = "info" if s["passed"] is None else ("PASS" if s["passed"] else "FAIL")
        if s["passed"] is False:
            missed.append(
                f"{s['step']}: best {s['best_seconds']:.2f} s, target < {s['target_seconds']:g} s"
            )
        elif s["passed"] and not s["median_passed"]:
            verdict = "PASS (median over target)"
            marginal.append(
                f"{s['step']}: best {s['best_seconds']:.2f} s but median "
                f"{s['median_seconds']:.2f} s, target < {s['target_seconds']:g} s"
            )
        print(
            f"  {s['step']:<38} {s['best_seconds']:8.3f} {s['median_seconds']:9.3f} "
            f"{s['rows_per_second']:13,.0f} {target:>9}  {verdict}"
        )
    print()
    print(
        f"Against the floors (best runs; ratio = ours / floor, PASS at {FLOOR_RATIO:g}x or under):"
    )
    for r in ratios:
        verdict = "PASS" if r["passed"] else "FAIL"
        print(
            f"  {r['step']:<28} {r['ours_seconds']:7.3f} s / {r['floor']:<36} "
            f"{r['floor_seconds']:7.3f} s = {r['ratio']:5.2f}x  {verdict}"
        )
        if not r["passed"]:
            missed.append(
                f"{r['step']}: {r['ratio']:.2f}x its floor ({r['floor']}), "
                f"target <= {FLOOR_RATIO:g}x"
            )
    print()
    print("Memory (MiB): RSS at the start of the step, peak RSS during the step, process peak RSS")
    print("so far (ru_maxrss), tracemalloc peak of one extra untimed run:")
    header = (
        f"  {'step':<38} {'RSS start':>10} {'step peak':>10} {'proc peak':>10} {'tracemalloc':>12}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for s in steps:
        print(
            f"  {s['step']:<38} {_mib(s['rss_before_bytes']):>10} "
            f"{_mib(s['rss_peak_during_step_bytes']):>10} "
            f"{_mib(s['process_peak_rss_bytes']):>10} "
            f"{_mib(s['tracemalloc_peak_bytes']):>12}"
        )
    print()
    print("Parquet and CSV studies give the same KPI table: " + ("yes" if same_table else "NO"))
    print(
        "Versions: "
        + ", ".join(
            f"{k} {env[k]}" for k in ("python", "cxresearch", "pandas", "numpy", "pyarrow", "scipy")
        )
    )
    print(f"Machine: {env['cpu']}, {env['cpus_usable']} usable CPUs, {env['platform']}")
    if contention is not None:
        print(f"Other processes used {contention:.0%} of the CPUs while the steps were timed.")
        if contention >= 0.10:
            print(
                "  WARNING: the machine was not idle; the timings are pessimistic. "
                "Run again on a quiet machine."
            )
    print()
    if missed:
        print("TARGETS MISSED:")
        for line in missed:
            print(f"  - {line}")
    if marginal:
        print("Targets met by the best run only (the median run missed them):")
        for line in marginal:
            print(f"  - {line}")
    if not missed and not marginal:
        print("All targets met.")
    elif not missed:
        print("No target missed by the best run.")
    return missed, marginal


# -- main ------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time load_study + kpis(by=['brand', 'wave']) on a generated study."
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="respondents (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo study (default 7)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder for the generated study (default: a temporary folder, "
        "removed at the end unless --keep; a folder given here is kept)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs of each step; best and median are reported (default 3)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import pandas as pd

    import cxresearch as cx

    memory = PeakRss()
    env = environment()
    started = datetime.now(UTC)
    temporary = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="cx-bench-")) if temporary else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"bench_kpis: {args.rows:,} respondents, seed {args.seed}, {args.repeat} runs per step, "
        f"work folder {workdir}"
    )
    try:
        print("Set-up: generating the study in a separate process ...", flush=True)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            setup = pool.apply(build_study, (str(workdir), args.rows, args.seed))
        print(
            f"  generated in {setup['generate_seconds']:.1f} s, converted in "
            f"{setup['convert_seconds']:.1f} s",
            flush=True,
        )

        parquet_study, csv_study = setup["parquet_study"], setup["csv_study"]
        cpu = CpuContention()
        steps = []

        def run(name, fn, target=None, note=""):
            print(f"  timing {name} ...", flush=True)
            record, result = measure(name, fn, args.rows, args.repeat, memory, target, note)
            steps.append(record)
            return result

        parquet_file = setup["parquet_file"]
        run(READ_FLOOR, lambda: pd.read_parquet(parquet_file), note="floor of load_study")
        study = run(
            LOAD_STEP,
            lambda: cx.load_study(parquet_study),
            5.0,
            "read, check and type the responses",
        )
        if study.n != args.rows:
            raise SystemExit(f"load_study kept {study.n:,} rows, expected {args.rows:,}")
        run(KPI_FLOOR, lambda: numpy_pass(study), note="floor of kpis by brand and wave")
        by_table = run(
            KPI_STEP,
            lambda: cx.kpis(study, by=["brand", "wave"]),
            2.0,
            "weighted",
        )
        run("kpis() weighted", lambda: cx.kpis(study))
        run("kpis() unweighted", lambda: cx.kpis(study, weighted=False))
        study = None
        gc.collect()
        csv_loaded = run("load_study (CSV)", lambda: cx.load_study(csv_study))
        csv_table = cx.kpis(csv_loaded, by=["brand", "wave"])
        csv_loaded = None
        try:
            pd.testing.assert_frame_equal(by_table.table, csv_table.table)
            same_table = True
        except AssertionError as exc:
            print(f"KPI tables differ between Parquet and CSV: {exc}")
            same_table = False

        contention = cpu.others_share()
        ratios = floor_ratios(steps)
        missed, marginal = print_report(
            steps, setup, args.rows, args.repeat, env, same_table, contention, ratios
        )
        finished = datetime.now(UTC)
        results = {
            "benchmark": "bench_kpis",
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": finished.isoformat(timespec="seconds"),
            "rows": args.rows,
            "seed": args.seed,
            "repeat": args.repeat,
            "environment": env,
            "setup": {k: v for k, v in setup.items() if not k.endswith(("_study", "_file"))},
            "steps": steps,
            "floor_ratios": ratios,
            "kpi_groups": int(by_table.table[list(by_table.by)].drop_duplicates().shape[0]),
            "kpi_table_rows": int(len(by_table.table)),
            "parquet_equals_csv_kpis": same_table,
            "rss_peak_per_step_isolated": memory.can_reset,
            "other_processes_cpu_share": contention,
            "targets_missed": missed,
            "targets_met_by_best_run_only": marginal,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"bench_kpis-{args.rows}.json"
        out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"Results written to {out}")
    finally:
        if temporary and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif temporary:
            print(f"Work folder kept: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
