#!/usr/bin/env python
"""Benchmark: ``cx.segment`` on 1,000,000 respondents x 30 features, k chosen from 2..8.

Target on this 2-core machine: under 60 seconds. The study is the synthetic one
of ``bench_gaps_drivers.py`` with 15 touchpoints (expectation and experience
each: 30 features). Above 50,000 respondents ``segment`` chooses k and measures
stability on a random sample of 50,000 and fits MiniBatchKMeans on everyone.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_segments.py --rows 200000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gaps_drivers import RESULTS, timed, write_study  # noqa: E402

import cxresearch as cx  # noqa: E402

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"segment on {args.rows:,} respondents x 30 features, k from 2 to 8")
    with tempfile.TemporaryDirectory() as folder:
        path, _ = timed(
            "set-up: generate and write Parquet",
            write_study,
            Path(folder),
            args.rows,
            15,
            args.seed,
        )
        study, _ = timed("load_study (for information)", cx.load_study, path)
        result, seconds = timed("segment(study)", cx.segment, study)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
    print(f"  k = {result.k}; {result.verdict}")
    print(f"  target < {TARGET_SECONDS:.0f} s: {verdict}; peak memory (RSS) {peak / 2**30:.2f} GiB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_segments-{args.rows}.json"
    out.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "features": 30,
                "seconds": seconds,
                "k": result.k,
                "target_seconds": TARGET_SECONDS,
                "passed": seconds < TARGET_SECONDS,
                "peak_rss_bytes": peak,
                "notes": list(result.notes),
            },
            indent=1,
        )
    )
    print(f"  results: {out}")


if __name__ == "__main__":
    main()
