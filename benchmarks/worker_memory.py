"""Each Dask worker's memory over time while analyses run: to find what fills a worker.

The scale benchmark (``bench_scale.py``) reports the peak of the whole process
tree per step; when a worker is killed for its memory, this tool shows how each
worker's resident memory moved during the analysis: a flat line that spikes is
one task too large (read fewer columns, smaller chunks), a line that climbs part
after part is something kept per task (an argument or result held until the
computation ends). It starts a ``distributed.LocalCluster`` like the benchmark's
(worker processes with one thread each and a memory limit, on 127.0.0.1), loads
the study on it and runs the analyses one after another, printing every
``--every`` seconds the peak of each worker since the last line (psutil, every
0.1 s), and each worker's memory at rest after each analysis.

    .venv/bin/python benchmarks/worker_memory.py STUDY.yaml segment,scorecard
    .venv/bin/python benchmarks/worker_memory.py STUDY.yaml drivers --workers 1 --every 5

Session 9 found with it that the segmentation's pass grew each worker by 3.3 MB
per part (0.86 -> 1.19 GiB over 200 parts): each task carried the fitted model.
"""

from __future__ import annotations

import argparse
import threading
import time

import psutil

import cxresearch as cx


class WorkerPeaks:
    """The peak RSS of each child process of this one since the last :meth:`take`."""

    def __init__(self) -> None:
        self._me = psutil.Process()
        self._peaks: dict[int, int] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            for child in self._me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                with self._lock:
                    self._peaks[child.pid] = max(self._peaks.get(child.pid, 0), rss)
            time.sleep(0.1)

    def take(self) -> list[float]:
        """The peaks in GiB, largest first, and start over."""
        with self._lock:
            peaks, self._peaks = self._peaks, {}
        return sorted((v / 2**30 for v in peaks.values()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study", help="the study's codebook (Parquet folders)")
    parser.add_argument("analyses", help="comma-separated names of cx functions, e.g. segment")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="1.5GiB", help="memory_limit per worker")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between lines")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        memory_limit=args.worker_memory,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    start = time.perf_counter()
    peaks = WorkerPeaks()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {text}", flush=True)

    def report_peaks() -> None:
        while True:
            time.sleep(args.every)
            say("worker peaks (GiB): " + " ".join(f"{p:.2f}" for p in peaks.take()))

    threading.Thread(target=report_peaks, daemon=True).start()
    study = cx.load_study(args.study, engine="dask", scheduler=cluster.scheduler_address)
    say("loaded")
    for name in args.analyses.split(","):
        say(f"{name} ...")
        try:
            getattr(cx, name)(study)
            outcome = "done"
        except Exception as error:  # a killed worker: shown, and the next analysis runs
            outcome = f"failed: {type(error).__name__}: {str(error)[:120]}"
        rest = client.run(lambda: psutil.Process().memory_info().rss)
        at_rest = " ".join(f"{v / 2**30:.2f}" for v in rest.values())
        say(f"{name} {outcome}; workers at rest (GiB): {at_rest}")
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
