"""One analysis, two engines: pandas in memory, or Dask for data past memory.

Every public analysis takes a study first. A study loaded with
``engine="dask"`` (:class:`~cxresearch.data.dask_study.DaskStudy`) holds its
responses as a lazy Dask data frame; an analysis that can be computed from
per-partition sums has a Dask version, in :mod:`cxresearch.analyses.on_dask`,
registered here under the analysis's name with :func:`dask_version`. The
in-memory function is wrapped with :func:`dask_aware`, so ``cx.gaps(study)``
runs the Dask version for a Dask study, with the same arguments, and returns
the same result object. An analysis without a Dask version says so in words
(:func:`run_on_dask`) instead of failing deep inside pandas.

The registry avoids an import cycle: the Dask versions build their results
with the in-memory modules' own table builders, so they import those modules,
and the in-memory modules cannot import them back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import Problem, StudyError

F = TypeVar("F", bound=Callable[..., Any])
DASK = "dask"
_ON_DASK: dict[str, Callable[..., Any]] = {}


def on_dask(study) -> bool:
    """Whether ``study`` is a Dask study (its responses a lazy Dask frame)."""
    return getattr(study, "engine", "pandas") == DASK


def dask_version(name: str) -> Callable[[F], F]:
    """Register the decorated function as the Dask version of analysis ``name``.

    It takes the same arguments as the in-memory analysis and returns the same
    result type.
    """

    def register(function: F) -> F:
        _ON_DASK[name] = function
        return function

    return register


def available_on_dask() -> tuple[str, ...]:
    """The analyses with a Dask version, sorted."""
    return tuple(sorted(_ON_DASK))


def run_on_dask(name: str, study, *args, **kwargs):
    """Run the Dask version of analysis ``name``; a :class:`StudyError` in
    words when it has none."""
    version = _ON_DASK.get(name)
    if version is None:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                f"cx.{name} needs the responses in memory, and study {study.name!r} "
                f"is read with the Dask engine. On Dask: "
                f"{', '.join('cx.' + n for n in available_on_dask()) or 'nothing yet'}. "
                "Load the study with engine='pandas' (or a sample of it) for this analysis.",
            )
        )
    return version(study, *args, **kwargs)


def dask_aware(function: F) -> F:
    """Wrap an in-memory analysis so that a Dask study runs its Dask version
    (registered under the function's name), with the same arguments."""

    @functools.wraps(function)
    def wrapper(study, *args, **kwargs):
        if on_dask(study):
            return run_on_dask(function.__name__, study, *args, **kwargs)
        return function(study, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
