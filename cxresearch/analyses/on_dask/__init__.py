"""The Dask versions of the analyses that are sums at heart.

Each module computes one analysis of a :class:`~cxresearch.data.dask_study.DaskStudy`
from per-partition sufficient statistics and returns the very result object of
the in-memory analysis (built by that module's own table builder), registered
with :func:`cxresearch.analyses._engine.dask_version` so that the public
function (``cx.kpis``) runs it for a Dask study. Importing this package
registers them; Dask itself is imported on first use.
"""

from . import (
    banner,
    compare,
    drivers,
    funnel,
    gaps,
    kpis,
    operations,
    scorecard,
    segments,
    trends,
)

__all__ = [
    "banner",
    "compare",
    "drivers",
    "funnel",
    "gaps",
    "kpis",
    "operations",
    "scorecard",
    "segments",
    "trends",
]
