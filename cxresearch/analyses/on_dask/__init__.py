"""The Dask versions of the analyses that are sums at heart.

Each module computes one analysis of a :class:`~cxresearch.data.dask_study.DaskStudy`
from per-partition sufficient statistics and returns the very result object of
the in-memory analysis (built by that module's own table builder), registered
with :func:`cxresearch.analyses._engine.dask_version` so that the public
function (``cx.kpis``) runs it for a Dask study. Importing this package
registers them; Dask itself is imported on first use.
"""

from . import (
    banner,  # noqa: F401 (registers banner_dask)
    compare,  # noqa: F401 (registers compare_dask)
    drivers,  # noqa: F401 (registers drivers_dask)
    funnel,  # noqa: F401 (registers funnel_dask)
    gaps,  # noqa: F401 (registers gaps_dask)
    kpis,
    operations,  # noqa: F401 (registers operations_dask)
    segments,  # noqa: F401 (registers segment_dask)
    trends,  # noqa: F401 (registers trends_dask)
)

__all__ = ["kpis"]
