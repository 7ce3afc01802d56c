"""The demo study: seeded, byte-identical, and its planted truth is in the data."""

import json

import numpy as np

import cxresearch as cx
from cxresearch.demo.planted import FUNNEL

FILES = ("study.yaml", "responses.csv", "web_events.parquet", "truth.json")


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = cx.make_demo_study(tmp_path / "a", n=300, random_state=3).parent
    b = cx.make_demo_study(tmp_path / "b", n=300, random_state=3).parent
    c = cx.make_demo_study(tmp_path / "c", n=300, random_state=4).parent
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "responses.csv").read_bytes() != (c / "responses.csv").read_bytes()


def test_demo_has_brand_competitors_stages_waves_weights_and_comments(demo):
    r = demo.responses
    assert demo.brand == "Acme"
    assert set(r["brand_rated"].cat.categories) == {"Acme", "Brightline", "Corvex", "Duomart"}
    assert set(r["wave"].cat.categories) == {"2026-Q2", "2026-Q3"}
    assert {tp.stage for tp in demo.codebook.touchpoints} == {"before", "during", "after"}
    assert r["weight"].between(0.2, 5).all() and r["weight"].std() > 0
    assert r["comment"].notna().mean() > 0.2
    assert sum(demo.quality.dont_know.values()) > 0


def test_truth_file_names_every_respondent_and_a_persona_each(demo_path, demo):
    truth = json.loads((demo_path.parent / "truth.json").read_text())
    assert set(truth["respondent_persona"]) == set(demo.responses.index)
    assert set(truth["respondent_persona"].values()) == set(truth["personas"])
    assert abs(sum(truth["driver_weights"].values()) - 1) < 1e-9


def test_planted_gaps_are_in_the_data(demo):
    long = demo.long()
    acme = long[long["brand_rated"] == "Acme"]
    gaps = acme.groupby("touchpoint", observed=True)["gap"].mean()
    assert gaps.idxmin() == "hotline"
    assert gaps.idxmax() == "website"
    website = (
        long[long["touchpoint"] == "website"]
        .groupby("brand_rated", observed=True)["experience"]
        .mean()
    )
    assert website.idxmax() == "Acme"


def test_planted_abandonment_step_and_longest_wait(demo):
    events = demo.events
    reached = events.groupby("page_type")["session_id"].nunique().reindex(FUNNEL)
    conversion = reached.to_numpy()[1:] / reached.to_numpy()[:-1]
    assert FUNNEL[int(np.argmin(conversion))] == "payment"  # payment -> confirmation drops most
    acme = demo.responses[demo.responses["brand_rated"] == "Acme"]
    waits = {c: acme[c].median() for c in ("wait_minutes_queue", "wait_minutes_hotline")}
    assert max(waits, key=waits.get) == "wait_minutes_queue"


def test_comments_include_contact_details_and_markup_to_mask_and_escape(demo):
    comments = demo.responses["comment"].dropna()
    assert comments.str.contains("@example.com").any()
    assert comments.str.contains(r"\+48").any()
    assert comments.str.contains("<b>").any()


def test_long_form_has_one_row_per_respondent_and_touchpoint(demo):
    long = demo.long()
    assert len(long) == demo.n * len(demo.codebook.touchpoints)
    assert list(long["stage"].cat.categories) == ["before", "during", "after"]
    answered = demo.responses.dropna(subset=["perf_website", "exp_website"]).iloc[0]
    row = long[(long["respondent_id"] == answered.name) & (long["touchpoint"] == "website")]
    assert row["gap"].item() == answered["perf_website"] - answered["exp_website"]
