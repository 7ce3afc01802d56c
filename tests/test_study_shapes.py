"""Studies of other shapes than the demo: each analysis either works or says, in a
StudyError, what the study lacks (never a pandas error).

A start on the study-shape matrix of the "any study" issue: an experience-only
study (no expectations, no emotions, no NPS, no events) and a study whose only
outcome is yes/no.
"""

import pytest
from conftest import reshaped

import cxresearch as cx

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def experience_only(demo_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes") / "experience-only"
    return cx.load_study(reshaped(demo_path, folder, {"csat", "retained"}))


@pytest.fixture(scope="module")
def yes_no_only(demo_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes") / "yes-no"
    return cx.load_study(reshaped(demo_path, folder, {"retained"}, expectations=True))


@pytest.mark.parametrize(
    "analysis, lacking",
    [
        (lambda s: cx.gaps(s), "expectations or targets"),
        (lambda s: cx.journey(s), "expectations or targets"),
        (lambda s: cx.funnel(s), "web events"),
        (lambda s: cx.reviews(s), "a feedback: section"),
        (lambda s: cx.loyalty_links(s), "NPS and a retained"),
    ],
)
def test_an_analysis_says_what_the_study_lacks(experience_only, analysis, lacking):
    with pytest.raises(cx.StudyError, match=lacking):
        analysis(experience_only)


def test_experience_only_studies_get_drivers_of_their_own_outcome(experience_only):
    assert experience_only.supports("outcome") and not experience_only.supports("expectations")
    result = cx.drivers(experience_only, n_boot=0)
    assert result.outcome == "csat"  # no NPS: the next outcome in line
    assert result.table["share"].sum() == pytest.approx(100)
    assert cx.smileys(experience_only).table.empty
    assert cx.segment(experience_only, k=2, n_boot=0).k == 2


def test_a_yes_no_outcome_alone_is_an_outcome_to_relate(yes_no_only):
    assert yes_no_only.supports("outcome")
    result = cx.drivers(yes_no_only, n_boot=0)
    assert result.outcome == "retained" and "logistic" in result.method
    plan = cx.strategy(yes_no_only, n_boot=0)
    assert plan.outcome == "retained"


@pytest.mark.slow
def test_an_experience_only_study_renders_with_its_drivers(experience_only, tmp_path):
    index = cx.render_report(
        experience_only.codebook.path, tmp_path / "report", {"n_boot": 20}, progress=False
    )
    html = index.read_text()
    chapters = {p.stem for p in (tmp_path / "report" / "chapters").glob("*.html")}
    assert {"03_gaps_drivers", "06_strategy"} <= chapters
    assert "What matters most" in html
    assert "no touchpoint scores and outcome to relate" not in html
    gaps_page = (tmp_path / "report" / "chapters" / "03_gaps_drivers.html").read_text()
    assert "asks no expectations and sets no targets" in gaps_page


def test_a_custom_yes_no_outcome_is_first_class_under_its_own_label(tmp_path):
    """A text-labelled yes/no satisfaction with a label: its own name in every table,
    the same name for its change between waves; "don't know" codes are not a "no"."""
    import numpy as np
    import pandas as pd
    from conftest import write_study

    rng = np.random.default_rng(2)
    n = 400
    happy = rng.random(n) < np.where(np.arange(n) < n // 2, 0.5, 0.8)  # planted rise
    answer = np.where(happy, "satisfied", "neutral or dissatisfied").astype(object)
    answer[rng.random(n) < 0.1] = 98  # the study's "don't know" code
    rows = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "airline": "Acme",
            "year": np.where(np.arange(n) < n // 2, "Wave 9", "Wave 10"),
            "Satisfaction": answer,
            "seat": rng.integers(1, 6, n),
        }
    )
    codebook = {
        "name": "Passengers",
        "brand": "Acme",
        "responses": "responses.csv",
        "min_base": 20,
        "missing": [98],
        "columns": {"id": "id", "brand": "airline", "wave": "year"},
        "outcomes": {
            "satisfied": {
                "column": "Satisfaction",
                "true": ["satisfied"],
                "label": "Satisfied passengers",
            }
        },
        "touchpoints": [
            {"id": "seat", "stage": "during", "experience": {"column": "seat", "scale": [1, 5]}}
        ],
    }
    study = cx.load_study(write_study(tmp_path, rows, codebook))
    assert study.quality.dont_know["Satisfaction"] == int((answer == 98).sum())
    table = cx.kpis(study).table
    assert list(table["statistic"]) == ["Satisfied passengers %"]
    valid = answer != 98
    assert table["value"].iloc[0] == pytest.approx(100 * happy[valid].mean())
    change = cx.trends(study).change_of("Satisfied passengers %")
    assert change is not None and change["previous_value"] < change["last_value"]
    assert cx.drivers(study, n_boot=0).outcome == "satisfied"


def test_experience_only_priorities_come_from_importance_and_performance(experience_only):
    """No expectations: a touchpoint that matters and performs below the typical one
    is a priority, aimed at the best competitor or the top of the scale."""
    plan = cx.strategy(experience_only, n_boot=20)
    hotline = plan.priorities.set_index("touchpoint").loc["hotline"]  # the planted weak spot
    assert "performs below the typical touchpoint" in hotline["evidence"]
    assert hotline["target"] > hotline["current"] and hotline["expected_change"] > 0
    assert "best competitor" in hotline["challenge"] or "top of the scale" in hotline["challenge"]


@pytest.mark.slow
def test_a_pilot_of_six_respondents_renders_without_personas(tmp_path):
    """Too few respondents to segment: the personas are left out with a note, and the
    chapters that use segments go on without them."""
    from conftest import write_study

    index = cx.render_report(write_study(tmp_path / "pilot"), tmp_path / "out", progress=False)
    chapters = {p.stem[:2] for p in (tmp_path / "out" / "chapters").glob("*.html")}
    assert "02" not in chapters and {"03", "06"} <= chapters
    assert "fewer than 20 respondents" in index.read_text()
