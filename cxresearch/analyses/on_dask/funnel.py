"""The web funnel of a Dask study: per-session work inside partitions, counts summed.

A session's reach, order and group need all its events together. So the
events are first put in partitions that each hold whole sessions:

- **no shuffle** when they already are: a first pass over the events (the
  same pass that computes the funnel) notes each partition's smallest and
  largest session id; when these ranges do not overlap (events stored sorted
  or grouped by session, the layout to choose for large event files), no
  session lies in two partitions and the pass's results stand;
- otherwise Dask's own **shuffle by session** (``events.shuffle(on=session)``),
  after numbering every event by its position in the whole file, so that each
  session's events are taken in the file's order (its first event gives its
  group; duplicates keep their first copy) exactly as in memory.

Each partition then reads its sessions with the in-memory code
(:class:`cxresearch.analyses.funnel.Sessions`) and sends, per group, the
sessions reaching each step, finding the product step and their searches
(:class:`~cxresearch.analyses.funnel.SessionTally`), the quality counts, and
for the median seconds between steps the tallies of the radix selection of
:mod:`cxresearch.analyses.on_dask.operations` (exact; the gaps of timestamps
in whole seconds are found in the first pass, others in up to four more
passes, each reading the sessions again: a new shuffle when there was one).
These add up in a tree; the in-memory module's own builder
(:func:`cxresearch.analyses.funnel.funnel_result`) makes the
:class:`~cxresearch.analyses.funnel.Funnel`, equal to the in-memory one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from .._engine import dask_version
from ..funnel import Funnel, Sessions, SessionTally, funnel_result, funnel_spec, group_column_of
from .operations import OrderStatistics, Request, answer, float_keys, merge_answers, select, tree

dask = LazyModule("dask")
dd = LazyModule("dask.dataframe")

POSITION = "__cx_position__"
"""The column numbering each event by its position in the whole events file."""


@dataclass(frozen=True)
class _Plan:
    spec: object
    group_column: str | None
    search_step: str
    product: int


@dataclass
class _Part:
    """Whole sessions' share: per group label, the :class:`SessionTally` row
    (reached per step, sessions, found, searches), the quality counts and the
    tallies of the gaps' keys."""

    rows: dict
    quality: dict
    tallies: dict


def _with_position(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    return frame.assign(**{POSITION: np.arange(offset, offset + len(frame), dtype=np.int64)})


def _sessions(frame: pd.DataFrame, plan: _Plan) -> tuple[Sessions, dict]:
    """The sessions of a partition of whole sessions, and the sorted keys of their
    gaps by (group label, step) (none without a time column)."""
    frame = frame.sort_values(POSITION, kind="stable")
    s = Sessions.of(frame, plan.spec, plan.group_column, plan.search_step, order=POSITION)
    sets = {}
    if plan.spec.time is not None:
        for g, label in enumerate(s.labels):
            for i in range(1, len(plan.spec.funnel)):
                gaps = s.gaps(g, i)
                if len(gaps):
                    sets[label, i] = np.sort(float_keys(gaps))
    return s, sets


def _first_pass(frame: pd.DataFrame, plan: _Plan) -> _Part:
    s, sets = _sessions(frame, plan)
    tally = s.tally(plan.product)
    rows = {
        label: np.concatenate(
            [tally.reached[g], [tally.sessions[g], tally.found[g], tally.searches[g]]]
        )
        for g, label in enumerate(s.labels)
        if tally.sessions[g]
    }
    quality = s.quality()
    return _Part(rows, quality, answer(sets, [Request(what, 0, 0) for what in sets]))


def _later_pass(frame: pd.DataFrame, plan: _Plan, requests: list[Request]) -> dict:
    return answer(_sessions(frame, plan)[1], requests)


def _merge(a: _Part, b: _Part) -> _Part:
    rows = dict(a.rows)
    for label, row in b.rows.items():
        rows[label] = rows[label] + row if label in rows else row
    quality = {k: a.quality[k] + b.quality[k] for k in a.quality}
    return _Part(rows, quality, merge_answers(a.tallies, b.tallies))


def _scan(frame: pd.DataFrame, session: str) -> tuple[int, object, object]:
    """A partition's events and its smallest and largest session id.

    Ids are read as text by the study, so they are ordered **shortlex**
    (shorter first, then alphabetically) and returned as ``(length, text)``
    keys: for whole numbers written without leading zeros that is their
    numeric order (``"999"`` before ``"1000"``; alphabetically the ranges
    1-999 and 1000-1999 would overlap), for ids of one width it is the
    alphabetical order. Any total order serves, as long as the smallest and
    largest are taken in the order the ranges are compared in; ids of another
    type (numbers) are compared as they are.
    """
    if not len(frame):
        return 0, None, None
    ids = frame[session]
    if not (pd.api.types.is_string_dtype(ids) or ids.dtype == object):
        low, high = (v.item() if hasattr(v, "item") else v for v in (ids.min(), ids.max()))
        return len(frame), low, high
    text = ids.astype(str)
    length = text.str.len()
    short, long = int(length.min()), int(length.max())
    return (
        len(frame),
        (short, str(text[length == short].min())),
        (long, str(text[length == long].max())),
    )


def _first_pass_in_place(frame: pd.DataFrame, plan: _Plan) -> tuple[tuple, _Part]:
    return _scan(frame, plan.spec.session), _first_pass(_with_position(frame, 0), plan)


def sessions_apart(scans: list[tuple]) -> bool:
    """Whether no session id can be in two partitions: the partitions' ranges of
    ids, in order, do not overlap."""
    ranges = sorted((low, high) for n, low, high in scans if n)
    return all(high < low for (_, high), (low, _) in zip(ranges, ranges[1:], strict=False))


def _shuffled(study, scans: list[tuple], session: str) -> list:
    """The events numbered by position in the whole file and shuffled by session:
    delayed partitions of whole sessions."""
    offsets = np.cumsum([0, *(n for n, _, _ in scans)])[:-1]
    parts = [
        dask.delayed(_with_position)(p, int(o))
        for p, o in zip(study.events.to_delayed(), offsets, strict=True)
    ]
    meta = _with_position(study.events._meta, 0)
    frame = dd.from_delayed(parts, meta=meta, verify_meta=False)
    return frame.shuffle(on=session).to_delayed()


def _median_ranks(n: int) -> tuple[int, ...]:
    """The ranks ``np.median`` averages: the middle one, or the middle two."""
    return (n // 2,) if n % 2 else (n // 2 - 1, n // 2)


@dask_version("funnel")
def funnel_dask(
    study,
    *,
    by: str | None = None,
    product_step: str | None = None,
    search_step: str = "search",
    confidence: float = 0.95,
) -> Funnel:
    """The web funnel of a Dask study: the same
    :class:`~cxresearch.analyses.funnel.Funnel` as :func:`cxresearch.funnel`.

    Parameters are those of :func:`cxresearch.funnel`. Sessions are read whole
    inside partitions, without a shuffle when the partitions already hold
    whole sessions (their ranges of session ids do not overlap), else after
    Dask's shuffle by session; what is combined is per group and step
    (see the module).
    """
    spec = funnel_spec(study)
    plan = _Plan(
        spec,
        group_column_of(study.events, by),
        search_step,
        spec.funnel.index(product_step) if product_step else 0,
    )
    in_place = study.events.to_delayed()
    firsts = [dask.delayed(_first_pass_in_place, nout=2)(p, plan) for p in in_place]
    scans, total = study.compute([f[0] for f in firsts], tree([f[1] for f in firsts], _merge))
    parts = in_place
    if not sessions_apart(scans):
        parts = _shuffled(study, scans, spec.session)
        (total,) = study.compute(tree([dask.delayed(_first_pass)(p, plan) for p in parts], _merge))
    else:
        parts = [dask.delayed(_with_position)(p, 0) for p in in_place]
    labels = sorted(total.rows) if plan.group_column else ["all sessions"]
    steps = len(spec.funnel)
    rows = np.array(
        [total.rows.get(label, np.zeros(steps + 3, dtype=np.int64)) for label in labels],
        dtype=np.int64,
    ).reshape(len(labels), steps + 3)
    tally = SessionTally(rows[:, :steps], rows[:, steps], rows[:, steps + 1], rows[:, steps + 2])
    seconds = _median_seconds(study, plan, tally, labels, total.tallies, parts)
    return funnel_result(
        study, tally, seconds, labels, plan.group_column, total.quality, confidence
    )


def _median_seconds(study, plan: _Plan, tally: SessionTally, labels, first, parts) -> np.ndarray:
    """Median seconds between steps per group and step, by exact selection."""
    seconds = np.full(tally.reached.shape, np.nan)
    if plan.spec.time is None:
        return seconds
    wanted = {
        (label, i): _median_ranks(int(tally.reached[g, i]))
        for g, label in enumerate(labels)
        for i in range(1, tally.reached.shape[1])
        if tally.reached[g, i]
    }

    def run_pass(requests: list[Request]) -> dict:
        work = [dask.delayed(_later_pass)(p, plan, requests) for p in parts]
        (tallies,) = study.compute(tree(work, merge_answers))
        return tallies

    found = select(OrderStatistics(wanted), first, run_pass).found
    for (label, i), ranks in wanted.items():
        middle = np.array([found[label, i][r] for r in ranks])
        seconds[labels.index(label), i] = float(np.median(middle))
    return seconds
