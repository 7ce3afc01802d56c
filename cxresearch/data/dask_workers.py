"""What cxresearch asks of the workers of a ``distributed`` cluster it connects to.

Arrow's default memory pool (mimalloc or jemalloc) keeps the memory of freed
buffers for reuse instead of returning it to the operating system. A worker
that has read Parquet parts of 500,000 rows x 60 columns then rests at about
0.5 GiB instead of 0.25 GiB and peaks 0.2-0.3 GiB higher on its next part
(measured with 1.5 GiB workers at 100 million respondents, where that
difference is what has the nanny kill a worker). :func:`prepare_workers` makes
each worker allocate Arrow memory with the system allocator, which returns it
(``distributed`` sets ``MALLOC_TRIM_THRESHOLD_`` for its workers): the same as
starting the workers with ``ARROW_DEFAULT_MEMORY_POOL=system``.
"""

from __future__ import annotations

from .._lazy import LazyModule

_plugins = LazyModule("distributed.diagnostics.plugin")  # loaded with the first client
_pyarrow = LazyModule("pyarrow")

PLUGIN_NAME = "cxresearch-arrow-system-memory"


def prepare_workers(client) -> None:
    """Have every worker of ``client``'s cluster, present and future, allocate
    Arrow memory with the system allocator (:func:`pyarrow.set_memory_pool`)."""
    client.register_plugin(_arrow_system_memory())


def use_system_memory(worker=None) -> None:
    """Allocate this process's Arrow memory with the system allocator."""
    _pyarrow.set_memory_pool(_pyarrow.system_memory_pool())


def arrow_pool() -> str:
    """The name of the process's Arrow memory pool (``system``, ``mimalloc``, ...)."""
    return _pyarrow.default_memory_pool().backend_name


def _arrow_system_memory():
    """The worker plugin (its class made here: ``distributed`` is imported only
    when a study connects to a cluster)."""

    class ArrowSystemMemory(_plugins.WorkerPlugin):
        name = PLUGIN_NAME
        idempotent = True

        def setup(self, worker) -> None:
            use_system_memory(worker)

    return ArrowSystemMemory()
