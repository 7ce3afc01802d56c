"""Running the chapter notebooks: papermill kernels, side by side, stoppable at once.

Chapters run in daemon threads, each in its own kernel, while the main thread
waits in short steps, so an interrupt (Ctrl-C, or SIGTERM turned into one by
the command line) reaches it at once: no queued chapter starts, every kernel
the report started is killed with its process group, and the interrupt goes on
(the caller removes the build folder). A finished kernel is shut down without
the interrupt jupyter_client sends first, which made the kernel log
"KeyboardInterrupt caught in kernel" on every good run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ReportError
from .notebooks import ChapterNotebook
from .warm import ForkServer, fork_server, forked_launch


def execute_all(chapters, folder: Path, params, workers: int, progress: bool, out_dir: Path):
    """Run the chapters, ``workers`` at a time, each in its own kernel.

    Chapters run in daemon threads the main thread waits for in short steps,
    so an interrupt reaches it at once: then no queued chapter starts, every
    kernel is killed (:class:`_Kernels`) and the interrupt goes on.
    """

    folder.mkdir(parents=True)
    kernels = _Kernels()
    with _threads_per_kernel(workers), fork_server() as server:
        manager_class = _kernel_manager_class(kernels, server)
        _execute(chapters, folder, params, workers, progress, out_dir, kernels, manager_class)


def _execute(chapters, folder, params, workers, progress, out_dir, kernels, manager_class):
    import papermill as pm
    from tqdm.auto import tqdm

    todo: queue.SimpleQueue = queue.SimpleQueue()
    for chapter in chapters:
        todo.put(chapter)
    done: queue.SimpleQueue = queue.SimpleQueue()

    def run(chapter: ChapterNotebook) -> None:
        try:
            run_once(chapter)
        except RuntimeError as exc:  # a kernel that died starting (busy machine): once more
            if kernels.stopping or not _died_starting(exc):
                raise
            run_once(chapter)

    def run_once(chapter: ChapterNotebook) -> None:
        pm.execute_notebook(
            str(chapter.source),
            str(folder / chapter.source.name),
            parameters={k: v for k, v in params.items() if k in chapter.parameters},
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up chatter
            kernel_manager_class=manager_class,
            # Every cell has run and its outputs are in: a graceful shutdown only
            # waits for the kernel to exit, which took 2.6 s in one run of five.
            shutdown_kernel="immediate",
        )

    def worker() -> None:
        while not kernels.stopping:
            try:
                chapter = todo.get_nowait()
            except queue.Empty:
                return
            try:
                run(chapter)
            except BaseException as exc:  # noqa: B036 - reported by the main thread
                done.put((chapter, exc))
            else:
                done.put((chapter, None))

    failures = []
    workers = max(1, min(workers, len(chapters)))
    bar = tqdm(total=len(chapters), desc="chapters", unit="notebook", disable=not progress)
    threads = [
        threading.Thread(target=worker, name=f"cxresearch-chapter-{number}", daemon=True)
        for number in range(workers)
    ]
    with _quiet_when_stopped(kernels), bar:
        for thread in threads:
            thread.start()
        try:
            for _ in chapters:
                chapter, exc = _next_result(done)
                bar.set_postfix_str(chapter.name)
                if exc is not None:
                    failures.append((chapter, exc))
                bar.update()
        except BaseException:  # an interrupt (or anything else): stop every kernel now
            kernels.stop()
            _let_finish(threads, STOP_GRACE)  # papermill writes a stopped notebook out
            raise
    if failures:
        _report_failure(failures, folder, out_dir)


def _died_starting(exc: BaseException) -> bool:
    """Whether a chapter failed because its kernel died before it ran a cell
    (jupyter_client's "Kernel died before replying to kernel_info"), which a
    loaded machine now and then does; such a chapter is started once more."""
    return "died before replying to kernel_info" in str(exc)


STOP_GRACE = 1.0
"""Seconds a stopped report waits for its chapter threads, whose papermill
writes the interrupted notebook out, before the build folder is removed."""


def _let_finish(threads: list[threading.Thread], seconds: float) -> None:
    """Wait up to ``seconds`` in all for ``threads`` to end."""
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _next_result(done: queue.SimpleQueue):
    """The next finished chapter, waiting in short steps so that a signal's
    handler runs at once in the main thread."""
    while True:
        try:
            return done.get(timeout=0.2)
        except queue.Empty:
            continue


def _report_failure(failures, folder: Path, out_dir: Path) -> None:
    chapter, exc = min(failures, key=lambda f: f[0].name)
    kept_dir = out_dir.with_name(out_dir.name + ".failed")
    shutil.rmtree(kept_dir, ignore_errors=True)
    shutil.copytree(folder, kept_dir)
    raise ReportError(
        chapter.source.name,
        getattr(exc, "cell_index", None),
        getattr(exc, "ename", type(exc).__name__),
        getattr(exc, "evalue", str(exc)),
        kept_dir / chapter.source.name,
    ) from exc


class _Kernels:
    """The kernels a report started, to kill them all at once when it is stopped.

    A kernel registers itself once launched (:func:`_kernel_manager_class`);
    after :meth:`stop` no kernel starts, and one that was being launched
    meanwhile is killed as it registers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set = set()
        self.stopping = False

    def starting(self) -> None:
        if self.stopping:
            raise RuntimeError("the report was stopped")

    def started(self, manager) -> None:
        with self._lock:
            if not self.stopping:
                self._running.add(manager)
                return
        _kill(manager)
        raise RuntimeError("the report was stopped")

    def ended(self, manager) -> None:
        with self._lock:
            self._running.discard(manager)

    def stop(self) -> None:
        with self._lock:
            self.stopping = True
            managers = list(self._running)
            self._running.clear()
        for manager in managers:
            _kill(manager)


def _kill(manager) -> None:
    """Kill a kernel and everything it started (its process group), now."""
    provisioner = getattr(manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    group = getattr(provisioner, "pgid", None)
    with contextlib.suppress(OSError):
        if group and hasattr(os, "killpg") and group != os.getpgid(0):
            os.killpg(group, signal.SIGKILL)
        elif process is not None:
            process.kill()
    if process is not None:
        with contextlib.suppress(Exception):
            process.wait(timeout=1)
    with contextlib.suppress(Exception):
        manager.cleanup_connection_file()


def _kernel_manager_class(kernels: _Kernels, server: ForkServer | None = None) -> type:
    """The kernel manager the chapters run with: jupyter_client's, but it
    forks its kernel from ``server`` (when there is one: the libraries are
    imported once, :mod:`cxresearch.report.warm`), registers the kernel with
    ``kernels`` (to be killed on an interrupt) and shuts a finished kernel down
    without first interrupting it (the interrupt made every good run print
    "KeyboardInterrupt caught in kernel")."""
    from jupyter_client import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kernels.starting()
            if server is not None:
                self.provisioner.launch_kernel = forked_launch(self.provisioner, server)
            await super()._async_launch_kernel(kernel_cmd, **kw)
            kernels.started(self)

        async def _async_interrupt_kernel(self):
            if not self.shutting_down:  # an interrupt asked for, not a shutdown
                await super()._async_interrupt_kernel()

        async def _async_cleanup_resources(self, restart: bool = False):
            kernels.ended(self)
            await super()._async_cleanup_resources(restart=restart)

    return ReportKernelManager


@contextmanager
def _quiet_when_stopped(kernels: _Kernels) -> Iterator[None]:
    """Once the report is stopped, the abandoned chapters' papermill log
    records ("Kernel died ...") are dropped: the user asked to stop. The filter
    stays on after a stop, since those threads may still log."""
    logger = logging.getLogger("papermill")
    quiet = _DropWhenStopped(kernels)
    logger.addFilter(quiet)
    try:
        yield
    finally:
        if not kernels.stopping:
            logger.removeFilter(quiet)


class _DropWhenStopped(logging.Filter):
    def __init__(self, kernels: _Kernels) -> None:
        super().__init__()
        self.kernels = kernels

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.kernels.stopping


def thread_share(workers: int) -> int:
    """The BLAS/OpenMP threads each of ``workers`` processes running side by
    side gets: the cores divided among them, at least one. More threads than
    cores spin against each other (on 2 cores, 2-6x the CPU for the same result)."""
    return max(1, (os.cpu_count() or 1) // workers)


@contextmanager
def _threads_per_kernel(workers: int):
    """Kernels running side by side share the cores: give each its share of
    BLAS/OpenMP threads (inherited by the kernel processes started meanwhile)."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    share = str(thread_share(workers))
    for name in names:
        os.environ.setdefault(name, share)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
