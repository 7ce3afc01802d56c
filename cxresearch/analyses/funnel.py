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
    (1 - conversion) and ``median_seconds`` from the previous step.
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
    spec = study.codebook.events
    if spec is None or study.events is None or not spec.funnel:
        require(study, "the web funnel", "events")
        raise StudyError(
            Problem(str(study.codebook.path), "the web funnel needs funnel: steps under events:")
        )
    events = study.events
    steps = spec.funnel
    group_column = _group_column(events, by)
    n_before = len(events)
    events = events.drop_duplicates(
        subset=[c for c in (spec.session, spec.step, spec.time) if c is not None]
    )
    duplicates = n_before - len(events)
    sessions, session_ids = pd.factorize(events[spec.session], sort=False)
    step_codes = pd.Index(list(steps)).get_indexer(events[spec.step])  # -1: not a funnel step
    times = (
        events[spec.time].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        if spec.time is not None
        else np.arange(len(events), dtype=np.int64)
    )
    first = _first_times(sessions, step_codes, times, len(session_ids), len(steps))
    reached, out_of_order = _reached(first)
    groups, labels = _session_groups(events, group_column, sessions, len(session_ids))
    table = _table(first, reached, groups, labels, steps, group_column, confidence)
    abandonment = _abandonment(table, group_column)
    product = steps.index(product_step) if product_step else 0
    searches = np.bincount(
        sessions[(events[spec.step] == search_step).to_numpy()], minlength=len(session_ids)
    )
    findability = _findability(
        first[:, product] >= 0, searches, groups, labels, group_column, confidence
    )
    quality = {
        "events": n_before,
        "duplicate_events": duplicates,
        "sessions": len(session_ids),
        "out_of_order_sessions": int(out_of_order.sum()),
    }
    return Funnel(
        table,
        abandonment,
        findability,
        quality,
        tuple(steps),
        group_column,
        study.codebook.min_base,
        confidence,
    )


def _group_column(events: pd.DataFrame, by: str | None) -> str | None:
    if by is None:
        return None
    if by not in events.columns:
        raise KeyError(f"the events have no column {by!r} ({', '.join(events.columns)})")
    return by


def _first_times(sessions, step_codes, times, n_sessions, n_steps) -> np.ndarray:
    """First time of each funnel step in each session (-1: never), in int64 ns."""
    keep = step_codes >= 0
    flat = sessions[keep].astype(np.int64) * n_steps + step_codes[keep]
    first = np.full(n_sessions * n_steps, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, flat, times[keep])
    first[first == np.iinfo(np.int64).max] = -1
    return first.reshape(n_sessions, n_steps)


def _reached(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which steps each session reached in order, and which sessions logged a
    step before an earlier one."""
    present = first >= 0
    in_order = np.ones_like(present)
    in_order[:, 1:] = first[:, 1:] >= first[:, :-1]
    reached = np.logical_and.accumulate(present & in_order, axis=1)
    out_of_order = (present[:, 1:] & present[:, :-1] & ~in_order[:, 1:]).any(axis=1)
    return reached, out_of_order


def _session_groups(events, group_column, sessions, n_sessions):
    if group_column is None:
        return np.zeros(n_sessions, dtype=np.intp), ["all sessions"]
    first_row = np.full(n_sessions, -1)
    first_row[sessions[::-1]] = np.arange(len(sessions))[::-1]
    values = events[group_column].astype("string").fillna("(missing)").to_numpy()[first_row]
    codes, labels = pd.factorize(values, sort=True)
    return codes, list(labels)


def _table(first, reached, groups, labels, steps, group_column, confidence) -> pd.DataFrame:
    rows = []
    for g, label in enumerate(labels):
        inside = groups == g
        r, f = reached[inside], first[inside]
        counts = r.sum(axis=0)
        for i, step in enumerate(steps):
            nxt = counts[i + 1] if i + 1 < len(steps) else np.nan
            conversion = nxt / counts[i] if counts[i] and i + 1 < len(steps) else np.nan
            low, high = (
                wilson_interval(conversion, counts[i], confidence)
                if not np.isnan(conversion)
                else (np.nan, np.nan)
            )
            seconds = np.nan
            if i > 0 and counts[i]:
                both = r[:, i]
                seconds = float(np.median((f[both, i] - f[both, i - 1]) / 1e9))
            row = {
                "step": step,
                "sessions": int(counts[i]),
                "share_of_start": counts[i] / counts[0] if counts[0] else np.nan,
                "conversion": conversion,
                "low": float(low),
                "high": float(high),
                "drop": 1 - conversion,
                "median_seconds": seconds,
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


def _findability(found, searches, groups, labels, group_column, confidence) -> pd.DataFrame:
    rows = []
    for g, label in enumerate(labels):
        inside = groups == g
        n = int(inside.sum())
        share = found[inside].mean() if n else np.nan
        low, high = wilson_interval(share, n, confidence)
        row = {
            "sessions": n,
            "found_product": float(share),
            "low": float(low),
            "high": float(high),
            "searches_per_session": float(searches[inside].mean()) if n else np.nan,
        }
        if group_column is not None:
            row = {group_column: label, **row}
        rows.append(row)
    return pd.DataFrame(rows)
