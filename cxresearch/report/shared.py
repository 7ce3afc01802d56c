"""What a report's processes share: one results folder, and the index page built meanwhile.

The chapters run in their own kernels and the index page in this process; all
of them ask for the same analyses. :func:`results_shared` points every one of
them at one cache folder (:mod:`cxresearch.cache`: this process directly, the
kernels through the ``CXRESEARCH_CACHE`` environment variable they inherit),
so each analysis runs once per report, and, with a lasting folder, not again
in the next report on unchanged data. :class:`Background` builds the index
page in a thread while the chapters run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._lazy import LazyModule
from ..cache import ENVIRONMENT, default_folder, prune, use_cache

_threadpoolctl = LazyModule("threadpoolctl")


@contextmanager
def results_folder(cache: str | Path | bool) -> Iterator[Path]:
    """The results folder ``cache`` stands for: True for the lasting default
    folder (:func:`cxresearch.cache.default_folder`), a folder, or False for a
    temporary folder of this run only (removed afterwards). A lasting folder
    is pruned afterwards (:func:`cxresearch.cache.prune`)."""
    lasting = cache is not False
    folder = Path(
        default_folder() if cache is True else cache if lasting else tempfile.mkdtemp("-cx")
    ).expanduser()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        yield folder.resolve()
    finally:
        if lasting:
            prune(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def results_shared(cache: str | Path | bool) -> Iterator[Path]:
    """Share analysis results between this process and the kernels it starts:
    the :func:`results_folder` of ``cache``, named to the kernels by the
    ``CXRESEARCH_CACHE`` environment variable while the block runs."""
    with results_folder(cache) as folder:
        previous = os.environ.get(ENVIRONMENT)
        os.environ[ENVIRONMENT] = str(folder)
        try:
            yield folder
        finally:
            if previous is None:
                os.environ.pop(ENVIRONMENT, None)
            else:
                os.environ[ENVIRONMENT] = previous


class Background:
    """``function(*args, **kwargs)`` running in a daemon thread (with the cache
    folder active in it, and BLAS/OpenMP limited to ``threads``, as the chapter
    kernels beside it are); :meth:`result` waits for it and returns its value or
    raises its exception. A report stopped meanwhile abandons the thread."""

    def __init__(
        self,
        function: Callable[..., Any],
        *args: Any,
        cache_folder: Path | None,
        threads: int | None = None,
        **kwargs: Any,
    ):
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                with use_cache(cache_folder), _threadpoolctl.threadpool_limits(threads):
                    self._value = function(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
                self._error = exc

        self._thread = threading.Thread(target=run, name="cxresearch-index-page", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        """The function's value, once it has returned (waiting in short steps so
        that an interrupt reaches the main thread at once)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.2)
        if self._error is not None:
            raise self._error
        return self._value
