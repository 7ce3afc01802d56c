"""The stakeholder report's sections: what ``index.html`` says, built from the analyses.

Each section is built only when the study has what it needs (a study of
tweets has no touchpoint scores, a survey without waves has no trends), and
says so in the report when it is left out. Every number comes with its base
and interval (the analyses' own tables), every figure is embedded as a PNG
data URI, and every piece of text is escaped here or by the result objects.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any

from .. import plots
from ..analyses._common import default_outcome
from ..analyses._engine import on_dask
from ..analyses.compare import compare
from ..analyses.drivers import drivers
from ..analyses.feedback import reviews
from ..analyses.funnel import funnel
from ..analyses.gaps import gaps
from ..analyses.journey import journey
from ..analyses.kpis import kpis
from ..analyses.operations import operations
from ..analyses.segments import segment
from ..analyses.strategy import strategy
from ..analyses.text import follow_up, has_comments, sentiment, theme_drivers, themes
from ..analyses.trends import trends
from ..stats import CORRECTION_NAMES, family_note
from ..tables import Findings, format_bound, format_difference, html_table
from .chapter import ChapterSettings
from .engines import memory_note, runs, without_repeats

DEFAULT_N_BOOT = 200
"""Bootstrap resamples of the drivers and scenarios when no chapter says (the
chapters' own default is passed in by :func:`~cxresearch.report.render.render_report`)."""
DEFAULT_STABILITY_N_BOOT = 20
"""Refits of the segmentation's stability check, likewise."""


@dataclass
class Section:
    id: str
    title: str
    html: str


@dataclass
class Report:
    """The assembled report: headline cards, three findings, three priorities,
    sections, and the sections left out with the reason."""

    cards: list[dict] = field(default_factory=list)
    cards_title: str = ""
    cards_family: str = ""  # how the cards' changes were corrected, in plain words
    findings: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    confidence: float = 0.95
    analyses: Any = None  # the Analyses the page was built from

    def skipped_once(self) -> list[str]:
        """The notes on what was left out, each once, in the order first given; a
        section's note is dropped when its chapter is listed as left out."""
        return without_repeats(self.skipped)


def figure_uri(ax) -> str:
    """A matplotlib figure as an embedded PNG (and closed)."""
    import matplotlib.pyplot as plt  # third-party, loaded only when a figure is drawn

    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(ax, alt: str) -> str:
    return f"<img src='{figure_uri(ax)}' alt='{escape(alt)}'>"


def build_report(
    study, settings: ChapterSettings | None = None, parameters: Mapping[str, Any] | None = None
) -> Report:
    """Run the analyses the study supports and assemble the report, with the
    same settings (seed, segmentation) and ``parameters`` (``n_boot``,
    ``stability_n_boot``) as the chapters: each analysis is then the very call
    a chapter makes, which the cache (:mod:`cxresearch.cache`) computes once."""
    settings = settings or ChapterSettings()
    plots.set_theme()
    report = Report()
    results = Analyses(study, settings, report.skipped, dict(parameters or {}))
    report.analyses = results
    report.cards_title, report.cards, report.cards_family = _cards(study, results)
    report.findings = _findings(results)
    report.priorities = list(results.strategy.top(3).lines) if results.strategy else []
    for builder in (
        _personas,
        _gaps,
        _drivers,
        _competitors,
        _journey,
        _feedback,
        _what_customers_say,
        _strategy,
        _trends,
    ):
        section = builder(study, results)
        if section is not None:
            report.sections.append(section)
    report.sections.append(_method(study, results))
    report.sections.append(_quality(study))
    return report


class Analyses:
    """Every analysis the study supports, each called as the chapters call it
    (``gaps``, ``drivers``, ``segmentation``, ``comparison``, ``journey``,
    ``funnel``, ``trends``, ``strategy``, and of the comments ``sentiment``,
    ``themes``, ``theme_drivers``, ``follow_up``; None where the study lacks what one
    needs, or, on the Dask engine, where one has no Dask version: with a note
    in ``skipped`` either way)."""

    def __init__(self, study, settings: ChapterSettings, skipped: list[str], parameters: dict):
        random_state = settings.random_state
        n_boot = parameters.get("n_boot", DEFAULT_N_BOOT)
        cb = study.codebook
        self.study = study
        self.skipped = skipped
        has_touchpoints = any(tp.experience is not None for tp in cb.touchpoints)
        has_pairs = any(
            tp.expectation is not None or tp.target is not None for tp in cb.touchpoints
        )
        outcome = settings.outcome or default_outcome(study)
        relates = has_touchpoints and bool(outcome)  # the drivers, journey and strategy need it
        segmentation = settings.segmentation_options()
        self.gaps = self._section(
            "Expectations against experiences", ("gaps",), has_pairs,
            "no expectations or targets", lambda: gaps(study),
        )  # fmt: skip
        self.drivers = self._section(
            "Key drivers", ("drivers",), relates, "no touchpoint scores and outcome to relate",
            lambda: drivers(study, outcome=outcome, n_boot=n_boot, random_state=random_state),
        )  # fmt: skip
        self.segmentation = self._section(
            "Personas", ("segment",), study.supports("segments"),
            "no touchpoint items, or fewer than 20 respondents, to segment",
            lambda: segment(
                study,
                n_boot=parameters.get("stability_n_boot", DEFAULT_STABILITY_N_BOOT),
                **segmentation,
            ),
        )  # fmt: skip
        self.comparison = self._section(
            "Competitors", ("compare",),
            study.supports("brands") and study.supports("measures") and bool(study.brand),
            "no competitors (a second brand or a benchmark file)",
            lambda: compare(study, drivers=self.drivers),
        )  # fmt: skip
        self.journey = self._section(
            "The journey map", ("journey", "drivers"), has_pairs and relates, None,
            lambda: journey(study, drivers=self.drivers),
        )  # fmt: skip
        self.funnel = self._section(
            "The web funnel", ("funnel",), bool(study.has("events") and cb.events.funnel), None,
            lambda: funnel(study),
        )  # fmt: skip
        self.trends = self._section(
            "Trends", ("trends",), study.supports("waves") and study.supports("measures"),
            "fewer than two waves", lambda: trends(study),
        )  # fmt: skip
        self.strategy = self._section(
            "Strategy", ("strategy",), relates, "no touchpoint scores and outcome to relate",
            lambda: strategy(  # as the strategy chapter calls it (it finds the same drivers, ...)
                study,
                outcome=outcome,
                segments=(
                    segment(study, n_boot=0, **segmentation) if self.segmentation else None
                ),
                n_boot=n_boot,
                random_state=random_state,
            ),
        )  # fmt: skip
        self._comments(study, random_state)

    def _comments(self, study, random_state: int) -> None:
        """The four text analyses, called as the chapter "What customers say" calls them."""
        self.sentiment = self.themes = self.theme_drivers = self.follow_up = None
        feedback = study.codebook.feedback
        declared = study.codebook.text or (feedback is not None and feedback.text)
        if declared and not self.can_run("What customers say", *COMMENT_ANALYSES):
            return  # asked first: a Dask study does not read its comments to say if it has any
        if not declared or not has_comments(study):
            self._skip("What customers say", "no comments (text: or feedback: text)")
            return
        self.sentiment = sentiment(study, random_state=random_state)
        self.themes = themes(study, sentiment=self.sentiment, random_state=random_state)
        if study.supports("outcome") and self.can_run("Themes and the score", "theme_drivers"):
            self.theme_drivers = theme_drivers(
                study, themes_result=self.themes, random_state=random_state
            )
        self.follow_up = follow_up(
            study, sentiment=self.sentiment, themes=self.themes, random_state=random_state
        )

    def _section(
        self,
        section: str,
        analyses: tuple[str, ...],
        supported: bool,
        reason: str | None,
        compute: Callable[[], Any],
    ):
        """``compute()`` when the study has what the section needs (``supported``)
        and its ``analyses`` run on the study's engine; else None, with a note
        (none for a study that lacks what it needs when ``reason`` is None)."""
        if not supported:
            return None if reason is None else self._skip(section, reason)
        if not self.can_run(section, *analyses):
            return None
        return compute()

    def can_run(self, section: str, *analyses: str) -> bool:
        """Whether ``analyses`` run on the study's engine; a note when they do not."""
        if runs(self.study, *analyses):
            return True
        self.skipped.append(memory_note(self.study, section, *analyses))
        return False

    def _skip(self, section: str, reason: str):
        self.skipped.append(f"{section}: left out, the study has {reason}.")
        return None


COMMENT_ANALYSES = ("sentiment", "themes", "follow_up")
"""The text analyses the index page's section on comments needs."""


def _cards(study, results) -> tuple[str, list[dict], str]:
    """The headline KPIs: the brand's own beside its best competitor when the
    study rates several brands (else all respondents). With waves, the cards
    show the latest wave (never a figure pooled over the waves) and the change
    since the previous one with both bases. The changes on the cards are one
    family of comparisons (:func:`_card_changes`); returns the title, the cards
    and that family in plain words."""
    if not study.codebook.outcomes:
        return (*_feedback_cards(study, results), "")
    trends = results.trends
    last = trends.last if trends is not None else _last_wave(study)
    latest = study
    if last is not None:
        wave = study.responses[study.codebook.wave].astype("string")
        latest = _rows(study, wave == last)
    column = study.codebook.brand_column
    brands = [] if column is None else list(study.responses[column].cat.categories)
    if study.brand in brands:
        table = kpis(latest, by="brand").table
        cards = table[table[column] == study.brand].to_dict("records")
        rivals = table[(table[column] != study.brand) & ~table["below_min_base"]]
        title = f"{study.brand}, rated by its customers"
    else:
        cards, rivals, title = kpis(latest).table.to_dict("records"), None, "All respondents"
    if last is not None:
        title += f", {last}"
    for card in cards:
        lower_is_better = getattr(study.codebook.outcomes[card["kpi"]], "lower_is_better", False)
        if rivals is not None:
            others = rivals[rivals["statistic"] == card["statistic"]]
            if not others.empty:
                best = others.loc[
                    others["value"].idxmin() if lower_is_better else others["value"].idxmax()
                ]
                card["leader"] = {"brand": best[column], "value": best["value"], "n": best["n"]}
    family = _card_changes(cards, trends) if trends is not None else ""
    return title, cards, family


def _last_wave(study) -> str | None:
    """The latest wave of a Dask study with waves whose trends were not computed
    (no Dask version): its cards still show that wave, never the waves pooled.
    None in memory, where the trends name it. Waves are the wave column's
    categories, in the codebook's or natural order, as found while loading."""
    if not on_dask(study) or not study.supports("waves"):
        return None
    return str(study.responses[study.codebook.wave].cat.categories[-1])


def _rows(study, mask):
    """The study restricted to the rows where ``mask`` holds (lazily on Dask)."""
    return replace(study, responses=study.responses[mask if on_dask(study) else mask.to_numpy()])


def _card_changes(cards: list[dict], trends) -> str:
    """The change since the previous wave on each card, exactly as the table of
    what moved shows it: one change, one interval, one verdict on the page.

    The cards' changes are rows of that table, so they belong to its family of
    comparisons (corrected together with :func:`cxresearch.stats.correct_family`)
    and carry its interval, which matches the verdict: "significant" if and
    only if the interval excludes zero. A change whose base is below
    ``min_base`` is suppressed. Returns the family in plain words.
    """
    rows = [(card, trends.change_of(card["statistic"])) for card in cards]
    rows = [(card, change) for card, change in rows if change is not None]
    if not rows:
        return ""
    for card, change in rows:
        digits = 2 if change["kind"] == "mean" else 1
        card["change"] = {
            "value": change["change"],
            "low": float(change["low"]),
            "high": float(change["high"]),
            "text": format_difference(change["change"], change["low"], change["high"], digits),
            "significant": bool(change["significant"]),
            "p": float(change["p"]),
            "p_adjusted": float(change["p_adjusted"]),
            "since": trends.previous,
            "previous_n": int(change["previous_n"]),
            "last_n": int(change["last_n"]),
            "suppressed": bool(change["below_min_base"]),
        }
    if trends.family_size == 0:
        return ""
    return (
        f"Changes since {trends.previous} are those of the table of what moved, with its "
        "intervals and verdicts: "
        + family_note(
            trends.correction,
            trends.family_size,
            trends.family_level,
            trends.confidence,
            "changes in that table",
        )
    )


def _feedback_cards(study, results) -> tuple[str, list[dict]]:
    """Without survey KPIs: the brand's feedback shares against the best competitor."""
    c = results.comparison
    if c is None:
        return "No survey KPIs", []
    v = c.values[c.values["touchpoint"].isna() & ~c.values["measure"].str.startswith("reason:")]
    cards = []
    for _, rows in v.groupby("measure", sort=False):
        own = rows[rows["brand"] == c.brand]
        if own.empty:
            continue
        card = own.iloc[0].to_dict()
        card["statistic"] = card["label"] + (
            " (lower is better)" if card["lower_is_better"] else ""
        )
        others = rows[(rows["brand"] != c.brand) & ~rows["below_min_base"]]
        if not others.empty:
            best = others.loc[
                others["value"].idxmin() if card["lower_is_better"] else others["value"].idxmax()
            ]
            card["leader"] = {"brand": best["brand"], "value": best["value"], "n": best["n"]}
            tested = c.table[
                (c.table["measure"] == card["measure"]) & (c.table["competitor"] == best["brand"])
            ]
            t = tested.iloc[0] if len(tested) else None
            if t is not None and t["brand_n"] >= c.min_base and not t["competitor_below_min_base"]:
                verdict = "significant" if t["significant"] else "within chance"
                card["leader"]["difference"] = (
                    f"{c.brand} - {best['brand']}: "
                    f"{format_difference(t['difference'], t['low'], t['high'], 1)} {verdict}"
                )
        cards.append(card)
    return f"{c.brand}, in its customers' feedback", cards


def _findings(results) -> list[str]:
    found = []
    if results.gaps is not None and results.gaps.shortfalls(top=1).lines:
        found.append("Biggest shortfall: " + results.gaps.shortfalls(top=1).lines[0])
    if results.drivers is not None:
        top = results.drivers.table.sort_values("rank").iloc[0]
        found.append(
            f"What matters most for {results.drivers.outcome_label}: {top['label']}, "
            f"{top['share']:.0f}% of the explained variance [{top['share_low']:.0f}, "
            f"{top['share_high']:.0f}] (R² {results.drivers.r2:.2f}, n={results.drivers.n:,})."
        )
    if results.comparison is not None:
        lines = results.comparison.summary().lines
        found.append("Against competitors: " + (lines[0] if lines else "at parity everywhere."))
    if results.trends is not None and len(found) < 3:
        found.append("Since the last wave: " + str(results.trends.moved()).split("\n")[0])
    return found[:3]


def _personas(study, results):
    seg = results.segmentation
    if seg is None:
        return None
    html = seg._repr_html_() + _img(seg.plot(), "segments on the map of respondents")
    title = "Levels, not personas" if seg.structure == "continuum" else "Personas"
    return Section("personas", title, html)


def _gaps(study, results):
    if results.gaps is None:
        return None
    html = (
        "<p>Experience minus expectation for the brand's customers, per touchpoint along the "
        "journey; bars left of zero fall short.</p>"
        + _img(results.gaps.plot(), "gap per touchpoint")
        + "<h3>The three biggest shortfalls</h3>"
        + results.gaps.shortfalls(top=3)._repr_html_()
    )
    return Section("gaps", "Expectations against experiences", html)


def _drivers(study, results):
    if results.drivers is None:
        return None
    d = results.drivers
    html = (
        _img(d.plot(), "importance-performance chart")
        + "<h3>Concentrate here</h3>"
        + d.findings(top=3)._repr_html_()
        + "<details><summary>Every touchpoint</summary>"
        + d._repr_html_()
        + "</details>"
    )
    return Section("drivers", "What matters most: drivers and priorities", html)


def _competitors(study, results):
    c = results.comparison
    if c is None:
        return None
    html = c.summary()._repr_html_()
    if c.values["touchpoint"].notna().any():
        html += _img(c.plot(), "scores by brand")
    return Section("competitors", "Competitors", html)


def _journey(study, results):
    parts = []
    if results.journey is not None:
        parts.append(_img(results.journey.plot(), "journey map"))
        parts.append("<h3>Pain points</h3>" + results.journey.pain_points(top=5)._repr_html_())
    waits = None
    if study.codebook.operational and results.can_run("Waiting", "operations"):
        waits = operations(study)
    worst = None if waits is None else waits.worst_wait()
    if waits is not None and worst is None:
        parts.append(
            "<p><b>Waiting.</b> "
            + escape(
                f"No waiting or response time with a target has a base of "
                f"{study.codebook.min_base:,} answers or more: suppressed."
            )
            + "</p>"
        )
    if worst is not None:
        parts.append(
            "<p><b>Waiting.</b> "
            + escape(
                f"{worst['label']}: median {worst['median']:.1f} {worst['unit']} "
                f"[{format_bound(worst['median_low'], side='lower')}, "
                f"{format_bound(worst['median_high'])}] against a target of "
                f"{worst['target']:g}; {worst['over_target']:.0%} of customers wait longer "
                f"(n={worst['n']:,})."
            )
            + "</p>"
        )
    if results.funnel is not None:
        a = results.funnel.abandonment.iloc[0]
        parts.append(
            "<p><b>Web shop.</b> "
            + escape(
                f"The weakest step is '{a['step']}': of the {a['sessions']:,} sessions that "
                f"reach it, {a['drop']:.0%} do not continue (only {a['conversion']:.0%} "
                f"[{a['low']:.0%}, {a['high']:.0%}] go on to the next step)."
            )
            + "</p>"
        )
    if not parts:
        return None
    return Section("journey", "The customer journey", "".join(parts))


def _feedback(study, results):
    if study.codebook.feedback is None or study.codebook.feedback.reason is None:
        return None
    if not results.can_run("Complaints along the journey", "reviews"):
        return None
    r = reviews(study)
    return Section("feedback", "Complaints along the journey", r._repr_html_())


def _what_customers_say(study, results):
    """Sentiment by brand, the top themes by share and by impact, the words of
    detractors, two quotes and the follow-up count (as the chapter shows them)."""
    mood = results.sentiment
    if mood is None:
        return None
    shown = mood.display()
    dimensions = shown.index.get_level_values("dimension")
    by_brand = shown[dimensions.isin(["all", "brand"])]
    parts = [
        "<h3>Sentiment</h3>",
        mood.findings(top=1)._repr_html_(),
        html_table(by_brand, mood.min_base, mood.caption().replace(mood.describe_method(), "")),
        "<h3>What they write about</h3>",
        results.themes.findings(top=3)._repr_html_(),
    ]
    impact = results.theme_drivers
    if impact is not None:
        parts += [
            "<h3>Themes that go with a lower score</h3>",
            impact.lowering(top=3)._repr_html_(),
            f"<h3>What {escape(impact.groups[0])} say that {escape(impact.groups[1])} don't</h3>",
            impact.vocabulary(top=6)._repr_html_(),
        ]
    parts += [
        "<h3>In their own words</h3>",
        results.themes.quotes(top=2)._repr_html_(),
        "<h3>Who needs a reply</h3>",
        results.follow_up.findings(top=1)._repr_html_(),
    ]
    return Section("comments", "What customers say", "".join(parts))


def _strategy(study, results):
    if results.strategy is None:
        return None
    s = results.strategy
    roadmap = (
        "<h3>Roadmap</h3>"
        + html_table(s.display(), s.min_base, s.caption())
        + "<p class='cx-note'>A cycle, not a campaign: measure again, compare with this report, "
        "adjust the priorities.</p>"
    )
    return Section("strategy", "Strategy and roadmap", s._repr_html_() + roadmap)


def _trends(study, results):
    if results.trends is None:
        return None
    t = results.trends
    return Section(
        "trends", f"What moved since {t.previous}", t.moved()._repr_html_() + t._repr_html_()
    )


def _method(study, results):
    """The methods this report used, and only those."""
    lines = []
    if "nps" in study.codebook.outcomes:
        lines.append(
            "NPS = % promoters (9-10) - % detractors (0-6); interval: adjusted Wald (Rocks 2016)."
        )
    lines.append(
        "Shares: Wilson score intervals; means: Student t intervals"
        + (
            "; survey weights through Kish's effective sample size."
            if study.codebook.weight
            else "."
        )
    )
    if results.gaps is not None:
        lines.append(
            "Gaps: experience - expectation per respondent; interval and paired t test from "
            "the paired differences, Wilcoxon signed-rank as a check; "
            f"{CORRECTION_NAMES[results.gaps.correction]} correction across each table, with "
            "intervals that match the corrected verdicts."
        )
    if results.drivers is not None:
        d = results.drivers
        lines.append(f"Drivers of {d.outcome_label}: {d.method}; quadrants: {d.crosshair_rule}.")
    if results.comparison is not None:
        lines.append(
            "Competitors: Welch t (means), two-proportion z with Newcombe's interval (shares)"
            + (", z on the NPS difference" if "nps" in study.codebook.outcomes else "")
            + f"; {CORRECTION_NAMES[results.comparison.correction]} correction across the "
            "table, with intervals that match the corrected verdicts; the leader is the brand "
            "with the best score, and every rival is in the corrected family."
        )
    if results.trends is not None:
        lines.append(
            f"Changes {results.trends.last} against {results.trends.previous}: the same tests "
            f"as for competitors, {CORRECTION_NAMES[results.trends.correction]} correction "
            "across the table; the headline cards' changes are a family of their own."
        )
    if results.strategy is not None:
        lines.append(
            "Pain = importance x shortfall x reach. Priorities ranked by a scenario: the outcome "
            "change that would go with reaching each goal alone if the driver link were causal "
            "(model predictions kept within the outcome's bounds; bootstrap over the whole "
            "chain: model, reach, experience and goal). Goals: the codebook's target, else the "
            "expectation plus a tenth of the scale, capped at its top. Priorities are not "
            "additive."
        )
    if results.segmentation is not None:
        seg = results.segmentation
        lines.append(f"Segments: {seg.choice.reason} {seg.verdict}")
    lines.append(f"Groups with fewer than {study.codebook.min_base} answers are suppressed.")
    return Section("method", "Appendix: method", Findings(tuple(lines))._repr_html_())


def _quality(study):
    q = study.quality
    return Section("quality", "Appendix: data quality", q._repr_html_())
