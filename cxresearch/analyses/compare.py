"""The brand against its competitors: differences with intervals, tests, leaders, positions.

For every KPI and every touchpoint's experience, :func:`compare` gives each
brand's value with its interval, and for each competitor the difference
brand - competitor with its interval (95% by default) and a test suited to
the statistic (Welch's t for means, the two-proportion z test with
Newcombe's interval for shares, a z test for NPS; see
:mod:`cxresearch.analyses.measures`).

The table is one family of comparisons: the verdicts are corrected for all of
them (Bonferroni by default; Holm or Benjamini-Hochberg selectable) and every
difference is shown with the interval that matches its verdict
(:func:`cxresearch.stats.correct_family`), so "significant" always means the
interval shown excludes zero. Because every competitor is in that family,
"trails the leader" (the rival with the best point estimate) is protected
against the luck of picking the best of several rivals. Weighted data use
Kish's effective n.
Competitors may come from the same survey (a brand column) or from a
benchmark file of aggregate means, standard deviations and bases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..errors import Problem, StudyError
from ..plots import comparison_heatmap, leader_dots
from ..results import Result
from ..stats import (
    CORRECTIONS,
    correct_family,
    family_note,
    level_label,
    t_interval,
    z_value,
)
from ..tables import Findings, format_difference, suppressed_note
from ._common import default_outcome, group_codes, require, survey_weights
from ._engine import dask_aware
from .drivers import drivers as estimate_drivers
from .measures import difference_test, measures, summarise

POSITIONS = ("advantage", "parity", "disadvantage")


@dataclass(frozen=True)
class Comparison(Result):
    """Result of :func:`compare`.

    ``values``: one row per measure and brand (value, low, high, n,
    below_min_base, leader). ``table``: one row per measure and competitor:
    the brand's and the competitor's values, ``difference`` (brand -
    competitor, in the measure's units) with ``low``/``high`` (the interval
    that matches the corrected verdict, at ``family_level``), ``raw_low``/``raw_high``
    (the interval of the comparison on its own), ``test``, ``p``, ``p_adjusted``,
    ``significant`` (``low > 0`` or ``high < 0``), and per measure the ``leader``
    and the brand's ``gap_to_leader``. Comparisons with a base below ``min_base``
    are suppressed and left out of the family. ``positions``: per touchpoint,
    advantage / parity / disadvantage, its importance and ``own`` (an
    advantage on a touchpoint that matters).
    """

    values: pd.DataFrame
    table: pd.DataFrame
    positions: pd.DataFrame
    brand: str
    brand_column: str
    correction: str
    min_base: int
    source: str
    confidence: float = 0.95
    family_size: int = 0
    family_level: float = 0.95

    def findings(self, top: int | None = None) -> Findings:
        """Where the brand leads, where it trails, and its own experiences
        (the first ``top`` lines; None: all)."""
        p = self.positions
        lines = []
        for row in p[p["position"] == "advantage"].itertuples():
            lines.append(
                f"Leads on {row.label}: {row.brand_value:.2f} (n={row.brand_n:,}) against "
                f"{row.best_rival_value:.2f} (n={row.best_rival_n:,}) for the best competitor "
                f"({row.best_rival}); {self._difference(row.measure, row.best_rival)}."
            )
        for row in p[p["position"] == "disadvantage"].itertuples():
            lines.append(
                f"Trails on {row.label}: {row.brand_value:.2f} (n={row.brand_n:,}) against "
                f"{row.leader_value:.2f} (n={row.leader_n:,}) for the leader ({row.leader}); "
                f"{self._difference(row.measure, row.leader)}."
            )
        own = list(p.loc[p["own"], "label"])
        if len(p) and p["importance"].isna().all():
            # no driver model: what "matters" is unknown, so say what leads, and that
            ahead = list(p.loc[p["position"] == "advantage", "label"])
            unknown = "the study has no touchpoint scores and outcome to relate"
            lines.append(
                "Ahead of every competitor on: "
                + ", ".join(ahead)
                + f". Which of these matters to customers is unknown: {unknown}."
                if ahead
                else "Not ahead of every competitor on any measure yet (which measures matter "
                f"to customers is unknown: {unknown})."
            )
        else:
            lines.append(
                "Own experiences (advantages on touchpoints that matter): " + ", ".join(own) + "."
                if own
                else "No own experience yet: no significant advantage on a touchpoint that matters."
            )
        return Findings(tuple(lines if top is None else lines[:top]))

    summary = findings  # the name of 0.1

    def _difference(self, measure: str, rival: str) -> str:
        row = self.table[(self.table["measure"] == measure) & (self.table["competitor"] == rival)]
        row = row.iloc[0]
        return (
            f"difference {format_difference(row['difference'], row['low'], row['high'], 2)}, "
            f"a {self._level} interval allowing for the {self.family_size} comparisons "
            "in the table"
        )

    @property
    def _level(self) -> str:
        return level_label(self.family_level)

    def plot(self, ax=None):
        """Heatmap of brand x touchpoint scores, marks where a competitor differs
        significantly from the brand."""
        return comparison_heatmap(self, ax=ax)

    def plot_leader(self, ax=None):
        """The brand against the leader on every touchpoint (dot plot)."""
        return leader_dots(self, ax=ax)

    def display(self) -> pd.DataFrame:
        v = self.values
        cells = [
            suppressed_note(n, self.min_base)
            if small
            else f"{value:.1f} [{low:.1f}, {high:.1f}] n={n:,}" + (" ▲" if leader else "")
            for value, low, high, n, small, leader in zip(
                v["value"],
                v["low"],
                v["high"],
                v["n"],
                v["below_min_base"],
                v["is_leader"],
                strict=True,
            )
        ]
        wide = v.assign(cell=cells).pivot_table(
            index="label", columns="brand", values="cell", aggfunc="first", sort=False
        )
        brands = [self.brand] + [b for b in wide.columns if b != self.brand]
        t = self.table
        small = (t["brand_n"] < self.min_base) | t["competitor_below_min_base"]
        diff = t.assign(
            text=[
                suppressed_note(min(n_own, n_rival), self.min_base)
                if tiny
                else format_difference(d, lo, hi, 2 if kind == "mean" else 1) + (" *" if s else "")
                for d, lo, hi, s, tiny, n_own, n_rival, kind in zip(
                    t["difference"],
                    t["low"],
                    t["high"],
                    t["significant"],
                    small,
                    t["brand_n"],
                    t["competitor_n"],
                    t["kind"],
                    strict=True,
                )
            ]
        ).pivot_table(
            index="label", columns="competitor", values="text", aggfunc="first", sort=False
        )
        diff.columns = [f"{self.brand} - {c}" for c in diff.columns]
        order = list(dict.fromkeys(v["label"]))
        return wide[brands].join(diff).reindex(order)

    def caption(self) -> str:
        family = family_note(
            self.correction,
            self.family_size,
            self.family_level,
            self.confidence,
            f"differences {self.brand} - competitor in this table",
        )
        return (
            f"Each brand's value [{self.interval}] and base; ▲ = market leader. {family} "
            f"Competitors from {self.source}."
        )


@memoised(parts=SURVEY_PARTS)
@dask_aware
def compare(
    study,
    *,
    brand: str | None = "auto",
    correction: str = "bonferroni",
    weighted: bool = True,
    drivers=None,
    confidence: float = 0.95,
) -> Comparison:
    """The brand against each competitor on every KPI and touchpoint.

    Parameters
    ----------
    study : Study
    brand : str
        The brand to compare: ``"auto"`` (default) is the codebook's ``brand``.
    correction : str
        ``"bonferroni"`` (default: simultaneous intervals), ``"holm"`` or ``"fdr_bh"``
        (Benjamini-Hochberg), across the table; the intervals shown follow it
        (:func:`cxresearch.stats.family_level`).
    weighted : bool
        Use survey weights (Kish effective n).
    drivers : Drivers, optional
        Importance for the "own experiences"; by default the drivers of the
        first outcome among nps, csat, loyalty (relative weights, no bootstrap).
    """
    brand = chosen_brand(study, brand)
    summaries = _summaries(study, brand, weighted, confidence)
    return comparison(
        study, summaries, brand, correction=correction, drivers=drivers, confidence=confidence
    )


def chosen_brand(study, brand) -> str:
    """The brand to compare (``"auto"``: the codebook's), after the checks
    :func:`compare` makes before any computation (both engines)."""
    brand = study.brand if brand in ("auto", None) else brand
    if brand is None:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                "the comparison with competitors needs a brand: set brand: in the codebook",
            )
        )
    require(study, "the comparison with competitors", "brands", "measures")
    return brand


def comparison(study, summaries, brand, *, correction, drivers, confidence) -> Comparison:
    """The :class:`Comparison` from the summaries per measure and brand
    (:func:`cxresearch.analyses.measures.summarise`, benchmark rows added)."""
    if brand not in set(summaries["brand"]):
        raise KeyError(f"brand {brand!r} is not in the study")
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    values = _mark_leaders(summaries, study.codebook.min_base)
    table, pairs = _differences(values, brand, confidence)
    table["raw_low"], table["raw_high"] = table["low"], table["high"]
    family = correct_family(
        table["p"].to_numpy(dtype=float),
        lambda level: _intervals_at(pairs, level),
        confidence=confidence,
        method=correction,
        include=~(table["brand_n"] < study.codebook.min_base)
        & ~table["competitor_below_min_base"].astype(bool),
    )
    table["low"], table["high"] = family.low, family.high
    table["p_adjusted"], table["significant"] = family.p_adjusted, family.significant
    table["family_level"] = family.level
    table = _with_leaders(table, values, brand)
    positions = _positions(study, values, table, brand, drivers)
    return Comparison(
        values=values,
        table=table,
        positions=positions,
        brand=brand,
        brand_column=study.codebook.brand_column or "brand",
        correction=correction,
        min_base=study.codebook.min_base,
        source="the benchmark file" if study.benchmark is not None else "the same survey",
        confidence=confidence,
        family_size=family.size,
        family_level=family.level,
    )


def _summaries(study, brand, weighted, confidence) -> pd.DataFrame:
    """Per measure and brand: value, interval, n, and what the tests need."""
    column = study.codebook.brand_column
    r = study.responses
    if column is None:
        codes, brands = np.zeros(len(r), dtype=np.intp), [brand]
    else:
        codes, keys = group_codes(r, [column])
        brands = list(keys[column])
    w = survey_weights(study, r, weighted)
    rows = []
    for m in measures(study):
        rows += summarise(m, codes, brands, w, confidence)
    return summary_frame(study, rows, brand, confidence)


def summary_frame(study, rows: list[dict], brand, confidence) -> pd.DataFrame:
    """The rows of :func:`~cxresearch.analyses.measures.summarise` as a frame,
    with the competitors of the benchmark file when the study has one."""
    frame = pd.DataFrame(rows)
    if study.benchmark is not None:
        frame = _add_benchmark(frame, study, brand, confidence)
    return frame


def _add_benchmark(frame, study, brand, confidence) -> pd.DataFrame:
    """Competitors' means from the benchmark file (the brand's own come from the data)."""
    rows = []
    labels = {tp.id: tp.label for tp in study.codebook.touchpoints}
    for b in study.benchmark.itertuples():
        if b.brand == brand:
            continue
        own = frame[(frame["measure"] == b.measure) & (frame["kind"] == "mean")]
        if own.empty:
            continue
        template = own.iloc[0].to_dict()
        variance = b.sd**2
        low, high = t_interval(b.mean, variance, b.n, confidence)
        rows.append(
            {
                **template,
                "label": labels.get(b.measure, template["label"]),
                "brand": b.brand,
                "value": b.mean,
                "low": float(low),
                "high": float(high),
                "n": int(b.n),
                "n_eff": float(b.n),
                "p_raw": b.mean,
                "variance": variance,
            }
        )
    own_rows = frame[frame["brand"] == brand]
    return pd.concat([own_rows, pd.DataFrame(rows)], ignore_index=True) if rows else own_rows


def _mark_leaders(values: pd.DataFrame, min_base: int) -> pd.DataFrame:
    values = values.copy()
    values["below_min_base"] = values["n"] < min_base
    values["is_leader"] = False
    for _, group in values[~values["below_min_base"]].groupby("measure", sort=False):
        lower = bool(group["lower_is_better"].iloc[0])
        best = group["value"].idxmin() if lower else group["value"].idxmax()
        values.loc[best, "is_leader"] = True
    return values


_DIFFERENCE_COLUMNS = (
    "measure", "label", "kind", "touchpoint", "stage", "lower_is_better", "brand_value",
    "brand_n", "competitor", "competitor_value", "competitor_n", "competitor_below_min_base",
    "difference", "low", "high", "test", "p",
)  # fmt: skip


def _differences(values: pd.DataFrame, brand: str, confidence: float):
    """One row per measure and competitor, and the (brand, competitor) summaries behind it."""
    rows, pairs = [], []
    z = z_value(confidence)
    for measure, group in values.groupby("measure", sort=False):
        own = group[group["brand"] == brand]
        if own.empty:
            continue
        a = own.iloc[0]
        for b in group[group["brand"] != brand].itertuples():
            difference, low, high, p, test = difference_test(a, b, z, confidence)
            pairs.append((a, b))
            rows.append(
                {
                    "measure": measure,
                    "label": a["label"],
                    "kind": a["kind"],
                    "touchpoint": a["touchpoint"],
                    "stage": a["stage"],
                    "lower_is_better": a["lower_is_better"],
                    "brand_value": a["value"],
                    "brand_n": a["n"],
                    "competitor": b.brand,
                    "competitor_value": b.value,
                    "competitor_n": b.n,
                    "competitor_below_min_base": b.below_min_base,
                    "difference": difference,
                    "low": low,
                    "high": high,
                    "test": test,
                    "p": p,
                }
            )
    return pd.DataFrame(rows, columns=list(_DIFFERENCE_COLUMNS)), pairs


def _intervals_at(pairs, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Every difference's interval at ``level`` (the family's level)."""
    z = z_value(level)
    bounds = [difference_test(a, b, z, level)[1:3] for a, b in pairs]
    if not bounds:
        return np.array([]), np.array([])
    low, high = zip(*bounds, strict=True)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _with_leaders(table: pd.DataFrame, values: pd.DataFrame, brand: str) -> pd.DataFrame:
    leaders = values[values["is_leader"]].set_index("measure")
    table = table.copy()
    table["leader"] = table["measure"].map(leaders["brand"])
    table["leader_value"] = table["measure"].map(leaders["value"])
    own = values[values["brand"] == brand].set_index("measure")["value"]
    table["gap_to_leader"] = table["measure"].map(own) - table["leader_value"]
    return table


_POSITION_COLUMNS = (
    "touchpoint",
    "measure",
    "label",
    "stage",
    "position",
    "brand_value",
    "brand_n",
    "best_rival",
    "best_rival_value",
    "best_rival_n",
    "leader",
    "leader_value",
    "leader_n",
    "importance",
    "own",
)


def _positions(study, values, table, brand, drivers) -> pd.DataFrame:
    """Per touchpoint measure: advantage (significantly better than every
    competitor with a base), disadvantage (significantly worse than the
    leader), otherwise parity. "Better" follows the measure's direction."""
    touch = table[table["touchpoint"].notna() & ~table["competitor_below_min_base"]]
    importance = _importance(study, drivers)
    rows = []
    for measure, group in touch.groupby("measure", sort=False):
        sign = -1 if group["lower_is_better"].iloc[0] else 1
        better = group["significant"] & (sign * group["difference"] > 0)
        leader = group["leader"].iloc[0]
        behind = group[
            (group["competitor"] == leader)
            & group["significant"]
            & (sign * group["difference"] < 0)
        ]
        position = "advantage" if better.all() else ("disadvantage" if len(behind) else "parity")
        best = group.loc[(sign * group["competitor_value"]).idxmax()]
        touchpoint = group["touchpoint"].iloc[0]
        rows.append(
            {
                "touchpoint": touchpoint,
                "measure": measure,
                "label": group["label"].iloc[0],
                "stage": group["stage"].iloc[0],
                "position": position,
                "brand_value": group["brand_value"].iloc[0],
                "brand_n": int(group["brand_n"].iloc[0]),
                "best_rival": best["competitor"],
                "best_rival_value": best["competitor_value"],
                "best_rival_n": int(best["competitor_n"]),
                "leader": leader,
                "leader_value": group["leader_value"].iloc[0],
                "leader_n": _leader_n(group, leader),
                "importance": importance.get(touchpoint, np.nan),
            }
        )
    positions = pd.DataFrame(rows, columns=_POSITION_COLUMNS[:-1])
    median = positions["importance"].median()
    positions["own"] = (positions["position"] == "advantage") & (positions["importance"] >= median)
    return positions


def _leader_n(group: pd.DataFrame, leader) -> int:
    """The leader's base: a competitor's, or the brand's own when the brand leads."""
    rows = group[group["competitor"] == leader]
    return int(rows["competitor_n"].iloc[0] if len(rows) else group["brand_n"].iloc[0])


def _importance(study, drivers) -> dict[str, float]:
    if drivers is None:
        outcome = default_outcome(study)
        if outcome is None or not study.codebook.touchpoints:
            return {}
        drivers = estimate_drivers(study, outcome=outcome, n_boot=0)
    return dict(zip(drivers.table["touchpoint"], drivers.table["share"], strict=True))
