"""Operational measures of a Dask study, with exact quantiles in bounded memory.

Counts and shares over target are sums. A quantile is an order statistic (or
two, interpolated), and so are the bounds of its distribution-free interval
(:func:`cxresearch.stats.quantile_interval`): the sample q-quantile of ``n``
values is ``np.quantile``'s linear interpolation between the
``floor((n - 1) q)``-th and the next smallest value (Hyndman & Fan 1996,
definition 7), its interval runs from the ``l``-th to the ``u``-th smallest
value, ``l`` and ``u`` binomial(n, q) quantiles (Conover 1999, section 3.2).
So the whole table needs, per measure and group, at most eight values of
known rank, found exactly without sorting the column:

**Radix selection** (:class:`OrderStatistics`). Each value is mapped to a
64-bit key that sorts as the floats do (the IEEE bits, sign-flipped). Pass 1
asks every partition, per measure and group, how many keys share each value
of their top 16 bits (with the smallest and the largest key of each such
bin); a partition holding at most :data:`EXACT_DISTINCT` distinct values
sends them with their counts instead. Adding these up, the bin holding each
wanted rank is known; the next pass asks only about that bin, 16 bits
further down. A rank is found when its bin holds one distinct value (its
smallest and largest keys agree) or the counts are exact. At most four
passes after the first (64 bits); usually one or two, as values with few
decimals are exact at once. What a partition sends is a few kilobytes per
measure and group whatever its size, and the partitions' answers are added up
in a tree (fan-in :data:`FAN_IN`), so no process holds a column.

The result is the very :class:`~cxresearch.analyses.operations.Operations` of
:func:`cxresearch.operations`, equal to it on the same data: quantiles and
their bounds to the bit, shares to the rounding of a division.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from .._common import group_codes
from .._engine import dask_version
from ..operations import Operations, WaitSummary, operations_record, operations_result

dask = LazyModule("dask")
_st = LazyModule("scipy.stats")

BITS = 16
"""Bits of the key resolved per pass (a histogram of at most 65,536 bins)."""
EXACT_DISTINCT = 4096
"""A partition with at most this many distinct values in a bin sends them all."""
FAN_IN = 8
"""Partitions' answers added up per task of the reduction tree."""
_SIGN = np.uint64(1 << 63)
_ALL = np.uint64((1 << 64) - 1)
QUANTILES = (0.5, 0.9)


# --- keys: floats as sortable 64-bit integers ----------------------------------------


def float_keys(values: np.ndarray) -> np.ndarray:
    """The values (no NaN) as uint64 keys in the order of the floats (-0.0 as 0.0)."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    return np.where(bits & _SIGN, bits ^ _ALL, bits | _SIGN)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The floats of :func:`float_keys`' keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    return np.where(keys & _SIGN, keys ^ _SIGN, keys ^ _ALL).view(np.float64)


# --- one request: how the keys of one value set fall into one bin's sub-bins ----------


@dataclass(frozen=True)
class Request:
    """Keys of value set ``what`` whose top ``depth`` bits are ``prefix``."""

    what: Hashable
    depth: int
    prefix: int

    def within(self, keys: np.ndarray) -> np.ndarray:
        """The sorted ``keys`` inside this request's bin."""
        if self.depth == 0:
            return keys
        shift = 64 - self.depth
        low = np.searchsorted(keys, np.uint64(self.prefix << shift), "left")
        top = (self.prefix + 1) << shift
        high = len(keys) if top >> 64 else np.searchsorted(keys, np.uint64(top), "left")
        return keys[low:high]

    def bins(self, keys: np.ndarray) -> np.ndarray:
        """The next :data:`BITS` bits of keys inside this request's bin."""
        return (keys >> np.uint64(64 - self.depth - BITS)) & np.uint64((1 << BITS) - 1)


@dataclass(frozen=True)
class Tally:
    """Sorted counts of keys in a request's bin: per distinct key (``exact``) or
    per sub-bin (``ids`` the next 16 bits), each with its smallest and largest key."""

    exact: bool
    ids: np.ndarray
    counts: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray, request: Request) -> Tally:
        """The tally of one partition's sorted keys."""
        inside = request.within(keys)
        starts = _run_starts(inside)
        if len(starts) <= EXACT_DISTINCT:
            ids = inside[starts]
            return cls(True, ids, np.diff(np.append(starts, len(inside))), ids, ids)
        bins = request.bins(inside)
        starts = _run_starts(bins)
        ends = np.append(starts[1:], len(inside))
        return cls(False, bins[starts], ends - starts, inside[starts], inside[ends - 1])

    def binned(self, request: Request) -> Tally:
        """The same keys counted per sub-bin."""
        if not self.exact:
            return self
        if not len(self.ids):
            return Tally(False, self.ids, self.counts, self.low, self.high)
        bins = request.bins(self.ids)
        starts = _run_starts(bins)
        ends = np.append(starts[1:], len(bins))
        counts = np.add.reduceat(self.counts, starts)
        return Tally(False, bins[starts], counts, self.ids[starts], self.ids[ends - 1])

    def merged(self, other: Tally, request: Request) -> Tally:
        """Two partitions' tallies added up (exact while the distinct keys are few)."""
        if self.exact and other.exact:
            ids, where = np.unique(np.concatenate([self.ids, other.ids]), return_inverse=True)
            if len(ids) <= EXACT_DISTINCT:
                counts = np.bincount(where, np.concatenate([self.counts, other.counts]))
                return Tally(True, ids, counts.astype(np.int64), ids, ids)
        a, b = self.binned(request), other.binned(request)
        ids, where = np.unique(np.concatenate([a.ids, b.ids]), return_inverse=True)
        counts = np.bincount(where, np.concatenate([a.counts, b.counts]), len(ids))
        low = np.full(len(ids), _ALL)
        high = np.zeros(len(ids), dtype=np.uint64)
        np.minimum.at(low, where, np.concatenate([a.low, b.low]))
        np.maximum.at(high, where, np.concatenate([a.high, b.high]))
        return Tally(False, ids, counts.astype(np.int64), low, high)


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    if not len(sorted_values):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])


def answer(value_sets: dict[Hashable, np.ndarray], requests: Iterable[Request]) -> dict:
    """One partition's tallies for ``requests`` (its value sets' sorted keys)."""
    empty = np.zeros(0, dtype=np.uint64)
    return {r: Tally.of(value_sets.get(r.what, empty), r) for r in requests}


def merge_answers(a: dict, b: dict) -> dict:
    """Two partitions' answers added up, request by request."""
    out = dict(a)
    for request, tally in b.items():
        out[request] = tally if request not in out else out[request].merged(tally, request)
    return out


def tree(parts: list, merge: Callable):
    """The delayed reduction of ``parts`` with ``merge``, :data:`FAN_IN` at a time."""
    parts = list(parts)
    while len(parts) > 1:
        parts = [
            dask.delayed(_merge_all)(parts[i : i + FAN_IN], merge)
            for i in range(0, len(parts), FAN_IN)
        ]
    return parts[0]


def _merge_all(parts: list, merge: Callable):
    return functools.reduce(merge, parts)


# --- the selection of ranks -----------------------------------------------------------


@dataclass
class OrderStatistics:
    """Values of given ranks (0 = the smallest) in value sets spread over partitions.

    ``wanted``: value set -> its ranks. :meth:`requests` are what the next pass
    asks every partition; :meth:`feed` takes the summed tallies back."""

    wanted: dict[Hashable, Iterable[int]]
    found: dict[Hashable, dict[int, float]] = field(default_factory=dict)
    pending: dict[tuple, Request] = field(default_factory=dict)  # (what, rank) -> request
    offset: dict[tuple, int] = field(default_factory=dict)  # rank within the request's bin

    def __post_init__(self):
        for what, ranks in self.wanted.items():
            self.found[what] = {}
            for rank in ranks:
                self.pending[what, rank] = Request(what, 0, 0)
                self.offset[what, rank] = rank

    @property
    def done(self) -> bool:
        return not self.pending

    def requests(self) -> list[Request]:
        return list(dict.fromkeys(self.pending.values()))

    def feed(self, tallies: dict[Request, Tally]) -> None:
        for (what, rank), request in list(self.pending.items()):
            tally = tallies[request]
            within = self.offset[what, rank]
            ends = np.cumsum(tally.counts)
            i = int(np.searchsorted(ends, within, "right"))
            if i >= len(ends):
                raise ValueError(f"rank {rank} of {what!r}: the partitions hold fewer values")
            if tally.exact or tally.low[i] == tally.high[i]:
                self.found[what][rank] = float(key_values(tally.low[i : i + 1])[0])
                del self.pending[what, rank], self.offset[what, rank]
                continue
            before = int(ends[i - 1]) if i else 0
            prefix = (request.prefix << BITS) | int(tally.ids[i])
            self.pending[what, rank] = Request(what, request.depth + BITS, prefix)
            self.offset[what, rank] = within - before


def select(
    selection: OrderStatistics, first: dict[Request, Tally] | None, run_pass: Callable
) -> OrderStatistics:
    """Feed ``selection`` the first pass's tallies (when it asked the depth-0
    requests), then run passes (``run_pass(requests) -> tallies``) until done."""
    if first is not None and not selection.done:
        selection.feed(first)
    while not selection.done:
        selection.feed(run_pass(selection.requests()))
    return selection


# --- quantiles from order statistics ---------------------------------------------------


@dataclass(frozen=True)
class QuantileRanks:
    """The order statistics :func:`cxresearch.stats.quantile_interval` reads for
    the q-quantile of ``n`` values (0-based ranks; None: no such bound)."""

    n: int
    q: float
    previous: int
    gamma: float
    lower: int | None
    upper: int | None

    @classmethod
    def of(cls, n: int, q: float, confidence: float) -> QuantileRanks:
        virtual = (n - 1) * np.float64(q)  # np.quantile's "linear" virtual index
        previous = n - 1 if virtual >= n - 1 else int(np.floor(virtual))
        alpha = 1 - confidence
        lower = int(_st.binom.ppf(alpha / 2, n, q))
        upper = int(_st.binom.ppf(1 - alpha / 2, n, q)) + 1
        return cls(
            n,
            q,
            previous,
            float(virtual - previous),
            lower - 1 if lower >= 1 else None,
            upper - 1 if upper <= n else None,
        )

    @property
    def ranks(self) -> set[int]:
        wanted = {self.previous, min(self.previous + 1, self.n - 1)}
        return wanted | {r for r in (self.lower, self.upper) if r is not None}

    def interval(self, value_of: dict[int, float]) -> tuple[float, float, float]:
        """(quantile, low, high) as :func:`~cxresearch.stats.quantile_interval` gives them."""
        a = np.float64(value_of[self.previous])
        b = np.float64(value_of[min(self.previous + 1, self.n - 1)])
        t = np.float64(self.gamma)
        diff = b - a  # numpy's _lerp, to the bit
        value = b - diff * (1 - t) if t >= 0.5 else a + diff * t
        low = value_of[self.lower] if self.lower is not None else -np.inf
        high = value_of[self.upper] if self.upper is not None else np.inf
        return float(value), float(low), float(high)


# --- the operations table ---------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What a partition needs to give its share of the operations table."""

    brand_column: str | None
    brand: str | None
    group: str | None
    columns: tuple[str, ...]
    targets: tuple[float | None, ...]


@dataclass
class _Part:
    """One partition's (or several partitions') share: the groups met (the group
    column's own values, one row each), per measure and group label the values
    and those over target, and the tallies of the first pass."""

    groups: pd.DataFrame
    n: dict
    over: dict
    tallies: dict


def _brand_rows(frame: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    if plan.brand_column is None or plan.brand is None:
        return frame
    return frame[frame[plan.brand_column] == plan.brand]


def _value_sets(rows: pd.DataFrame, plan: _Plan) -> tuple[pd.DataFrame, dict, dict, dict]:
    """Group rows (one per label), and per (measure, label): sorted keys, n, over target."""
    codes, keys = group_codes(rows, [plan.group] if plan.group else [])
    labels = list(keys[plan.group]) if plan.group else [""]
    if plan.group:
        first = np.unique(codes, return_index=True)[1]
        groups = rows[[plan.group]].iloc[first].reset_index(drop=True)
        groups["label"] = labels
    else:
        groups = pd.DataFrame({"label": labels})
    sets, n, over = {}, {}, {}
    for m, (column, target) in enumerate(zip(plan.columns, plan.targets, strict=True)):
        values = rows[column].to_numpy(dtype=float)
        for g, label in enumerate(labels):
            x = values[codes == g]
            x = x[~np.isnan(x)]
            sets[m, label] = np.sort(float_keys(x))
            n[m, label] = len(x)
            over[m, label] = 0 if target is None else int(np.count_nonzero(x > target))
    return groups, sets, n, over


def _first_pass(frame: pd.DataFrame, plan: _Plan) -> _Part:
    groups, sets, n, over = _value_sets(_brand_rows(frame, plan), plan)
    return _Part(groups, n, over, answer(sets, [Request(what, 0, 0) for what in sets]))


def _later_pass(frame: pd.DataFrame, plan: _Plan, requests: list[Request]) -> dict:
    _, sets, _, _ = _value_sets(_brand_rows(frame, plan), plan)
    return answer(sets, requests)


def _merge_parts(a: _Part, b: _Part) -> _Part:
    groups = pd.concat([a.groups, b.groups], ignore_index=True).drop_duplicates("label")
    return _Part(
        groups.reset_index(drop=True),
        _added(a.n, b.n),
        _added(a.over, b.over),
        merge_answers(a.tallies, b.tallies),
    )


def _added(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + b.get(k, 0) for k in dict.fromkeys([*a, *b])}


@dask_version("operations")
def operations_dask(
    study, *, by: str | None = None, brand: str | None = "auto", confidence: float = 0.95
) -> Operations:
    """The operations table of a Dask study: the same
    :class:`~cxresearch.analyses.operations.Operations` as :func:`cxresearch.operations`.

    Parameters are those of :func:`cxresearch.operations`. Counts and shares over
    target are sums over partitions; medians, 90th percentiles and the bounds of
    their intervals are exact order statistics found by radix selection (see the
    module): one pass over the measures' columns, then at most four passes over
    the rows of the bins holding the wanted ranks, usually one or none.
    """
    column = study.codebook.brand_column
    chosen = study.brand if brand == "auto" else brand
    group = study.resolve_column(by) if by else None
    ops = list(study.codebook.operational)
    plan = _Plan(
        column if chosen is not None else None,
        chosen if column is not None else None,
        group,
        tuple(op.column for op in ops),
        tuple(op.target for op in ops),
    )
    needed = list(dict.fromkeys(c for c in (plan.brand_column, group, *plan.columns) if c))
    frame = study.frame(needed)  # only these columns read and checked
    parts = frame.to_delayed()
    (total,) = study.compute(
        tree([dask.delayed(_first_pass)(p, plan) for p in parts], _merge_parts)
    )
    keys = _group_keys(total.groups, group)
    labels = list(keys[group]) if group else [""]
    per_q = {
        (m, label, q): QuantileRanks.of(total.n[m, label], q, confidence)
        for m in range(len(ops))
        for label in labels
        if total.n.get((m, label), 0)
        for q in QUANTILES
    }
    wanted: dict = {}
    for (m, label, _), ranks in per_q.items():
        wanted.setdefault((m, label), set()).update(ranks.ranks)

    def run_pass(requests: list[Request]) -> dict:
        work = [dask.delayed(_later_pass)(p, plan, requests) for p in frame.to_delayed()]
        (tallies,) = study.compute(tree(work, merge_answers))
        return tallies

    found = select(OrderStatistics(wanted), total.tallies, run_pass).found
    records = []
    for m, op in enumerate(ops):
        for g, label in enumerate(labels):
            n = total.n.get((m, label), 0)
            nothing = (np.nan, np.nan, np.nan)
            summary = WaitSummary(
                n,
                total.over.get((m, label), 0),
                per_q[m, label, 0.5].interval(found[m, label]) if n else nothing,
                per_q[m, label, 0.9].interval(found[m, label]) if n else nothing,
            )
            records.append(operations_record(study, op, summary, group, keys, g, confidence))
    return operations_result(study, records, group, confidence)


def _group_keys(groups: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """The groups of the whole data in :func:`group_codes`' order."""
    if group is None:
        return pd.DataFrame(index=[0])
    _, keys = group_codes(groups, [group])
    return keys
