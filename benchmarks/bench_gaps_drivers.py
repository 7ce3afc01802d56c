#!/usr/bin/env python
"""Benchmark: ``gaps`` and ``drivers`` (relative weights, 200 bootstrap resamples).

Target on this 2-core machine: gaps and relative weights with 200 bootstrap
resamples on 1,000,000 respondents x 20 touchpoints in under 30 seconds.

The study is synthetic (generated here, vectorised, seeded): 20 touchpoints
with expectation and experience on 1-7 (30% of experiences missing: not used),
an NPS outcome from a known linear model, four brands and survey weights. It
is written as Parquet with its codebook into a temporary folder, loaded with
``cx.load_study`` (timed for information), then ``cx.gaps(study)`` and
``cx.drivers(study, n_boot=200)`` are timed.

Run: ``make bench`` (with the other benchmarks) or
``.venv/bin/python benchmarks/bench_gaps_drivers.py --rows 200000`` for a quick run.
Results are printed and written to ``benchmarks/results/bench_gaps_drivers-<rows>.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import cxresearch as cx

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 30.0


def write_study(folder: Path, rows: int, touchpoints: int, seed: int) -> Path:
    """A synthetic study of ``rows`` respondents and ``touchpoints`` touchpoints."""
    rng = np.random.default_rng(seed)
    data = {
        "id": np.arange(1, rows + 1).astype(str),
        "brand": np.array(["Acme", "B", "C", "D"])[rng.integers(0, 4, rows)],
        "weight": np.round(rng.uniform(0.5, 2.0, rows), 3),
    }
    weights = np.linspace(1.0, 0.05, touchpoints)
    latent = np.zeros(rows)
    stages = ("before", "during", "after")
    codebook_touchpoints = []
    for t in range(touchpoints):
        experience = np.clip(np.rint(rng.normal(4.8, 1.2, rows)), 1, 7)
        expectation = np.clip(np.rint(rng.normal(5.3, 1.0, rows)), 1, 7)
        used = rng.random(rows) < 0.7
        latent += weights[t] * np.where(used, experience - 4.8, 0)
        data[f"perf_{t}"] = np.where(used, experience, np.nan)
        data[f"exp_{t}"] = expectation
        codebook_touchpoints.append(
            {
                "id": f"t{t:02d}",
                "label": f"Touchpoint {t + 1}",
                "stage": stages[t * 3 // touchpoints],
                "experience": {"column": f"perf_{t}", "scale": [1, 7]},
                "expectation": {"column": f"exp_{t}", "scale": [1, 7]},
            }
        )
    data["recommend"] = np.clip(
        np.rint(7 + latent / latent.std() * 1.8 + rng.normal(0, 1.2, rows)), 0, 10
    )
    pd.DataFrame(data).to_parquet(folder / "responses.parquet", index=False)
    codebook = {
        "name": f"Benchmark {rows:,} x {touchpoints}",
        "brand": "Acme",
        "responses": "responses.parquet",
        "columns": {"id": "id", "brand": "brand", "weight": "weight"},
        "outcomes": {"nps": {"column": "recommend", "scale": [0, 10]}},
        "touchpoints": codebook_touchpoints,
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path


def timed(label: str, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<42} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=20)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"gaps + drivers on {args.rows:,} respondents x {args.touchpoints} touchpoints")
    with tempfile.TemporaryDirectory() as folder:
        path, setup = timed(
            "set-up: generate and write Parquet",
            write_study,
            Path(folder),
            args.rows,
            args.touchpoints,
            args.seed,
        )
        study, load = timed("load_study (for information)", cx.load_study, path)
        gap_table, gap_seconds = timed("gaps(study)", cx.gaps, study)
        result, driver_seconds = timed(
            f"drivers(study, n_boot={args.n_boot})", cx.drivers, study, n_boot=args.n_boot
        )
    total = gap_seconds + driver_seconds
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    verdict = "PASS" if total < TARGET_SECONDS else "FAIL"
    print(f"  {'gaps + drivers':<42} {total:8.2f} s   target < {TARGET_SECONDS:.0f} s: {verdict}")
    print(
        f"  peak memory (RSS) {peak / 2**30:.2f} GiB; driver R² {result.r2:.3f}; "
        f"worst gap {gap_table.table['gap'].min():+.2f}"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_gaps_drivers-{args.rows}.json"
    out.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "touchpoints": args.touchpoints,
                "n_boot": args.n_boot,
                "setup_seconds": setup,
                "load_seconds": load,
                "gaps_seconds": gap_seconds,
                "drivers_seconds": driver_seconds,
                "total_seconds": total,
                "target_seconds": TARGET_SECONDS,
                "passed": total < TARGET_SECONDS,
                "peak_rss_bytes": peak,
                "versions": {
                    "cxresearch": cx.__version__,
                    "numpy": np.__version__,
                    "pandas": pd.__version__,
                },
            },
            indent=1,
        )
    )
    print(f"  results: {out}")


if __name__ == "__main__":
    main()
