"""The web funnel from the events file: reach, conversion, abandonment, timing, findability.

A session *reaches* funnel step i when it reached step i - 1 and its first
event of step i comes no earlier than its first event of step i - 1 (the
first step is reached by any event of it). Step-to-step conversion is the
share of sessions reaching step i that reach step i + 1, with a Wilson
interval; the *abandonment step* is the step with the largest drop (the
lowest conversion to the next step): "a cart left at the payment step".

Real trackers log the same event twice and steps out of order: exact
duplicate events (same session, step and time) are removed and counted;
sessions with a later step logged before an earlier one are counted, and
reach only as far as their steps are in order. Nothing is dropped silently.
Computed with numpy on integer codes: ten million events take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cache import memoised
from ..errors import Problem, StudyError
from ..plots import funnel_bars
from ..results import Result
from ..stats import wilson_interval
from ..tables import Findings, html_table, suppressed_note
from ._common import require
from ._engine import dask_aware


@dataclass(frozen=True)
class Funnel(Result):
    """Result of :func:`funnel`.

    ``table``: per group and step: ``sessions`` reaching it, ``share_of_start``,
    ``conversion`` to the next step with ``low``/``high`` (Wilson), ``drop``
    (1 - conversion) and ``median_seconds`` from the previous step (NaN when the
    events have no time column: their order is then the file's, with no seconds).
    ``abandonment``: per group, the step with the largest drop.
    ``findability``: per group, sessions, the share reaching a product page
    (with its interval) and searches per session. ``quality``: what was
    removed or found out of order, with counts.
    """

    table: pd.DataFrame
    abandonment: pd.DataFrame
    findability: pd.DataFrame
    quality: dict
    steps: tuple[str, ...]
    by: str | None
    min_base: int = 30
    confidence: float = 0.95

    def findings(self, top: int = 3) -> Findings:
        """Where each group loses most sessions, and how many find a product."""
        lines = []
        for a in self.abandonment.head(top).to_dict("records"):
            group = f"{a[self.by]}: " if self.by else ""
            if a["sessions"] < self.min_base:
                lines.append(f"{group}{suppressed_note(a['sessions'], self.min_base)}.")
                continue
            lines.append(
                f"{group}most sessions are lost after '{a['step']}': {a['drop']:.0%} of the "
                f"{a['sessions']:,} sessions that reach it do not continue (conversion "
                f"{a['conversion']:.0%} [{a['low']:.0%}, {a['high']:.0%}])."
            )
        return Findings(tuple(lines), "No funnel step loses sessions.")

    def plot(self, ax=None):
        """Sessions reaching each step, in order."""
        return funnel_bars(self, ax=ax)

    def display(self) -> pd.DataFrame:
        t = self.table
        index = [c for c in ([self.by] if self.by else [])] + ["step"]
        shown = t.set_index(index)[["sessions"]].copy()
        shown["sessions"] = t["sessions"].map("{:,}".format).to_numpy()
        shown["share of start"] = t["share_of_start"].map("{:.1%}".format).to_numpy()
        shown[f"conversion to next [{self.interval}]"] = [
            suppressed_note(n, self.min_base)
            if n < self.min_base
            else ("-" if np.isnan(c) else f"{c:.1%} [{lo:.1%}, {hi:.1%}]")
            for c, lo, hi, n in zip(
                t["conversion"], t["low"], t["high"], t["sessions"], strict=True
            )
        ]
        shown["median seconds from previous step"] = (
            t["median_seconds"].map(lambda s: "-" if np.isnan(s) else f"{s:,.0f}").to_numpy()
        )
        return shown

    def caption(self) -> str:
        q = self.quality
        return (
            f"{q['sessions']:,} sessions; {q['duplicate_events']:,} duplicate events removed; "
            f"{q['out_of_order_sessions']:,} sessions with steps out of order (counted only as far "
            f"as their steps are in order). Conversion intervals: Wilson {self.interval}s."
        )

    def _repr_html_(self) -> str:
        return html_table(self.display(), self.min_base, self.caption())


@memoised
@dask_aware
def funnel(
    study,
    *,
    by: str | None = None,
    product_step: str | None = None,
    search_step: str = "search",
    confidence: float = 0.95,
) -> Funnel:
    """Step reach, conversion and abandonment of the web funnel.

    Parameters
    ----------
    study : Study
        Needs ``events:`` in the codebook, with its ``funnel`` steps in order.
    by : str, optional
        A column of the events (e.g. ``"device"``) to split the funnel by.
    product_step : str, optional
        The step that counts as "found a product" (default: the first funnel step).
    search_step : str
        The event name of a search, for searches per session.
    """
    spec = funnel_spec(study)
    group_column = group_column_of(study.events, by)
    product = spec.funnel.index(product_step) if product_step else 0
    s = Sessions.of(study.events, spec, group_column, search_step)
    tally = s.tally(product)
    seconds = np.full(tally.reached.shape, np.nan)
    if spec.time is not None:  # without times, no seconds between steps
        for g, i in zip(*np.nonzero(tally.reached), strict=True):
            if i > 0:
                seconds[g, i] = float(np.median(s.gaps(g, i)))
    return funnel_result(study, tally, seconds, s.labels, group_column, s.quality(), confidence)


@dataclass(frozen=True)
class Sessions:
    """The sessions of a frame of events (every event of each session in it, in
    the file's order): ``first`` time of each funnel step per session (-1:
    never), the steps ``reached`` in order, the sessions ``out_of_order``, each
    session's group (the ``labels``' index, from its first event) and its
    ``searches``; ``events`` before and ``duplicates`` removed."""

    first: np.ndarray
    reached: np.ndarray
    out_of_order: np.ndarray
    groups: np.ndarray
    labels: list
    searches: np.ndarray
    events: int
    duplicates: int

    @classmethod
    def of(cls, events: pd.DataFrame, spec, group_column, search_step, order=None) -> Sessions:
        """Read the sessions; without a time column the events' order is their row
        order (or column ``order``: positions in the whole file)."""
        n_before = len(events)
        events = events.drop_duplicates(
            subset=[c for c in (spec.session, spec.step, spec.time) if c is not None]
        )
        sessions, session_ids = pd.factorize(events[spec.session], sort=False)
        steps = spec.funnel
        step_codes = pd.Index(list(steps)).get_indexer(events[spec.step])  # -1: not a step
        if spec.time is not None:
            times = events[spec.time].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        elif order is not None:
            times = events[order].to_numpy(dtype=np.int64)
        else:
            times = np.arange(len(events), dtype=np.int64)
        first = first_times(sessions, step_codes, times, len(session_ids), len(steps))
        reached, out_of_order = reached_steps(first)
        groups, labels = session_groups(events, group_column, sessions, len(session_ids))
        searches = np.bincount(
            sessions[(events[spec.step] == search_step).to_numpy()], minlength=len(session_ids)
        )
        return cls(
            first,
            reached,
            out_of_order,
            groups,
            labels,
            searches,
            n_before,
            n_before - len(events),
        )

    def tally(self, product: int) -> SessionTally:
        return session_tally(
            self.first, self.reached, self.groups, len(self.labels), product, self.searches
        )

    def gaps(self, g: int, i: int) -> np.ndarray:
        """Seconds from step i - 1 to step i of the sessions of group g reaching step i."""
        both = (self.groups == g) & self.reached[:, i]
        return (self.first[both, i] - self.first[both, i - 1]) / 1e9

    def quality(self) -> dict:
        return {
            "events": self.events,
            "duplicate_events": self.duplicates,
            "sessions": len(self.groups),
            "out_of_order_sessions": int(self.out_of_order.sum()),
        }


@dataclass(frozen=True)
class SessionTally:
    """Sums over sessions, per group (rows) and funnel step (columns): sessions
    ``reached`` each step; per group: ``sessions``, those that ``found`` the
    product step and their ``searches``. Tallies of disjoint sets of sessions add up."""

    reached: np.ndarray
    sessions: np.ndarray
    found: np.ndarray
    searches: np.ndarray

    def __add__(self, other: SessionTally) -> SessionTally:
        return SessionTally(
            self.reached + other.reached,
            self.sessions + other.sessions,
            self.found + other.found,
            self.searches + other.searches,
        )


def session_tally(first, reached, groups, k: int, product: int, searches) -> SessionTally:
    """The :class:`SessionTally` of sessions in groups ``0..k-1``."""
    counts = np.zeros((k, reached.shape[1]), dtype=np.int64)
    for i in range(reached.shape[1]):
        counts[:, i] = np.bincount(groups, reached[:, i], minlength=k)
    return SessionTally(
        counts,
        np.bincount(groups, minlength=k).astype(np.int64),
        np.bincount(groups, first[:, product] >= 0, minlength=k).astype(np.int64),
        np.bincount(groups, searches, minlength=k).astype(np.int64),
    )


def funnel_result(
    study, tally: SessionTally, seconds, labels, group_column, quality, confidence
) -> Funnel:
    """The :class:`Funnel` from the sessions' tallies and the median seconds between
    steps (groups x steps); shared by the in-memory and the Dask engine."""
    steps = study.codebook.events.funnel
    table = _table(tally.reached, seconds, labels, steps, group_column, confidence)
    findability = _findability(tally, labels, group_column, confidence)
    return Funnel(
        table,
        _abandonment(table, group_column),
        findability,
        quality,
        tuple(steps),
        group_column,
        study.codebook.min_base,
        confidence,
    )


def funnel_spec(study):
    """The codebook's ``events:`` entry, with its funnel steps; a
    :class:`StudyError` in words when the study has no events or no steps."""
    spec = study.codebook.events
    if spec is None or study.events is None or not spec.funnel:
        require(study, "the web funnel", "events")
        raise StudyError(
            Problem(str(study.codebook.path), "the web funnel needs funnel: steps under events:")
        )
    return spec


def group_column_of(events: pd.DataFrame, by: str | None) -> str | None:
    if by is None:
        return None
    if by not in events.columns:
        raise KeyError(f"the events have no column {by!r} ({', '.join(events.columns)})")
    return by


def first_times(sessions, step_codes, times, n_sessions, n_steps) -> np.ndarray:
    """First time of each funnel step in each session (-1: never), in int64 ns."""
    keep = step_codes >= 0
    flat = sessions[keep].astype(np.int64) * n_steps + step_codes[keep]
    first = np.full(n_sessions * n_steps, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, flat, times[keep])
    first[first == np.iinfo(np.int64).max] = -1
    return first.reshape(n_sessions, n_steps)


def reached_steps(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which steps each session reached in order, and which sessions logged a
    step before an earlier one."""
    present = first >= 0
    in_order = np.ones_like(present)
    in_order[:, 1:] = first[:, 1:] >= first[:, :-1]
    reached = np.logical_and.accumulate(present & in_order, axis=1)
    out_of_order = (present[:, 1:] & present[:, :-1] & ~in_order[:, 1:]).any(axis=1)
    return reached, out_of_order


def session_groups(events, group_column, sessions, n_sessions):
    """Each session's group code (from its first event) and the groups' labels, sorted."""
    if group_column is None:
        return np.zeros(n_sessions, dtype=np.intp), ["all sessions"]
    first_row = np.full(n_sessions, -1)
    first_row[sessions[::-1]] = np.arange(len(sessions))[::-1]
    first_values = events[group_column].iloc[first_row]  # each session's first event's
    values = first_values.astype("string").fillna("(missing)").to_numpy()
    codes, labels = pd.factorize(values, sort=True)
    return codes, list(labels)


def _table(counts, seconds, labels, steps, group_column, confidence) -> pd.DataFrame:
    rows = []
    for g, label in enumerate(labels):
        for i, step in enumerate(steps):
            n = counts[g, i]
            nxt = counts[g, i + 1] if i + 1 < len(steps) else np.nan
            conversion = nxt / n if n and i + 1 < len(steps) else np.nan
            low, high = (
                wilson_interval(conversion, n, confidence)
                if not np.isnan(conversion)
                else (np.nan, np.nan)
            )
            row = {
                "step": step,
                "sessions": int(n),
                "share_of_start": n / counts[g, 0] if counts[g, 0] else np.nan,
                "conversion": conversion,
                "low": float(low),
                "high": float(high),
                "drop": 1 - conversion,
                "median_seconds": seconds[g, i],
            }
            if group_column is not None:
                row = {group_column: label, **row}
            rows.append(row)
    return pd.DataFrame(rows)


def _abandonment(table: pd.DataFrame, group_column) -> pd.DataFrame:
    keys = [group_column] if group_column else []
    steps = table.dropna(subset=["conversion"])
    if not keys:
        return steps.loc[[steps["drop"].idxmax()]].reset_index(drop=True)
    return steps.loc[steps.groupby(keys)["drop"].idxmax()].reset_index(drop=True)


def _findability(tally: SessionTally, labels, group_column, confidence) -> pd.DataFrame:
    rows = []
    for g, label in enumerate(labels):
        n = int(tally.sessions[g])
        share = tally.found[g] / n if n else np.nan
        low, high = wilson_interval(share, n, confidence)
        row = {
            "sessions": n,
            "found_product": float(share),
            "low": float(low),
            "high": float(high),
            "searches_per_session": float(tally.searches[g] / n) if n else np.nan,
        }
        if group_column is not None:
            row = {group_column: label, **row}
        rows.append(row)
    return pd.DataFrame(rows)
