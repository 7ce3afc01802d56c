"""The words of the deliverables: one-line headlines, card texts and notes.

Each headline states a finding in one line, read from the same row the
report's own finding quotes (the same selection rule), so a slide never says
more or other than the report. Card texts are the index page's, word for word.
"""

from __future__ import annotations

from ...tables import format_difference, interval_label
from .results import Deliverables

MAX_HEADLINE = 110


def headlines(results: Deliverables) -> dict[str, str]:
    """One line per slide kind: what the reader should take away."""
    a, r = results.analyses, results.report
    said = {
        "cards": _cards(results),
        "findings": _clause(r.findings[0]) if r.findings else "Key findings",
        "priorities": _priority(a.strategy) if a.strategy is not None else "Priorities",
    }
    if a.segmentation is not None:
        said["personas"] = _personas(a.segmentation)
    if a.gaps is not None:
        said["gaps"] = _gaps(a.gaps)
    if a.drivers is not None:
        top = a.drivers.table.sort_values("rank").iloc[0]
        said["drivers"] = (
            f"{top['label']} matters most for {a.drivers.outcome_label}: {top['share']:.0f}% "
            f"of the explained variance [{top['share_low']:.0f}, {top['share_high']:.0f}]"
        )
    if a.comparison is not None:
        said["competitors"] = _competitors(a.comparison)
    if a.journey is not None:
        said["journey"] = _journey(a.journey)
    if a.funnel is not None:
        step = a.funnel.abandonment.iloc[0]
        said["funnel"] = (
            f"The web shop loses most at '{step['step']}': {step['drop']:.0%} of "
            f"{step['sessions']:,} sessions go no further"
        )
    if a.trends is not None:
        said["trends"] = _trends(a.trends)
    if a.strategy is not None:
        n = len(a.strategy.table)
        said["strategy"] = (
            f"{n} priorities, led by {a.strategy.table.iloc[0]['label']}" if n else "No priority"
        )
        said["roadmap"] = f"Roadmap: {n} goals, each re-measured {_remeasure(a.strategy)}"
    return {kind: _short(text) for kind, text in said.items()}


def card_lines(card: dict, results: Deliverables) -> list[tuple[str, int, bool]]:
    """A headline card as the index page writes it: (text, font size, bold) per line."""
    min_base = results.study.codebook.min_base
    lines = [(str(card["statistic"]), 13, True)]
    if card.get("below_min_base"):
        return [
            *lines,
            ("suppressed", 22, True),
            (f"base n={card['n']} below {min_base}", 10, False),
        ]
    level = f"{100 * results.report.confidence:g}% interval"
    lines.append((f"{card['value']:.1f}", 26, True))
    lines.append((f"{level} {card['low']:.1f} to {card['high']:.1f}; n={card['n']:,}", 10, False))
    change = card.get("change")
    if change and change["suppressed"]:
        lines.append(
            (
                f"since {change['since']}: change suppressed (a base below {min_base}: "
                f"n={change['previous_n']:,} and {change['last_n']:,})",
                10,
                False,
            )
        )
    elif change:
        verdict = (
            " significant"
            if change["significant"]
            else " within chance (the interval includes zero)"
        )
        lines.append(
            (
                f"since {change['since']} (n={change['previous_n']:,}): {change['text']}{verdict}",
                10,
                False,
            )
        )
    leader = card.get("leader")
    if leader:
        text = f"best competitor: {leader['brand']} {leader['value']:.1f} (n={leader['n']:,})"
        if leader.get("difference"):
            text += f"; {leader['difference']}"
        lines.append((text, 10, False))
    return lines


def notes_of(results: Deliverables, result) -> str:
    """Speaker notes: the method (the result's caption), the bases and the interval."""
    s = results.study
    if result is None:
        given = ", ".join(f"{k}={v}" for k, v in sorted(results.parameters.items()))
        return (
            f"{s.name}: {s.n:,} respondents. Intervals: {interval_label(results.confidence)}. "
            f"Groups with fewer than {s.codebook.min_base} answers are suppressed. "
            f"Computed by cxresearch {results.version} on {results.generated}; parameters: {given}."
        )
    lines = [result.caption()]
    table = result.table
    for column in ("n", "sessions", "n_performance"):
        if column in table.columns and len(table):
            low, high = int(table[column].min()), int(table[column].max())
            span = f"{low:,}" if low == high else f"{low:,} to {high:,}"
            lines.append(f"Bases ({column}): {span} per row; below {result.min_base} suppressed.")
            break
    lines.append(f"Intervals: {result.interval}.")
    return "\n".join(line for line in lines if line)


# -- one headline each ----------------------------------------------------------
def _cards(results: Deliverables) -> str:
    r = results.report
    shown = [c for c in r.cards if not c.get("below_min_base")]
    if not shown:
        return f"Headline KPIs: {r.cards_title}" if r.cards else "No survey KPIs"
    c = shown[0]
    return (
        f"{r.cards_title}: {c['statistic']} {c['value']:.1f} "
        f"[{c['low']:.1f}, {c['high']:.1f}], n={c['n']:,}"
    )


def _priority(strategy) -> str:
    p = strategy.table
    if p.empty:
        return "No touchpoint needs action: no significant shortfall"
    row = p.iloc[0]
    digits = 0 if "points" in strategy.outcome_unit else 2
    change = format_difference(
        row["expected_change"], row["expected_low"], row["expected_high"], digits
    )
    return f"First priority: {row['label']}; if causal, about {change} {strategy.outcome_unit}"


def _personas(seg) -> str:
    p = seg.personas[~seg.personas["below_min_base"]]
    if p.empty:
        return "Segments too small to report"
    largest = p.sort_values("n", ascending=False).iloc[0]
    kind = "levels, not personas" if seg.structure == "continuum" else "personas"
    return f"{len(seg.personas)} {kind}; the largest: {largest['name']} ({largest['share']:.0%})"


def _gaps(gaps) -> str:
    t = gaps.table
    t = t[t["significant"] & (t["gap"] < 0) & ~t["below_min_base"]].nsmallest(1, "gap")
    if t.empty:
        return "No touchpoint falls significantly short of expectations"
    row = t.iloc[0]
    return (
        f"{row.get('label', row.get('stage'))} falls furthest short of expectations: gap "
        f"{format_difference(row['gap'], row['low'], row['high'], 2)}, n={row['n']:,}"
    )


def _competitors(c) -> str:
    p = c.positions
    ahead = list(p.loc[p["position"] == "advantage", "label"])
    behind = list(p.loc[p["position"] == "disadvantage", "label"])
    if not ahead and not behind:
        return f"{c.brand} is at parity with every competitor"
    parts = []
    if ahead:
        parts.append("leads on " + _few(ahead))
    if behind:
        parts.append("trails on " + _few(behind))
    return f"{c.brand} " + "; ".join(parts)


def _journey(journey) -> str:
    t = journey.table[~journey.table["below_min_base"] & (journey.table["pain"] > 0)]
    if t.empty:
        return "No touchpoint falls short of expectations along the journey"
    row = t.nlargest(1, "pain").iloc[0]
    return (
        f"{row['label']} hurts most along the journey: gap "
        f"{format_difference(row['gap'], row['gap_low'], row['gap_high'], 2)}, "
        f"used by {row['reach']:.0%}"
    )


def _trends(trends) -> str:
    t = trends.table
    moved = int(t["significant"].sum()) if len(t) else 0
    if moved == 0:
        return f"Nothing moved beyond chance between {trends.previous} and {trends.last}"
    return (
        f"{moved} of {len(t)} measures moved significantly from {trends.previous} to {trends.last}"
    )


def _remeasure(strategy) -> str:
    text = str(strategy.table.iloc[0]["remeasure"]) if len(strategy.table) else ""
    return text.split(" (")[0] or "in the next wave"


def _few(labels: list[str], limit: int = 3) -> str:
    more = len(labels) - limit
    return ", ".join(labels[:limit]) + (f" and {more} more" if more > 0 else "")


def _clause(line: str) -> str:
    """A finding's first clause (up to its first comma after the subject)."""
    cut = line.find(", ", 25)
    return line if cut < 0 else line[:cut]


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_HEADLINE else text[: MAX_HEADLINE - 1].rstrip() + "…"
