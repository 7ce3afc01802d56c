"""Memory and CPU of a whole process tree, for the scale benchmark (``bench_scale.py``).

:class:`TreeMemory` samples, in a thread every 0.2 s, the resident set size
(RSS) of this process and of all its children (the Dask workers of a
``LocalCluster``, their nanny-spawned processes, any pool), and keeps the peak
of their sum, per step and overall, and the largest single child. RSS counts a
shared library page in every process that maps it, so the sum is an upper
bound of the memory really used (PSS would be exact but costs a read of
``/proc/<pid>/smaps`` per sample).

:class:`CpuShare` says how much of the machine's CPU other processes used while
a run was timed (``/proc/stat`` minus this tree's own CPU time): timings taken
next to other work are pessimistic.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [process]


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


class TreeMemory:
    """Peak RSS of this process and its children, sampled every ``interval`` s.

    ``cap`` (bytes): past it, the children and then this process are killed
    (SIGKILL), so a run that would exhaust the machine's memory stops instead;
    the caller sees the exit and the last step recorded.
    """

    def __init__(self, interval: float = 0.2, cap: int | None = None):
        self.interval = interval
        self.cap = cap
        self.process = psutil.Process()
        self.lock = threading.Lock()
        self.step_peak = 0
        self.peak = 0
        self.child_peak = 0
        self.samples = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="tree-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join()

    def sample(self) -> int:
        processes = _tree(self.process)
        sizes = [_rss(p) for p in processes]
        total = sum(sizes)
        with self.lock:
            self.samples += 1
            self.step_peak = max(self.step_peak, total)
            self.peak = max(self.peak, total)
            self.child_peak = max(self.child_peak, *sizes[1:], 0)
        if self.cap is not None and total > self.cap:
            self._stop_everything(processes, total)
        return total

    def _stop_everything(self, processes: list[psutil.Process], total: int) -> None:
        print(
            f"  memory cap reached: {total / 2**30:.1f} GiB > {self.cap / 2**30:.1f} GiB; stopping",
            flush=True,
        )
        for child in processes[1:]:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def mark(self) -> int:
        """The peak since the last mark (bytes), and a new step begins."""
        now = self.sample()
        with self.lock:
            peak, self.step_peak = self.step_peak, now
        return peak

    def children(self) -> int:
        return len(_tree(self.process)) - 1


def _machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy (Linux ``/proc/stat``)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    for p in _tree(process):
        try:
            times = p.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class CpuShare:
    """Other processes' share of all CPUs while this tree ran (0 to 1).

    Call :meth:`tree_seconds` while the children (workers) are still alive: a
    child's CPU time is lost when it exits without being waited for.
    """

    def __init__(self):
        self.process = psutil.Process()
        self.start = time.monotonic(), _machine_busy(), _tree_cpu(self.process)
        self.own = 0.0

    def tree_seconds(self) -> float:
        self.own = max(self.own, _tree_cpu(self.process) - self.start[2])
        return self.own

    def others(self) -> float | None:
        busy = _machine_busy()
        if busy is None or self.start[1] is None:
            return None
        wall = time.monotonic() - self.start[0]
        others = (busy - self.start[1]) - self.tree_seconds()
        return max(others, 0.0) / (wall * (os.cpu_count() or 1)) if wall > 0 else None
