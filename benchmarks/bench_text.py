#!/usr/bin/env python
"""Benchmark: score and theme customers' comments (five languages, mostly distinct texts).

Run it with ``.venv/bin/python benchmarks/bench_text.py --rows 100000`` (the
target is 1,000,000 comments scored and themed in under 5 minutes on two
cores; ``--rows 1000000`` measures it directly).

What it does:

1. Set-up (timed, not a target): ``_planted.planted_comments`` writes ``--rows``
   comments in pl, ru, bg, ro and en with planted topics and a 0-10 score. A
   share ``--unique`` (default 0.7) of them get their own reference number
   appended, so they are distinct; the rest repeat the generator's sentences
   (real comments repeat too: "ok", "fast delivery"; the measured share of
   distinct texts is printed and stored). The words come from the generator's
   small vocabulary, so the per-word lemma cache helps more than on real comments.
2. Timed steps: ``prepare`` (language per distinct comment, lemmas, stop-words;
   the dictionaries come memory-mapped from the lemma store, built once per
   machine: ``warm-up``), ``sentiment`` from ratings (the classifier:
   cross-validation on at most 100,000 comments, then every comment scored),
   ``themes`` given that sentiment, as the report chapter calls it (NMF per
   language, ``k=auto`` by stability on samples, each distinct comment
   projected), and ``sentiment`` with hand labels on 5% of the comments (not in
   the target). The target's total is prepare + sentiment + themes.
3. Memory: the process's peak resident set size after each step
   (``getrusage(RUSAGE_SELF).ru_maxrss``, KiB on Linux).

Results go to ``benchmarks/results/bench_text-<rows>.json``; with fewer than
1,000,000 rows the script extrapolates linearly to a million per step (all
steps are linear in the comments past the capped fitting samples, so the
extrapolation is conservative for the fitting parts) and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from cxresearch.analyses.text import sentiment, themes
from cxresearch.analyses.text._planted import planted_comments
from cxresearch.analyses.text.language import prepare

TARGET_ROWS = 1_000_000
TARGET_SECONDS = 300


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, results: dict, step):
    start = time.perf_counter()
    value = step()
    seconds = time.perf_counter() - start
    results[name] = {"seconds": round(seconds, 2), "peak_rss_mib": round(peak_mib(), 1)}
    print(f"{name:<28} {seconds:8.1f} s   peak RSS {peak_mib():8.1f} MiB", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unique", type=float, default=0.7, help="share of distinct comments")
    args = parser.parse_args()
    results: dict = {}
    data = timed(
        "generate comments", results, lambda: planted_comments(args.rows, random_state=args.seed)
    )
    numbered = np.random.default_rng(args.seed + 1).random(args.rows) < args.unique
    texts = [
        f"{text} ({i})" if own else text
        for i, (text, own) in enumerate(zip(data["text"], numbered, strict=True))
    ]
    distinct = len(set(texts))
    print(f"{distinct:,} distinct texts of {len(texts):,} ({100 * distinct / len(texts):.0f}%)")
    timed("warm-up (load dictionaries)", results, lambda: prepare(texts[:2000]))
    timed("prepare (language, lemmas)", results, lambda: prepare(texts))
    mood = timed(
        "sentiment (ratings)", results, lambda: sentiment(texts, ratings=list(data["score"]))
    )
    timed("themes (k=auto)", results, lambda: themes(texts, sentiment=mood))
    labels = data["sentiment"].where(np.arange(len(data)) % 20 == 0, None)
    timed("sentiment (5% labelled)", results, lambda: sentiment(texts, labels=list(labels)))
    scored_and_themed = sum(
        results[step]["seconds"]
        for step in ("prepare (language, lemmas)", "sentiment (ratings)", "themes (k=auto)")
    )
    factor = TARGET_ROWS / args.rows
    estimate = scored_and_themed * factor
    summary = {
        "rows": args.rows,
        "distinct_texts": distinct,
        "cores": os.cpu_count(),
        "score_and_theme_seconds": round(scored_and_themed, 1),
        "extrapolated_to_1m_seconds": round(estimate, 1) if factor != 1 else None,
        "target_seconds": TARGET_SECONDS,
        "steps": results,
    }
    print(
        f"\nprepare + score + theme: {scored_and_themed:.1f} s for {args.rows:,} comments"
        + (f"; linear extrapolation to 1,000,000: {estimate:.0f} s" if factor != 1 else "")
        + f" (target {TARGET_SECONDS} s)"
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench_text-{args.rows}.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
