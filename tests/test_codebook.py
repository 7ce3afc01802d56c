"""The codebook: what parses, and the errors that name the file and the key."""

import pytest
import yaml
from conftest import BASIC_CODEBOOK

import cxresearch as cx
from cxresearch.data import STAGES, touchpoint_catalog


def write_codebook(tmp_path, **changes):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**BASIC_CODEBOOK, **changes}, sort_keys=False))
    return path


def test_demo_codebook_parses_with_catalog_text(demo):
    cb = demo.codebook
    assert cb.brand == "Acme" and cb.min_base == 30
    assert {tp.stage for tp in cb.touchpoints} == set(STAGES)
    hotline = cb.touchpoint("hotline")
    assert hotline.stage == "after" and hotline.expectation.column == "exp_hotline"
    assert hotline.catalog["behaviours"]["do"]
    assert hotline.catalog["experience_to_deliver"]


def test_catalog_covers_the_three_stages_with_behaviours_and_resources():
    catalog = touchpoint_catalog()
    assert len(catalog) >= 15
    for entry in catalog.values():
        assert entry["stage"] in STAGES
        assert set(entry["behaviours"]) == {"do", "dont", "do_differently"}
        assert entry["resources"] and entry["experience"]


def test_unknown_stage_is_named(tmp_path):
    touchpoints = [{**BASIC_CODEBOOK["touchpoints"][0], "stage": "durring"}]
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(write_codebook(tmp_path, touchpoints=touchpoints))
    assert "study.yaml" in str(err.value)
    assert "touchpoints.website.stage" in str(err.value) and "durring" in str(err.value)


def test_a_column_named_twice_is_an_error_naming_both_roles(tmp_path):
    outcomes = {**BASIC_CODEBOOK["outcomes"], "loyalty": {"column": "sat", "scale": [1, 5]}}
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(write_codebook(tmp_path, outcomes=outcomes))
    assert err.value.column == "sat"
    assert "outcomes.csat and outcomes.loyalty" in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_codebook(
        tmp_path,
        min_base=0,
        touchpionts=[],
        outcomes={
            "nps": {"column": "recommend", "scale": [1, 11]},
            "csat": {"column": "sat", "scale": [5, 1]},
        },
    )
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(path)
    keys = {p.column for p in err.value.problems}
    assert {"touchpionts", "min_base", "outcomes.nps.scale", "outcomes.csat.scale"} <= keys


def test_missing_codebook_and_invalid_yaml(tmp_path):
    with pytest.raises(cx.StudyError, match="does not exist"):
        cx.Codebook.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(cx.StudyError, match="not valid YAML"):
        cx.Codebook.from_yaml(bad)


def test_operational_measure_must_name_a_declared_touchpoint(tmp_path):
    path = write_codebook(tmp_path, operational=[{"column": "wait", "touchpoint": "queue"}])
    with pytest.raises(cx.StudyError, match="names no declared touchpoint"):
        cx.Codebook.from_yaml(path)


def test_touchpoint_from_the_catalog_needs_no_stage_or_label(tmp_path):
    touchpoints = [{"id": "hotline", "experience": {"column": "perf_hot", "scale": [1, 7]}}]
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path, touchpoints=touchpoints))
    assert cb.touchpoints[0].stage == "after" and cb.touchpoints[0].label != "hotline"


def test_item_missing_codes_override_the_study_default(tmp_path):
    outcomes = {"nps": {"column": "recommend", "scale": [0, 10], "missing": [11]}}
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path, outcomes=outcomes))
    assert cb.outcomes["nps"].missing == (11.0,)
    assert cb.touchpoint("website").experience.missing == (98.0, 99.0)
