#!/usr/bin/env python
"""Benchmark: the analyses on Dask at 100,000,000 respondents and 1,000,000,000 events.

Targets on this 2-core, 24 GB machine: the whole run ends with the peak memory
of the WHOLE process tree (this process, the Dask scheduler in it, every Dask
worker) under 4 GiB, measured with a ``distributed.LocalCluster`` of 1 and of
2 worker processes (1 thread each); time per million rows of every step,
against the pandas path (``cx.load_study`` in memory) at the largest size it
handles here (``--pandas-rows``, ``--pandas-events``).

1. Set-up: the study (``scale_data.py``: ``--respondents`` x ``--items``
   touchpoints rated on expectation and experience, ``--events`` web events)
   is generated part by part (seeded; two processes) into ``--workdir`` as
   folders of Parquet parts (zstd; int8 ratings, dictionary-encoded text)
   with its ``study.yaml``; a folder with the same parameters is reused.
2. Every configuration runs in its own process (so no memory is left over from
   another), which samples the RSS of itself and its children every 0.2 s:
   - ``pandas``: ``cx.load_study`` on the first parts (hard links, no copy),
     then the analyses in memory;
   - ``dask, N workers``: a ``LocalCluster`` (``--worker-memory`` each), then
     the Dask study (``cx.load_study(path, engine="dask", scheduler=address)``,
     or ``load_dask_study`` where that option does not exist yet), then
     ``cx.kpis(study)``, ``cx.kpis(study, by="wave")`` and every public
     analysis with a Dask version (``available_on_dask()``), each through
     ``cx.<name>(study)``; the others are listed as "not on Dask yet".
3. The table gives seconds, seconds per million rows (respondents; events for
   the funnel; both for loading) and the peak memory of the process tree per
   step; then the speed-up from 1 to 2 workers, what N workers would change
   (Amdahl's law fitted to the 1 -> 2 speed-up), and, for a run smaller than
   the full size, the time and disk the full size would take.

Run: ``make bench-scale`` (the full size: hours) or, to try it,
``.venv/bin/python benchmarks/bench_scale.py --quick`` (2,000,000 respondents,
20,000,000 events: minutes). Results:
``benchmarks/results/bench_scale-<respondents>-<events>.json``.
The exit code is 0 even when a target is missed: a report, not a test.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import ScaleParams, pandas_study, write_scale_study  # noqa: E402
from scale_memory import CpuShare, TreeMemory  # noqa: E402

import cxresearch as cx  # noqa: E402
from cxresearch.analyses import _engine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
GiB = 2**30
TARGET_PEAK = 4 * GiB
FULL = {"respondents": 100_000_000, "events": 1_000_000_000}
QUICK = {"respondents": 2_000_000, "events": 20_000_000}
# The analyses that have (or are getting) a Dask version, in the order they run;
# any other public analysis that gets one is run after them.
ORDER = ("gaps", "compare", "banner", "trends", "operations", "funnel", "drivers", "segment")
EVENT_ANALYSES = ("funnel",)
NOT_ON_DASK = "not on Dask yet"


# --- the calls ----------------------------------------------------------------------


def dask_aware_analyses() -> list[str]:
    """The public analyses (``cx.<name>``) wrapped by ``dask_aware``: every one
    shares the wrapper's code object."""
    probe = _engine.dask_aware(lambda study: study).__code__
    found = {
        name for name in cx.__all__ if getattr(getattr(cx, name, None), "__code__", None) is probe
    }
    return sorted(found | set(ORDER) | set(_engine.available_on_dask()))


def calls() -> list[dict]:
    """The timed analyses: label, ``cx`` function, keyword arguments, rows basis."""
    out = [
        {"label": "kpis(study)", "name": "kpis", "kwargs": {}},
        {"label": "kpis(study, by='wave')", "name": "kpis", "kwargs": {"by": "wave"}},
    ]
    others = [n for n in dask_aware_analyses() if n != "kpis"]
    others.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    out += [{"label": f"{n}(study)", "name": n, "kwargs": {}} for n in others]
    for call in out:
        call["basis"] = "events" if call["name"] in EVENT_ANALYSES else "respondents"
    return out


def dask_loader():
    """(label, function(path, address)): ``cx.load_study(engine="dask")`` when it
    exists, else ``load_dask_study``."""
    if "engine" in inspect.signature(cx.load_study).parameters:
        return "cx.load_study(engine='dask')", lambda path, address: cx.load_study(
            path, engine="dask", scheduler=address
        )
    from cxresearch.data.dask_study import load_dask_study

    return "load_dask_study(path)", lambda path, address: load_dask_study(path, scheduler=address)


def summary(result) -> str:
    """A few words on a result, to show it is one (its class, its table's rows)."""
    table = getattr(result, "table", None)
    rows = f", {len(table)} rows" if hasattr(table, "__len__") else ""
    return f"{type(result).__name__}{rows}"


# --- one configuration, in its own process --------------------------------------------


class Recorder:
    """The steps of one configuration, written to ``out`` after each (a run stopped
    by the memory cap leaves what it finished)."""

    def __init__(self, out: Path, config: dict, memory: TreeMemory, cpu: CpuShare):
        self.out = out
        self.memory = memory
        self.cpu = cpu
        self.record = {**config, "steps": [], "started": time.time()}
        self.save()

    def save(self) -> None:
        self.out.write_text(json.dumps(self.record, indent=1, default=str))

    def step(self, label: str, basis: str, function, *args, **kwargs):
        self.memory.mark()
        print(f"  {self.record['name']}: {label} ...", flush=True)
        start = time.perf_counter()
        entry = {"label": label, "basis": basis}
        result = None
        try:
            result = function(*args, **kwargs)
            entry["status"] = "ok"
            entry["what"] = summary(result)
        except Exception as error:  # a report, not a test: record it and go on
            entry["status"] = f"failed: {type(error).__name__}: {str(error).splitlines()[0][:300]}"
            traceback.print_exc(limit=-2)
        entry["seconds"] = time.perf_counter() - start
        entry["peak_bytes"] = self.memory.mark()
        print(
            f"  {self.record['name']}: {label}: {entry['seconds']:.1f} s, "
            f"peak {entry['peak_bytes'] / GiB:.2f} GiB, {entry['status']}",
            flush=True,
        )
        self.record["steps"].append(entry)
        self.save()
        return result

    def analysis(self, call: dict, study) -> None:
        """``cx.<name>(study, **kwargs)``, timed."""
        function = getattr(cx, call["name"])
        self.step(call["label"], call["basis"], function, study, **call["kwargs"])

    def skip(self, label: str, basis: str, status: str) -> None:
        self.record["steps"].append({"label": label, "basis": basis, "status": status})
        self.save()

    def finish(self, memory: TreeMemory, cpu: CpuShare) -> None:
        self.record |= {
            "peak_bytes": memory.peak,
            "largest_child_bytes": memory.child_peak,
            "samples": memory.samples,
            "cpu_seconds": cpu.tree_seconds(),
            "others_cpu_share": cpu.others(),
            "seconds": time.time() - self.record["started"],
            "finished": True,
        }
        self.save()


def kpi_values(study) -> list[float]:
    """The KPI table's values, to compare the engines where they read the same rows."""
    return [float(v) for v in cx.kpis(study).table["value"]]


def run_pandas(config: dict, memory: TreeMemory, record: Recorder) -> None:
    study = record.step("cx.load_study(path)", "both", cx.load_study, config["study"])
    if study is None:
        return
    record.record["kpi_values"] = kpi_values(study)
    wanted = set(config["analyses"])
    for call in calls():
        if call["name"] in wanted:
            record.analysis(call, study)


def run_dask(config: dict, memory: TreeMemory, record: Recorder) -> None:
    import dask
    from distributed import LocalCluster

    # a worker killed for its memory is killed again on the next try: fail at once
    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    workers = config["workers"]
    cluster = record.step(
        f"LocalCluster({workers} worker{'s' * (workers > 1)})",
        "none",
        LocalCluster,
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=config["worker_memory"],
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    if cluster is None:
        return
    label, load = dask_loader()
    study = None
    try:
        study = record.step(label, "both", load, config["study"], cluster.scheduler_address)
        if study is None:
            return
        record.record["kpi_values"] = kpi_values(study)
        on_dask = set(_engine.available_on_dask())
        wanted = config.get("analyses")  # (None: every one)
        for call in calls():
            if wanted is not None and call["name"] not in wanted:
                continue
            if call["name"] not in on_dask:
                record.skip(call["label"], call["basis"], NOT_ON_DASK)
                continue
            record.analysis(call, study)
    finally:
        record.record["cpu_seconds"] = record.cpu.tree_seconds()  # the workers still alive
        client = getattr(study, "client", None)
        if client is not None:
            client.close()
        cluster.close()


def child(config_path: Path) -> None:
    """Run one configuration (``--child CONFIG``), writing ``CONFIG.result.json``."""
    config = json.loads(config_path.read_text())
    out = config_path.with_suffix(".result.json")
    cap = config.get("memory_cap")
    cpu = CpuShare()
    with TreeMemory(cap=cap) as memory:
        record = Recorder(out, config, memory, cpu)
        (run_pandas if config["engine"] == "pandas" else run_dask)(config, memory, record)
        record.finish(memory, cpu)


# --- the whole benchmark -------------------------------------------------------------


def run_config(config: dict, folder: Path) -> dict:
    """Run a configuration in a child process; its record (partial when it died)."""
    path = folder / f"config-{re.sub(r'[^A-Za-z0-9.]+', '_', config['name'])}.json"
    path.write_text(json.dumps(config))
    result = path.with_suffix(".result.json")
    result.unlink(missing_ok=True)
    code = subprocess.call([sys.executable, __file__, "--child", str(path)])
    record = json.loads(result.read_text()) if result.exists() else {**config, "steps": []}
    record["exit_code"] = code
    if code != 0:
        record["stopped"] = (
            "killed: memory cap reached" if code == -9 else f"exited with code {code}"
        )
    return record


def fmt_seconds(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def rows_of(basis: str, record: dict) -> int:
    return {
        "respondents": record["respondents"],
        "events": record["events"],
        "both": record["respondents"] + record["events"],
    }.get(basis, 0)


def per_million(entry: dict, record: dict) -> float | None:
    rows = rows_of(entry["basis"], record)
    if entry.get("status") != "ok" or not rows or "seconds" not in entry:
        return None
    return entry["seconds"] / (rows / 1e6)


def print_table(records: list[dict]) -> None:
    labels = list(dict.fromkeys(e["label"] for r in records for e in r["steps"]))
    head = f"{'step':<30}"
    for r in records:
        head += f" | {r['name'][:26]:>26}"
    print(head)
    sub = f"{'':<30}" + f" | {'s':>7} {'s/M rows':>9} {'GiB':>8}" * len(records)
    print(sub)
    print("-" * len(sub))
    for label in labels:
        line = f"{label[:30]:<30}"
        for r in records:
            entry = next((e for e in r["steps"] if e["label"] == label), None)
            line += " | " + cell(entry, r)
        print(line)
    line = f"{'whole run (peak of the tree)':<30}"
    for r in records:
        peak = r.get("peak_bytes")
        text = f"{fmt_seconds(r.get('seconds'))} s, {peak / GiB:.2f} GiB" if peak else "-"
        line += f" | {text:>26}"
    print(line)


def cell(entry: dict | None, record: dict) -> str:
    if entry is None:
        return f"{'':>26}"
    if entry.get("status") != "ok":
        return f"{entry.get('status', '')[:26]:>26}"
    rate = per_million(entry, record)
    rate_text = "" if rate is None else f"{rate:.3f}"
    return f"{fmt_seconds(entry['seconds']):>7} {rate_text:>9} {entry['peak_bytes'] / GiB:>8.2f}"


def analysis_seconds(record: dict) -> dict[str, float]:
    """Seconds of each finished step but the cluster's start."""
    return {
        e["label"]: e["seconds"]
        for e in record["steps"]
        if e.get("status") == "ok" and e["basis"] != "none"
    }


def scaling(one: dict, two: dict) -> dict | None:
    """Amdahl's law fitted to the 1 -> 2 workers times of the steps both finished:
    ``t(N) = t(1) (s + (1 - s) / N)``, so ``s = 2 t(2) / t(1) - 1``."""
    a, b = analysis_seconds(one), analysis_seconds(two)
    common = [k for k in a if k in b]
    if not common:
        return None
    t1, t2 = sum(a[k] for k in common), sum(b[k] for k in common)
    serial = min(max(2 * t2 / t1 - 1, 0.0), 1.0)
    return {
        "steps": common,
        "t1": t1,
        "t2": t2,
        "speedup": t1 / t2,
        "serial_fraction": serial,
        "projected": {n: t1 * (serial + (1 - serial) / n) for n in (4, 8, 16, 32)},
        "client_peak": max(one.get("peak_bytes", 0) - one.get("largest_child_bytes", 0), 0),
        "worker_peak": max(one.get("largest_child_bytes", 0), two.get("largest_child_bytes", 0)),
    }


def print_scaling(fit: dict | None, parts: int) -> None:
    if fit is None:
        return
    print(
        f"\n1 -> 2 workers: {fmt_seconds(fit['t1'])} s -> {fmt_seconds(fit['t2'])} s "
        f"(speed-up {fit['speedup']:.2f}x over the steps both ran); Amdahl serial share "
        f"{fit['serial_fraction']:.0%} (the client's planning and combining, the loader's "
        "whole-file checks, and on this machine the 2 cores shared with the client)."
    )
    print(
        f"N workers (on N cores): time ~ t(1) x ({fit['serial_fraction']:.2f} + "
        f"{1 - fit['serial_fraction']:.2f}/N); memory ~ client + N x worker peak "
        f"({fit['client_peak'] / GiB:.2f} + N x {fit['worker_peak'] / GiB:.2f} GiB); "
        f"no gain past {parts} workers (one partition each)."
    )
    for n, seconds in fit["projected"].items():
        memory = fit["client_peak"] + n * fit["worker_peak"]
        print(f"  {n:>3} workers: ~{fmt_seconds(seconds)} s, ~{memory / GiB:.1f} GiB in all")


PANDAS_FULL = {"respondents": 10_000_000, "events": 10_000_000}


def full_seconds(record: dict, sizes: dict) -> float:
    """A configuration's finished steps scaled linearly to ``sizes`` (per million
    rows of each step's basis; a step without rows, such as the cluster's start,
    as it was)."""
    rows = {**sizes, "both": sizes["respondents"] + sizes["events"]}
    total = 0.0
    for e in record["steps"]:
        rate = per_million(e, record)
        if rate is not None:
            total += rate * rows[e["basis"]] / 1e6
        elif e.get("status") == "ok":
            total += e.get("seconds", 0.0)
    return total


def busy_share(record: dict) -> float:
    """The share of its cores (1 for pandas, one per worker) the run had: its
    CPU seconds over its wall time; below 1 when other processes took the CPUs."""
    cores = min(record.get("workers", 1), os.cpu_count() or 1)
    wall, cpu = record.get("seconds"), record.get("cpu_seconds")
    if not wall or not cpu:
        return 1.0
    return min(1.0, cpu / wall / cores)


def estimate(records: list[dict], data: dict, args) -> dict:
    """For a run smaller than the full size: the full size's disk and time, scaled
    linearly per million rows of each step's basis; "idle": the same times x the
    share of its cores the run had (as if CPU-bound on an idle machine)."""
    full_r, full_e = FULL["respondents"], FULL["events"]
    disk = data["responses"]["bytes"] / args.respondents * full_r
    disk += data["events"]["bytes"] / args.events * full_e
    out = {"disk_bytes": disk, "configs": {}}
    if data.get("cpu_seconds"):
        cpu = data["cpu_seconds"]
        work = cpu["responses"] / args.respondents * full_r + cpu["events"] / args.events * full_e
        out["generate_seconds"] = work / max(1, min(args.jobs, os.cpu_count() or 1))
    for r in records:
        sizes = PANDAS_FULL if r["engine"] == "pandas" else FULL
        seconds = full_seconds(r, sizes)
        out["configs"][r["name"]] = {
            "sizes": sizes,
            "seconds": seconds,
            "idle_seconds": seconds * busy_share(r),
        }
    return out


def print_estimate(est: dict) -> None:
    print(
        f"\nThe full size ({FULL['respondents']:,} respondents, {FULL['events']:,} events; "
        f"pandas at {PANDAS_FULL['respondents']:,} and {PANDAS_FULL['events']:,}), scaled "
        "linearly from this run (as measured / on an idle machine):"
    )
    print(f"  disk: {est['disk_bytes'] / 1e9:.1f} GB of Parquet")
    total = idle = est.get("generate_seconds", 0.0)
    if "generate_seconds" in est:
        print(f"  generating it: ~{est['generate_seconds'] / 60:.0f} min (its CPU time / jobs)")
    for name, config in est["configs"].items():
        print(
            f"  {name}: ~{config['seconds'] / 60:.0f} min / ~{config['idle_seconds'] / 60:.0f} min"
        )
        total += config["seconds"]
        idle += config["idle_seconds"]
    print(f"  the whole run: ~{total / 3600:.1f} h / ~{idle / 3600:.1f} h")


def environment() -> dict:
    import dask
    import distributed
    import numpy
    import pandas
    import pyarrow

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": memory,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "versions": {
            "cxresearch": cx.__version__,
            "dask": dask.__version__,
            "distributed": distributed.__version__,
            "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__,
            "numpy": numpy.__version__,
        },
        "on_dask": list(_engine.available_on_dask()),
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="2M respondents, 20M events")
    parser.add_argument("--respondents", type=int, default=None)
    parser.add_argument("--items", type=int, default=20, help="touchpoints (default 20)")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument("--worker-memory", default="1.5GiB", help="memory_limit per worker")
    parser.add_argument("--pandas-rows", type=int, default=None, help="respondents in memory")
    parser.add_argument("--pandas-events", type=int, default=None, help="events in memory")
    parser.add_argument(
        "--pandas-analyses",
        default="kpis,gaps,trends,operations,funnel",
        help="analyses run in memory (comma-separated names; 'all': every one)",
    )
    parser.add_argument(
        "--dask-analyses",
        default="all",
        help="analyses run on Dask (comma-separated names; 'all', the default: every one; "
        "to finish a full-size run in parts)",
    )
    parser.add_argument("--pandas-memory-cap", type=float, default=18.0, help="GiB")
    parser.add_argument("--respondent-part-rows", type=int, default=500_000)
    parser.add_argument("--event-part-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="processes generating the data")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated study")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    args.respondents = args.respondents or size["respondents"]
    args.events = args.events or size["events"]
    args.pandas_rows = min(_or(args.pandas_rows, 10_000_000), args.respondents)  # (0: no pandas)
    args.pandas_events = min(_or(args.pandas_events, 10_000_000), args.events)
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    return args


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def default_workdir(params: ScaleParams) -> Path:
    return Path(tempfile.gettempdir()) / (
        f"cxresearch-bench-scale-{params.respondents}x{params.items}-{params.events}-s{params.seed}"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        child(args.child)
        return 0
    params = ScaleParams(
        respondents=args.respondents,
        items=args.items,
        events=args.events,
        seed=args.seed,
        respondent_part_rows=args.respondent_part_rows,
        event_part_rows=args.event_part_rows,
    )
    folder = args.workdir or default_workdir(params)
    keep = args.keep or args.workdir is not None
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"scale benchmark: {params.respondents:,} respondents x {params.items} touchpoints, "
        f"{params.events:,} events, in {folder}; free disk "
        f"{shutil.disk_usage(folder).free / 1e9:.0f} GB"
    )
    try:
        return run_all(args, params, folder)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_all(args, params: ScaleParams, folder: Path) -> int:
    env = environment()
    data = write_scale_study(folder, params, jobs=args.jobs)
    print(
        f"  data: responses {data['responses']['parts']} parts, "
        f"{data['responses']['bytes'] / 1e9:.2f} GB; events {data['events']['parts']} parts, "
        f"{data['events']['bytes'] / 1e9:.2f} GB; {fmt_seconds(data['seconds'])} s"
    )
    configs = []
    analyses = (
        [c["name"] for c in calls()]
        if args.pandas_analyses == "all"
        else [a for a in args.pandas_analyses.split(",") if a]
    )
    if args.pandas_rows > 0:
        path, rows, events = pandas_study(folder, params, args.pandas_rows, args.pandas_events)
        configs.append(
            {
                "name": f"pandas {rows / 1e6:g}M resp / {events / 1e6:g}M ev",
                "engine": "pandas",
                "study": str(path),
                "respondents": rows,
                "events": events,
                "analyses": analyses,
                "memory_cap": int(args.pandas_memory_cap * GiB),
            }
        )
    for workers in args.workers:
        configs.append(
            {
                "name": f"dask, {workers} worker{'s' * (workers > 1)}",
                "engine": "dask",
                "workers": workers,
                "worker_memory": args.worker_memory,
                "study": str(folder / "study.yaml"),
                "respondents": params.respondents,
                "events": params.events,
                "analyses": None
                if args.dask_analyses == "all"
                else [a for a in args.dask_analyses.split(",") if a],
            }
        )
    records = [run_config(c, folder) for c in configs]
    report(args, params, data, env, records)
    return 0


def report(args, params: ScaleParams, data: dict, env: dict, records: list[dict]) -> None:
    print()
    print_table(records)
    print(
        "\n(s/M rows: per million respondents; the funnel per million events; loading per "
        "million of both. GiB: peak RSS of the whole process tree during the step.)"
    )
    for r in records:
        if r.get("stopped"):
            print(f"  {r['name']}: {r['stopped']}")
        share = r.get("others_cpu_share")
        if share is not None and share >= 0.1:
            print(f"  {r['name']}: other processes used {share:.0%} of the CPUs: pessimistic times")
    dask_runs = [r for r in records if r["engine"] == "dask"]
    verdicts = []
    for r in dask_runs:
        peak = r.get("peak_bytes", 0)
        ok = r.get("finished") and peak < TARGET_PEAK
        verdicts.append(ok)
        print(
            f"  {r['name']}: peak of the process tree {peak / GiB:.2f} GiB, target < "
            f"{TARGET_PEAK / GiB:.0f} GiB: {'PASS' if ok else 'FAIL'}"
        )
    check_engines(records)
    one = next((r for r in dask_runs if r.get("workers") == 1), None)
    two = next((r for r in dask_runs if r.get("workers") == 2), None)
    fit = scaling(one, two) if one and two else None
    print_scaling(fit, data["responses"]["parts"])
    est = None
    if params.respondents < FULL["respondents"] or params.events < FULL["events"]:
        est = estimate(records, data, args)
        print_estimate(est)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_scale-{params.respondents}-{params.events}.json"
    out.write_text(
        json.dumps(
            {
                "params": asdict(params),
                "data": data,
                "environment": env,
                "runs": records,
                "scaling": fit,
                "full_size_estimate": est,
                "target_peak_bytes": TARGET_PEAK,
                "passed": bool(verdicts) and all(verdicts),
            },
            indent=1,
            default=str,
        )
    )
    print(f"\nresults: {out}")


def check_engines(records: list[dict]) -> None:
    """Where pandas read every row, the KPI tables of the engines must agree."""
    pandas = next((r for r in records if r["engine"] == "pandas"), None)
    if pandas is None or "kpi_values" not in pandas:
        return
    whole = [r for r in records if r["engine"] == "dask" and "kpi_values" in r]
    if not whole or pandas["respondents"] != whole[0]["respondents"]:
        return
    for r in whole:
        pairs = zip(pandas["kpi_values"], r["kpi_values"], strict=True)
        diffs = [abs(a - b) for a, b in pairs if not (math.isnan(a) and math.isnan(b))]
        print(
            f"  {r['name']}: kpis(study) against pandas on the same rows: largest difference "
            f"{max(diffs, default=0.0):.1e}"
        )


if __name__ == "__main__":
    sys.exit(main())
