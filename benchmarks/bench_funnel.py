#!/usr/bin/env python
"""Benchmark: ``cx.funnel`` over 10,000,000 web events.

Target on this 2-core machine: under 20 seconds for the funnel (loading the
events is timed for information). The events are synthetic and seeded:
sessions walk home -> search -> product -> cart -> delivery -> payment ->
confirmation, continuing with fixed probabilities, with 1% duplicated events.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_funnel.py --events 2000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gaps_drivers import RESULTS, timed  # noqa: E402

import cxresearch as cx  # noqa: E402

TARGET_SECONDS = 20.0
STEPS = ["home", "search", "product", "cart", "delivery", "payment", "confirmation"]
CONTINUE = [1.0, 0.9, 0.8, 0.6, 0.82, 0.85, 0.42]


def write_study(folder: Path, n_events: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    sessions = int(n_events / 3.6)
    depth = np.ones(sessions, dtype=np.int64)
    alive = np.ones(sessions, dtype=bool)
    for p in CONTINUE[1:]:
        alive &= rng.random(sessions) < p
        depth += alive
    session = np.repeat(np.arange(sessions), depth)
    step = np.arange(len(session)) - np.repeat(
        np.cumsum(depth) - depth, depth
    )  # 0, 1, ... per session
    start = np.datetime64("2026-04-01") + rng.integers(0, 90 * 86400, sessions).astype(
        "timedelta64[s]"
    )
    times = np.repeat(start, depth) + (step * 40 + rng.integers(0, 30, len(step))).astype(
        "timedelta64[s]"
    )
    events = pd.DataFrame(
        {
            "session_id": session.astype(str),
            "page_type": np.array(STEPS)[step],
            "ts": times,
            "device": np.where(np.repeat(rng.random(sessions), depth) < 0.6, "mobile", "desktop"),
        }
    )
    extra = events.sample(frac=0.01, random_state=seed)
    events = pd.concat([events, extra]).iloc[:n_events]
    events.to_parquet(folder / "events.parquet", index=False)
    pd.DataFrame({"id": ["a"], "recommend": [9]}).to_csv(folder / "responses.csv", index=False)
    (folder / "study.yaml").write_text(
        "name: funnel benchmark\nresponses: responses.csv\ncolumns: {id: id}\n"
        "outcomes: {nps: {column: recommend, scale: [0, 10]}}\n"
        "events: {file: events.parquet, session: session_id, step: page_type, time: ts,\n"
        "         device: device, funnel: [product, cart, delivery, payment, confirmation]}\n"
    )
    return folder / "study.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"funnel over {args.events:,} events")
    with tempfile.TemporaryDirectory() as folder:
        path, _ = timed(
            "set-up: generate and write Parquet", write_study, Path(folder), args.events, args.seed
        )
        study, load = timed("load_study (events checked; information)", cx.load_study, path)
        result, seconds = timed("funnel(study)", cx.funnel, study)
        _, by_device = timed(
            "funnel(study, by='device') (information)", cx.funnel, study, by="device"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
    step, sessions = result.abandonment.loc[0, "step"], result.quality["sessions"]
    print(f"  abandonment step: {step}; sessions {sessions:,}")
    print(f"  target < {TARGET_SECONDS:.0f} s: {verdict}; peak memory (RSS) {peak / 2**30:.2f} GiB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_funnel-{args.events}.json"
    out.write_text(
        json.dumps(
            {
                "events": args.events,
                "load_seconds": load,
                "funnel_seconds": seconds,
                "by_device_seconds": by_device,
                "target_seconds": TARGET_SECONDS,
                "passed": seconds < TARGET_SECONDS,
                "peak_rss_bytes": peak,
            },
            indent=1,
        )
    )
    print(f"  results: {out}")


if __name__ == "__main__":
    main()
