#!/usr/bin/env python
"""The speed issue's three ratios, side by side, from the last benchmark runs.

``make bench`` runs ``bench_kpis.py`` (1,000,000 respondents: the KPI table
against a numpy pass, loading against a bare ``pd.read_parquet``) and
``bench_report.py`` (the demo report against bare papermill kernel starts),
then this script, which prints the three ratios of that run with their
targets. Run alone: ``.venv/bin/python benchmarks/ratios.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def ratios(results: Path = RESULTS, rows: int = 1_000_000) -> list[dict]:
    """The three ratios (name, ours, floor, ratio, target) from the result files."""
    found = []
    report = results / "bench_report.json"
    if report.exists():
        r = json.loads(report.read_text())
        found.append(
            {
                "name": f"demo report ({r['rows']:,} respondents) / bare kernel starts",
                "ours": r["report_cold"],
                "floor": r["bare_sequential"],
                "ratio": r["ratio"],
                "target": 1.5,
            }
        )
    kpis = results / f"bench_kpis-{rows}.json"
    if kpis.exists():
        for r in json.loads(kpis.read_text())["floor_ratios"]:
            found.append(
                {
                    "name": f"{r['step']} / {r['floor'].removeprefix('floor: ')}",
                    "ours": r["ours_seconds"],
                    "floor": r["floor_seconds"],
                    "ratio": r["ratio"],
                    "target": r["target_ratio"],
                }
            )
    return found


def main() -> int:
    rows = ratios()
    if not rows:
        print("no benchmark results yet: run make bench")
        return 0
    print("speed against the floors (this machine, last runs)")
    for r in rows:
        verdict = "PASS" if r["ratio"] <= r["target"] else "FAIL"
        print(
            f"  {r['name']:62} {r['ours']:8.3f} s / {r['floor']:7.3f} s = "
            f"{r['ratio']:5.2f}x  (target <= {r['target']:g}x)  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
