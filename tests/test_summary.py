"""The manager's page: what the headline cards claim is what the data show."""

from conftest import reshaped

import cxresearch as cx
from cxresearch.report.summary import build_report


def test_headline_cards_show_the_latest_wave_with_both_bases(demo):
    report = build_report(demo)
    trends = cx.trends(demo)
    assert report.cards_title.endswith(trends.last)
    latest = demo.responses[demo.responses["wave"].astype("string") == trends.last]
    own = latest[latest["brand_rated"] == demo.brand]
    nps = next(card for card in report.cards if card["statistic"] == "NPS")
    assert nps["n"] == int(own["recommend"].notna().sum())  # not the pooled base
    expected = cx.nps(
        own["recommend"].dropna(), weights=own.loc[own["recommend"].notna(), "weight"]
    )
    assert nps["value"] == expected.value
    change = trends.change_of("NPS")
    assert (nps["change"]["previous_n"], nps["change"]["last_n"]) == (
        change["previous_n"],
        change["last_n"],
    )


def test_the_best_competitor_follows_the_direction_of_the_measure(demo):
    """For an outcome where lower is better, the best competitor has the lowest value."""
    from dataclasses import replace

    outcomes = dict(demo.codebook.outcomes)
    outcomes["ces"] = replace(outcomes["ces"], lower_is_better=True)
    study = replace(demo, codebook=replace(demo.codebook, outcomes=outcomes))
    card = next(c for c in build_report(study).cards if c["statistic"] == "CES mean")
    table = cx.kpis(study, by=["brand", "wave"]).table
    rivals = table[
        (table["statistic"] == "CES mean")
        & (table["brand_rated"] != study.brand)
        & (table["wave"] == cx.trends(study).last)
    ]
    assert card["leader"]["value"] == rivals["value"].min()


def test_the_method_appendix_lists_only_the_methods_used(demo_path, tmp_path):
    """An experience-only study without NPS: no NPS, gap or competitor-NPS method lines."""
    study = cx.load_study(reshaped(demo_path, tmp_path / "s", {"csat", "retained"}))
    report = build_report(study)
    method = next(s for s in report.sections if s.id == "method").html
    assert "NPS =" not in method and "Gaps:" not in method
    assert "Drivers of CSAT" in method and "z on the NPS difference" not in method
    assert report.skipped and len(report.skipped_once()) == len(set(report.skipped))
    assert any("Expectations" in line for line in report.skipped_once())


def test_the_main_outcome_is_a_report_parameter(demo, capsys, tmp_path):
    settings = cx.ChapterSettings.from_parameters({"outcome": "csat"})
    report = build_report(demo, settings)
    drivers = next(s for s in report.sections if s.id == "drivers").html
    assert "drivers of csat" in drivers.lower()
    from cxresearch.cli import main

    code = main(
        ["report", str(demo.codebook.path), "--out", str(tmp_path / "r"), "-p", "outcome", "wow"]
    )
    assert code == 1 and "the study has no outcome 'wow'" in capsys.readouterr().err


def test_a_change_between_small_waves_is_suppressed_on_the_card(demo):
    from conftest import with_min_base

    study = with_min_base(demo, 5000)  # every wave's base is below it
    card = build_report(study).cards[0]
    assert card["change"]["suppressed"]


def test_a_feedback_card_shows_the_difference_to_the_best_competitor(demo_path, tmp_path):
    """Without survey KPIs the cards compare feedback shares; the card gives the
    difference to the best competitor with its family interval and verdict, so
    nobody reads "trails" into a gap within chance."""
    from types import SimpleNamespace

    from shapes import make_shape

    from cxresearch.report.summary import _feedback_cards

    study = cx.load_study(make_shape("text_only", tmp_path / "text", demo_path))
    comparison = cx.compare(study)
    _, cards = _feedback_cards(study, SimpleNamespace(comparison=comparison))
    leader = cards[0]["leader"]
    row = comparison.table[
        (comparison.table["measure"] == cards[0]["measure"])
        & (comparison.table["competitor"] == leader["brand"])
    ].iloc[0]
    verdict = "significant" if row["significant"] else "within chance"
    assert leader["difference"].endswith(verdict)
    assert f"{row['low']:+.1f}" in leader["difference"]
