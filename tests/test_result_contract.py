"""Every analysis honours one result contract (as scikit-learn's estimator checks do).

An analysis is ``analysis(study, *, ...)`` with keyword-only options,
``brand="auto"`` where it has a brand, ``segments=`` a Segmentation or a
Series, and ``confidence=``. Its result is a frozen dataclass with ``table``
(tidy DataFrame), ``display()``, ``findings(top=...)``, ``plot(ax=None)``
returning the Axes (where a chart makes sense), ``_repr_html_``, and
``confidence``/``min_base``; every interval label follows ``confidence``.
"""

from __future__ import annotations

import dataclasses
import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import BASIC_CODEBOOK, with_min_base, write_study  # noqa: E402

import cxresearch as cx  # noqa: E402

CONFIDENCE = 0.9
LABEL = "90% interval"
MIN_BASE = 25  # not any dataclass default: a result that forgets the study's base fails


def feedback_study(folder):
    """Reviews of three brands with a sentiment, a reason and text."""
    rng = np.random.default_rng(4)
    n = 360
    rows = pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(n)],
            "airline": rng.choice(["Acme", "Brightline", "Corvex"], n),
            "mood": rng.choice(["negative", "neutral", "positive"], n, p=[0.5, 0.2, 0.3]),
            "why": rng.choice(["Late Flight", "Lost Luggage", "Rude staff"], n),
            "tweet": [f"Flight {i} was <b>late</b>" for i in range(n)],
        }
    )
    codebook = {
        "name": "Tweets",
        "brand": "Acme",
        "min_base": 20,
        "responses": "responses.csv",
        "columns": {"id": "id", "brand": "airline"},
        "feedback": {
            "sentiment": "mood",
            "reason": "why",
            "text": "tweet",
            "touchpoints": {"Late Flight": "queue", "Lost Luggage": "returns"},
        },
    }
    return cx.load_study(write_study(folder, rows, codebook))


ANALYSES = {
    "kpis": lambda s, t, c: cx.kpis(s, by="brand", confidence=c),
    "gaps": lambda s, t, c: cx.gaps(s, confidence=c),
    "drivers": lambda s, t, c: cx.drivers(s, n_boot=30, confidence=c),
    "segment": lambda s, t, c: cx.segment(s, k=3, n_boot=4, confidence=c),
    "compare": lambda s, t, c: cx.compare(s, confidence=c),
    "trends": lambda s, t, c: cx.trends(s, confidence=c),
    "journey": lambda s, t, c: cx.journey(s, confidence=c),
    "operations": lambda s, t, c: cx.operations(s, confidence=c),
    "funnel": lambda s, t, c: cx.funnel(s, confidence=c),
    "smileys": lambda s, t, c: cx.smileys(s, confidence=c),
    "reviews": lambda s, t, c: cx.reviews(t, confidence=c),
    "quotes": lambda s, t, c: cx.quotes(s, n=4, contains="the", confidence=c),
    "strategy": lambda s, t, c: cx.strategy(s, n_boot=30, confidence=c),
    "loyalty_links": lambda s, t, c: cx.loyalty_links(s, confidence=c),
    "scorecard": lambda s, t, c: cx.scorecard(s, by="wave", confidence=c),
    "banner": lambda s, t, c: cx.banner(s, confidence=c),
    "sentiment": lambda s, t, c: cx.sentiment(s, confidence=c),
    "themes": lambda s, t, c: cx.themes(s, confidence=c),
    "theme_drivers": lambda s, t, c: cx.theme_drivers(s, confidence=c),
    "follow_up": lambda s, t, c: cx.follow_up(s, confidence=c),
}


@pytest.fixture(scope="module")
def studies(demo, tmp_path_factory):
    tweets = feedback_study(tmp_path_factory.mktemp("tweets"))
    return with_min_base(demo, MIN_BASE), with_min_base(tweets, MIN_BASE)


@pytest.fixture(scope="module")
def results(studies):
    return {name: make(*studies, CONFIDENCE) for name, make in ANALYSES.items()}


@pytest.fixture(scope="module")
def results_95(studies):
    return {name: make(*studies, 0.95) for name, make in ANALYSES.items()}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_every_public_analysis_is_checked(results):
    exported = {
        name for name in cx.__all__ if isinstance(getattr(cx, name), type)
        and issubclass(getattr(cx, name), cx.Result) and name != "Result"
    }  # fmt: skip
    assert {type(r).__name__ for r in results.values()} == exported


@pytest.mark.parametrize("name", ANALYSES)
def test_signature_study_then_keyword_only_options(name):
    parameters = list(inspect.signature(getattr(cx, name)).parameters.values())
    assert parameters[0].name == "study"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for p in parameters[1:]:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({p.name}) is not keyword-only"
    by_name = {p.name: p for p in parameters}
    assert "confidence" in by_name and by_name["confidence"].default == 0.95
    if "brand" in by_name:
        assert by_name["brand"].default == "auto", f"{name}: brand defaults to 'auto'"


@pytest.mark.parametrize("name", ANALYSES)
def test_result_is_a_frozen_result(results, name):
    result = results[name]
    assert isinstance(result, cx.Result)
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.min_base = 1


@pytest.mark.parametrize("name", ANALYSES)
def test_table_is_a_tidy_frame(results, name):
    table = results[name].table
    assert isinstance(table, pd.DataFrame) and len(table) > 0
    assert table.columns.is_unique and all(isinstance(c, str) for c in table.columns)


@pytest.mark.parametrize("name", ANALYSES)
def test_display_is_the_peoples_table(results, name):
    shown = results[name].display()
    assert isinstance(shown, pd.DataFrame) and len(shown) > 0


@pytest.mark.parametrize("name", ANALYSES)
def test_findings_are_at_most_top_lines_of_text(results, name):
    for top in (1, 2):
        found = results[name].findings(top=top)
        assert isinstance(found, cx.Findings)
        assert len(found.lines) <= top
        assert all(isinstance(line, str) and line for line in found.lines)
    assert str(results[name].findings())


@pytest.mark.parametrize("name", ANALYSES)
def test_plot_returns_the_axes_where_a_chart_makes_sense(results, name):
    result = results[name]
    if not result.has_plot:
        with pytest.raises(TypeError, match="no chart"):
            result.plot()
        return
    ax = result.plot(ax=None)
    assert isinstance(ax, matplotlib.axes.Axes)
    _, given = plt.subplots()
    assert result.plot(ax=given) is given
    _, given = plt.subplots()
    assert result.plot(given) is given  # the Axes is the first argument of every plot


@pytest.mark.parametrize("name", ANALYSES)
def test_confidence_and_min_base_are_carried_and_labels_follow_them(results, name):
    result = results[name]
    assert result.confidence == CONFIDENCE
    assert result.min_base == MIN_BASE
    html = result._repr_html_()
    assert isinstance(html, str) and html
    shown = html + result.caption() + " ".join(map(str, result.display().columns))
    assert LABEL in shown, f"{name}: no '{LABEL}' label"
    assert "95%" not in shown, f"{name}: a hard-coded 95% label"
    if result.has_plot:
        ax = result.plot()
        texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts + ax.get_xticklabels() + ax.get_yticklabels()]
        assert "95%" not in " ".join(texts), f"{name}: a hard-coded 95% in the chart"


def _mean_width(result) -> float:
    """The mean width of every interval in a result's table (pairs low/high, x_low/x_high)."""
    if isinstance(result, cx.Quotes):
        return result.mentions.high - result.mentions.low
    if isinstance(result, cx.FollowUp):
        return result.share_needing.high - result.share_needing.low
    t = result.table
    pairs = [("low", "high")] if {"low", "high"} <= set(t.columns) else []
    pairs += [(c, c[: -len("_low")] + "_high") for c in t.columns if c.endswith("_low")]
    widths = [(t[hi] - t[lo]).astype(float) for lo, hi in pairs if hi in t.columns]
    assert widths, f"{type(result).__name__}: no interval columns in the table"
    return float(pd.concat(widths).mean())


@pytest.mark.parametrize("name", ANALYSES)
def test_intervals_follow_confidence(results, results_95, name):
    """A 95% interval is wider than a 90% one: the numbers, not only the labels."""
    assert _mean_width(results_95[name]) > _mean_width(results[name])


def test_segments_accept_a_segmentation_or_its_labels(demo, results):
    seg = results["segment"]
    for analysis in (
        lambda s: cx.gaps(demo, by="segment", segments=s).table,
        lambda s: cx.journey(demo, by="segment", segments=s).table,
        lambda s: cx.loyalty_links(demo, segments=s).table,
    ):
        pd.testing.assert_frame_equal(analysis(seg), analysis(seg.labels))
    with pytest.raises(TypeError, match="Segmentation"):
        cx.gaps(demo, by="segment", segments=[1, 2, 3])


def test_old_names_of_findings_are_thin_aliases(results):
    assert results["gaps"].shortfalls(top=2).lines == results["gaps"].findings(top=2).lines
    assert results["journey"].pain_points(top=2).lines == results["journey"].findings(2).lines
    assert results["strategy"].top(2).lines == results["strategy"].findings(top=2).lines
    assert results["trends"].moved().lines == results["trends"].findings().lines
    assert results["compare"].summary().lines == results["compare"].findings().lines
    kpi = results["kpis"]
    pd.testing.assert_frame_equal(kpi.wide(), kpi.display())


def test_a_study_without_emotions_waits_or_kpis_gets_empty_results_not_errors(tmp_path):
    """The empty case of the contract: display, findings and HTML say there is nothing."""
    codebook = {**BASIC_CODEBOOK, "outcomes": {}}
    study = cx.load_study(write_study(tmp_path, codebook=codebook))
    results = (cx.kpis(study), cx.smileys(study), cx.operations(study), cx.quotes(study))
    codebook = {
        **BASIC_CODEBOOK,
        "outcomes": {},
        "touchpoints": [],
        "operational": [{"column": "sat"}],
    }
    no_ratings = cx.load_study(write_study(tmp_path / "text", codebook=codebook))
    for result in (*results, cx.scorecard(no_ratings)):
        assert result.table.empty
        assert isinstance(result.display(), pd.DataFrame)
        assert result.findings().lines == ()
        assert "<" in result._repr_html_()
