"""From the analyses to a CX strategy: ranked priorities, each a challenge, a goal,
the experience to deliver, staff behaviours, resources and a KPI to track.

A touchpoint becomes a priority when the data say so: its experience falls
significantly short of customers' expectations (paired gap), or the brand
trails the market leader there significantly, or the web funnel loses most
sessions at it, or (without expectations) it matters and performs below the
typical touchpoint.

The goal exceeds expectations rather than copying a competitor: the
codebook's ``target:`` for the touchpoint when it has one; else the brand's
customers' mean expectation plus a margin of a tenth of the scale's range,
capped at the scale's top; without expectations, the brand's typical
touchpoint plus the same margin. The leading competitor's level is context in
the challenge, never the goal.

Each priority carries a scenario, not a promise: if the driver model's link
were causal, what the brand's outcome would be with that one touchpoint
raised to its goal (predicted by the model and kept within the outcome's
bounds), with a bootstrap interval over the whole chain (model, experience
now, goal, reach). Priorities are ranked by that scenario and never added up:
they share customers, and the outcome is bounded. Texts come from the
touchpoint catalog (overridden by the codebook); numbers come from the
analyses; nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..cache import memoised
from ..data.codebook import BinaryItem
from ..plots import priority_bars
from ..results import Result
from ..tables import Findings
from ._common import default_outcome, require, segment_labels, segment_names, with_outcome
from ._engine import dask_aware
from .compare import compare
from .driver_model import DriverData, DriverFit, Goal, ScenarioFrame, scenarios
from .drivers import drivers as estimate_drivers
from .funnel import funnel
from .gaps import gaps

_threads = LazyModule("threadpoolctl")


@dataclass(frozen=True)
class Strategy(Result):
    """Result of :func:`strategy`: ``priorities`` (also ``table``; ranked, one
    row per touchpoint with its evidence, challenge, ``current`` experience,
    ``target`` (the goal) and ``goal_rule`` (how it was set), the scenario
    ``expected_change`` with ``expected_low``/``expected_high`` (the outcome
    change that would go with reaching that one goal if the link is causal;
    one priority at a time, never to be added up), segments, experience,
    behaviours, resources, KPI and re-measure) and ``protect`` (own
    experiences and strengths to keep)."""

    priorities: pd.DataFrame
    protect: pd.DataFrame
    outcome: str
    outcome_unit: str
    remeasure: str
    min_base: int = 30
    confidence: float = 0.95
    outcome_label: str = ""  # the outcome in sentences: "NPS", "Retention rate"
    level: float = float("nan")  # the brand's outcome now, on the scenario's scale
    halo: str = ""  # the driver model's halo warning ("" without a halo)
    scenario_method: str = ""
    period: str = ""  # the waves the strategy pools, e.g. "2026-Q2 and 2026-Q3 together"

    @property
    def table(self) -> pd.DataFrame:
        return self.priorities

    def findings(self, top: int = 3) -> Findings:
        """The first ``top`` priorities in one line each."""
        lines = [
            f"{row.rank}. {row.label}: {row.challenge} Goal: {row.goal}"
            for row in self.priorities.head(top).itertuples()
        ]
        return Findings(tuple(lines), "No touchpoint needs action: no significant shortfall.")

    def top(self, n: int = 3) -> Findings:
        """The first n priorities (the name of 0.1; now ``findings(top=n)``)."""
        return self.findings(top=n)

    def display(self) -> pd.DataFrame:
        """The roadmap: per priority the KPI to track, the experience now and
        the goal with how it was set, the scenario of that priority alone with
        its interval, when to re-measure. No total: priorities do not add up."""
        p = self.priorities
        change = (
            f"if causal, this priority alone: {self.outcome_label} change "
            f"({self.outcome_unit}) [{self.interval}]"
        )
        if p.empty:
            return pd.DataFrame(columns=["touchpoint", "KPI to track", change])
        shown = pd.DataFrame(index=pd.Index(p["rank"], name="#"))
        shown["touchpoint"] = p["label"].to_numpy()
        shown["KPI to track"] = p["kpi"].to_numpy()
        shown["experience now and goal"] = [
            f"{c:.2f} to {t:.2f}" for c, t in zip(p["current"], p["target"], strict=True)
        ]
        shown["how the goal was set"] = p["goal_rule"].to_numpy()
        d = _digits(self.outcome_unit)
        shown[change] = [
            f"{v:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}]"
            for v, lo, hi in zip(
                p["expected_change"], p["expected_low"], p["expected_high"], strict=True
            )
        ]
        shown["re-measure"] = p["remeasure"].to_numpy()
        return shown

    def plot(self, ax=None):
        """Each priority's scenario on its own, with its interval."""
        return priority_bars(self, ax=ax)

    def caption(self) -> str:
        over = f" over {self.period}" if self.period else ""
        now = f" ({self.outcome_label} {self.level:.1f}{over})" if np.isfinite(self.level) else ""
        return (
            f"Scenarios, not promises: the {self.outcome_label} change that would go with "
            f"reaching each goal if the driver model's link were causal{now}, one priority "
            "at a time. Priorities are not additive (they share customers, and the outcome "
            f"is bounded): do not add them up. {self.scenario_method}; {self.interval}s. "
            "Re-measure to see what moved." + (f" {self.halo}" if self.halo else "")
        )

    def _repr_html_(self) -> str:
        cards = []
        for row in self.priorities.itertuples():
            behaviours = "".join(
                f"<li><b>{escape(kind)}</b>: {escape('; '.join(items))}</li>"
                for kind, items in (
                    ("Do", row.do),
                    ("Don't", row.dont),
                    ("Do differently", row.do_differently),
                )
                if items
            )
            cards.append(
                "<div class='cx-card'>"
                f"<h4>{row.rank}. {escape(row.label)} <small>({escape(row.stage)})</small></h4>"
                f"<p><b>Challenge.</b> {escape(row.challenge)}</p>"
                f"<p><b>Goal.</b> {escape(row.goal)}</p>"
                f"<p><b>Matters most to.</b> {escape(row.segments or 'all segments alike')}</p>"
                f"<p><b>Experience to deliver.</b> {escape(row.experience)}</p>"
                f"<ul>{behaviours}</ul>"
                f"<p><b>Resources.</b> {escape('; '.join(row.resources))}</p>"
                f"<p><b>Track.</b> {escape(row.kpi)} <b>Re-measure.</b> {escape(row.remeasure)}</p>"
                f"<p class='cx-note'>Evidence: {escape(row.evidence)}</p>"
                "</div>"
            )
        protect = "".join(
            f"<li>{escape(row.label)}: {escape(row.why)}</li>" for row in self.protect.itertuples()
        )
        note = f"<p class='cx-note'>{escape(self.caption())}</p>"
        return f"<div class='cx-cards'>{''.join(cards)}</div>{note}" + (
            f"<h3>Protect</h3><ul>{protect}</ul>" if protect else ""
        )


@memoised(normalise=with_outcome)
@dask_aware
def strategy(
    study,
    *,
    outcome: str | None = None,
    brand: str | None = "auto",
    segments=None,
    drivers=None,
    comparison=None,
    web=None,
    n_boot: int = 200,
    random_state: int = 0,
    top: int = 5,
    confidence: float = 0.95,
) -> Strategy:
    """Ranked CX priorities with their goals, behaviours and resources.

    Parameters
    ----------
    study : Study
    outcome : str, optional
        The KPI the strategy moves (default: nps, else csat, else loyalty).
    brand : str or None
        Whose experience to improve: ``"auto"``, the study's brand.
    segments : Segmentation or Series, optional
        To name the segments each priority matters most to (persona names
        from a Segmentation, "Segment n" from labels).
    drivers, comparison, web : optional
        Results of :func:`cxresearch.drivers`, :func:`cxresearch.compare` and
        :func:`cxresearch.funnel` to reuse (computed when missing and possible).
    n_boot : int
        Bootstrap resamples of the scenarios (the whole chain) and, when the
        drivers are computed here, of the drivers.
    top : int
        How many priorities to keep.

    Notes
    -----
    Goal (:func:`goal_rule`): the codebook's target, else the mean expectation
    + a tenth of the scale's range, else the typical touchpoint + the same
    margin; capped at the scale's top. Scenario: see
    :func:`cxresearch.analyses.driver_model.scenarios`.
    """
    require(study, "the strategy", "touchpoints", "outcome")
    outcome = outcome or default_outcome(study)
    drivers = drivers or estimate_drivers(
        study,
        outcome=outcome,
        brand=brand,
        n_boot=n_boot,
        random_state=random_state,
        confidence=confidence,
    )
    has_gaps = study.supports("expectations")
    gap_table = (
        gaps(study, brand=brand, confidence=confidence).table.set_index("touchpoint")
        if has_gaps
        else pd.DataFrame()
    )
    if comparison is None and study.supports("brands"):
        comparison = compare(study, brand=brand, drivers=drivers, confidence=confidence)
    if web is None and study.has("events") and study.codebook.events.funnel:
        web = funnel(study, confidence=confidence)
    labels, names = segment_labels(segments), segment_names(segments)
    by_segment = None
    if labels is not None and has_gaps:
        by_segment = gaps(
            study, by="segment", brand=brand, segments=labels, confidence=confidence
        ).table
    remeasure = _remeasure(study)
    driver_rows = drivers.table.set_index("touchpoint")
    positions = comparison.positions.set_index("touchpoint") if comparison is not None else None
    abandoned = web.abandonment.iloc[0] if web is not None else None
    fit, frame = _scenario_model(study, drivers)
    columns = {tp.id: j for j, tp in enumerate(fit.model.touchpoints)}
    typical = float(drivers.crosshair[1])
    records, goals = [], []
    for tp in study.codebook.touchpoints:
        if tp.id not in columns:
            continue
        record = _priority(
            tp,
            gap_table,
            driver_rows.loc[tp.id],
            positions,
            abandoned,
            drivers,
            by_segment,
            names,
            remeasure,
            study,
        )
        if record is not None:
            has_expectation = tp.expectation is not None and tp.id in gap_table.index
            goal, record["goal_rule"] = goal_rule(
                tp, columns[tp.id], study if has_expectation else None, typical
            )
            records.append(record)
            goals.append(goal)
    # BLAS on one thread for the 200 refits of the censored model on a few thousand
    # rows: the report runs two kernels on two cores, and BLAS threads waiting for
    # each other spin (2 to 10 times the CPU on the 2-core benchmark machine,
    # depending on its load). The same numbers to the last bit or two: BLAS sums in
    # another order on two threads (below 1e-14 NPS points on the demo;
    # tests/test_speed_same_numbers.py)
    with _threads.threadpool_limits(limits=1):
        result = scenarios(fit, frame, goals, n_boot, random_state, drivers.confidence)
    for g, record in enumerate(records):
        _add_scenario(record, result, g, drivers)
    priorities = pd.DataFrame(records)
    if not priorities.empty:
        priorities = priorities.sort_values(["expected_change", "pain"], ascending=False).head(top)
        priorities.insert(0, "rank", range(1, len(priorities) + 1))
    return Strategy(
        priorities.reset_index(drop=True),
        _protect(drivers, positions, set(priorities.get("touchpoint", ()))),
        outcome,
        drivers.outcome_unit,
        remeasure,
        study.codebook.min_base,
        drivers.confidence,
        drivers.outcome_label,
        result.level,
        drivers.halo_note() if drivers.has_halo else "",
        "Scenario: the driver model's prediction for the brand's customers, kept within "
        f"the outcome's bounds; {result.method}",
        _period(study),
    )


def _digits(unit: str) -> int:
    """Decimals of a scenario: whole points for NPS and percentage points (a
    scenario is a rough guide, not a measurement), two for scale points."""
    return 2 if unit == "scale points" else 0


def _period(study) -> str:
    """The waves a strategy pools ("" for a study of one wave): the headline cards
    show the latest wave alone, so a pooled number must say it is pooled."""
    wave = study.codebook.wave
    if wave is None:
        return ""
    present = [str(w) for w in study.responses[wave].dropna().unique()]
    if len(present) < 2:
        return ""
    ordered = [str(w) for w in study.responses[wave].cat.categories if str(w) in present]
    return f"all {len(ordered)} waves together ({', '.join(ordered)})"


MARGIN = 0.1  # the default goal exceeds the reference by a tenth of the scale's range


def goal_rule(tp, column: int, study=None, typical: float = float("nan")) -> tuple[Goal, str]:
    """How a touchpoint's goal is set, and the rule in words.

    - the codebook's ``target:`` for the touchpoint, when it has one;
    - else, with ``study`` given (the touchpoint has expectations), the brand's
      customers' mean expectation + ``MARGIN`` x the scale's range (exceed
      expectations), recomputed in every bootstrap resample;
    - else the brand's ``typical`` touchpoint experience + the same margin.

    Capped at the scale's top. A competitor's level is never the goal.
    """
    scale = tp.experience.scale
    top = float(scale.high)
    if tp.target is not None:
        return Goal(column, top, fixed=float(tp.target)), f"codebook target {tp.target:g}"
    margin = round(MARGIN * (scale.high - scale.low), 2)
    how = f"+ {margin:g}, a tenth of the {scale.low:g}-{scale.high:g} scale, capped at {top:g}"
    if study is not None:
        expectation = study.responses[tp.expectation.column].to_numpy(dtype=float)
        return Goal(column, top, margin, expectation=expectation), f"expectation {how}"
    return Goal(column, top, margin, fixed=typical), f"typical touchpoint {typical:.2f} {how}"


def _scenario_model(study, drivers) -> tuple[DriverFit, ScenarioFrame]:
    """The driver model of ``drivers`` rebuilt on the study, and every row's data
    for the scenarios."""
    item = study.codebook.outcomes[drivers.outcome]
    touchpoints = [study.codebook.touchpoint(t) for t in drivers.table["touchpoint"]]
    model = DriverData.of(study, drivers.outcome, touchpoints, drivers.weighted)
    fit = DriverFit(model, drivers.model_method, isinstance(item, BinaryItem))
    return fit, ScenarioFrame.of(study, model, drivers.outcome, drivers.brand, drivers.weighted)


def _add_scenario(record: dict, result, g: int, drivers) -> None:
    """The scenario's numbers and the goal in words."""
    current, target = float(result.current[g]), float(result.goal[g])
    change, low, high = (float(a[g]) for a in (result.change, result.low, result.high))
    record.update(
        current=current,
        target=target,
        expected_change=change,
        expected_low=low,
        expected_high=high,
        reach=float(result.reach[g]),
    )
    label, unit, outcome = record["label"].lower(), drivers.outcome_unit, drivers.outcome_label
    rule = record["goal_rule"].replace("expectation", f"expectation {result.base[g]:.2f}")
    record["goal_rule"] = rule
    d = _digits(unit)
    amount = f"{change:+.{d}f} {unit}" + ("" if outcome in unit else f" of {outcome}")
    if not np.isfinite(target):
        record["goal"] = f"no goal can be set for the {label} experience (no answers)."
        return
    if target <= current:
        record["goal"] = (
            f"keep the {label} experience at {current:.2f} or above: it already reaches "
            f"the goal {target:.2f} ({rule}); the evidence above is the reason to act."
        )
        return
    interval = f"[{low:+.{d}f}, {high:+.{d}f}]" if np.isfinite(low) else "[no interval]"
    record["goal"] = (
        f"raise the {label} experience of the customers who use it from {current:.2f} to "
        f"{target:.2f} ({rule}; reach {result.reach[g]:.0%}). If the link is causal, "
        f"this priority alone would go with about {amount} {interval}: a scenario, not a "
        "promise." + (" Uncertain: the ratings move together (a halo)." if drivers.has_halo else "")
    )


def _priority(
    tp, gap_table, driver, positions, abandoned, drivers, by_segment, names, remeasure, study
):
    """The evidence that makes a touchpoint a priority, and its texts (None: no evidence)."""
    evidence, challenge = [], []
    gap = gap_table.loc[tp.id] if tp.id in gap_table.index else None
    current = float(gap["experience"]) if gap is not None else float(driver["performance"])
    if gap is not None and gap["significant"] and gap["gap"] < 0 and not gap["below_min_base"]:
        evidence.append("falls short of expectations")
        challenge.append(
            f"experience {gap['experience']:.2f} against expectation {gap['expectation']:.2f}: "
            f"gap {gap['gap']:+.2f} [{gap['low']:+.2f}, {gap['high']:+.2f}], n={gap['n']:,}."
        )
    position = _position_of(positions, tp.id)
    if position is not None and position["position"] == "disadvantage":
        evidence.append(f"trails the leader ({position['leader']})")
        challenge.append(
            f"{position['leader']} leads with {position['leader_value']:.2f} "
            f"(n={int(position['leader_n']):,}) against {position['brand_value']:.2f} among all "
            f"the brand's users (n={int(position['brand_n']):,}; context, not the goal)."
        )
    if gap is None and driver["quadrant"] == "concentrate here":
        # no expectation to fall short of: importance x performance is the evidence
        reference, named = _reference(tp, positions)
        evidence.append("matters and performs below the typical touchpoint")
        challenge.append(
            f"{driver['share']:.0f}% of the explained variance of {drivers.outcome_label} "
            f"[{driver['share_low']:.0f}, {driver['share_high']:.0f}], experience "
            f"{current:.2f} (n={int(driver['n_performance']):,}) against {named} {reference:g}."
        )
    if abandoned is not None and abandoned["step"] == tp.id:
        evidence.append("the web shop's weakest step")
        challenge.append(
            f"{abandoned['drop']:.0%} of the web sessions that reach {tp.id} do not continue."
        )
    if not evidence:
        return None
    top_of_scale = tp.experience.scale.high
    catalog = tp.catalog
    behaviours = catalog.get("behaviours", {}) or {}
    kpis = [f"{tp.label} experience (mean, {tp.experience.scale.low:g}-{top_of_scale:g})"]
    kpis += [drivers.outcome_label]
    kpis += [op.column for op in study.codebook.operational if op.touchpoint == tp.id]
    kpis += list(catalog.get("measures", []) or [])[:2]
    return {
        "touchpoint": tp.id,
        "label": tp.label,
        "stage": tp.stage,
        "evidence": "; ".join(evidence),
        "challenge": " ".join(challenge),
        "direction": driver["direction"],
        "pain": float(driver["share"]) / 100 * max(0.0, -(gap["gap"] if gap is not None else 0)),
        "segments": _segments_most_affected(tp.id, by_segment, names),
        "experience": catalog.get("experience_to_deliver", ""),
        "emotion": catalog.get("emotion_expected", ""),
        "do": list(behaviours.get("do", [])),
        "dont": list(behaviours.get("dont", [])),
        "do_differently": list(behaviours.get("do_differently", [])),
        "resources": list(catalog.get("resources", []) or []),
        "kpi": "; ".join(kpis) + ".",
        "remeasure": remeasure,
    }


def _position_of(positions, tp_id: str) -> pd.Series | None:
    """The brand's competitive position on a touchpoint (None without competitors)."""
    if positions is None or tp_id not in positions.index:
        return None
    position = positions.loc[tp_id]
    return position.iloc[0] if isinstance(position, pd.DataFrame) else position


def _reference(tp, positions) -> tuple[float, str]:
    """What the challenge compares with, as context: the codebook's target, else the
    best competitor's score, else the top of the scale (the goal is set by :func:`goal_rule`)."""
    if tp.target is not None:
        return float(tp.target), "the target"
    position = _position_of(positions, tp.id)
    if position is not None:
        best = float(position["best_rival_value"])
        if best > float(position["brand_value"]):
            return round(best, 2), f"the best competitor ({position['best_rival']})"
    return float(tp.experience.scale.high), "the top of the scale"


def _segments_most_affected(tp_id, by_segment, names: dict) -> str:
    if by_segment is None:
        return ""
    rows = by_segment[
        (by_segment["touchpoint"] == tp_id)
        & ~by_segment["below_min_base"]
        & by_segment["significant"]
        & (by_segment["gap"] < 0)
    ]
    if rows.empty:
        return ""
    worst = rows.nsmallest(2, "gap")
    return "; ".join(f"{_name_of(names, r.segment)} (gap {r.gap:+.2f})" for r in worst.itertuples())


def _name_of(names: dict, segment: str) -> str:
    """The persona name of a segment label as the gap table writes it (text)."""
    by_text = {str(k): v for k, v in names.items()}
    return by_text.get(str(segment), str(segment))


def _protect(drivers, positions, priorities: set[str]) -> pd.DataFrame:
    """What to keep: own experiences (ahead of every competitor) and important
    touchpoints performing above the typical one, unless they are a priority
    (a touchpoint is never both "protect" and "act")."""
    rows = []
    table = drivers.table.set_index("touchpoint")
    if positions is not None:
        for tp_id, row in positions[positions["own"]].iterrows():
            if tp_id in priorities:
                continue
            rows.append(
                {
                    "touchpoint": tp_id,
                    "label": row["label"],
                    "why": f"own experience: ahead of every competitor "
                    f"({row['brand_value']:.2f} against {row['best_rival_value']:.2f} "
                    f"for {row['best_rival']}) on a touchpoint that matters",
                }
            )
    for tp_id, row in table[table["quadrant"] == "keep up the good work"].iterrows():
        if tp_id not in {r["touchpoint"] for r in rows} | priorities:
            rows.append(
                {
                    "touchpoint": tp_id,
                    "label": row["label"],
                    "why": f"important ({row['share']:.0f}% of the explained variance) and "
                    f"performing above the typical touchpoint ({row['performance']:.2f})",
                }
            )
    return pd.DataFrame(rows, columns=["touchpoint", "label", "why"])


def _remeasure(study) -> str:
    wave = study.codebook.wave
    if wave is not None:
        present = set(study.responses[wave].dropna().astype(str))
        waves = [w for w in study.responses[wave].cat.categories if str(w) in present]
        listed = ", ".join(map(str, waves))
        return f"in the next survey wave (this study has {len(waves)}: {listed})."
    return "in the next survey, three months after the changes."
