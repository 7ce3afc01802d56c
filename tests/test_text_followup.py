"""Follow-up: who needs a reply, most severe first; answered and how fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_study

import cxresearch as cx
from cxresearch.analyses.text import follow_up
from cxresearch.stats import quantile_interval, wilson_interval


def loop_study(folder):
    n = 60
    rng = np.random.default_rng(1)
    bad = np.arange(n) % 3 == 0
    created = pd.Timestamp("2026-03-01") + pd.to_timedelta(np.arange(n), unit="h")
    answered = bad & (np.arange(n) % 2 == 0)
    rows = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "recommend": np.where(bad, rng.integers(0, 4, n), rng.integers(9, 11, n)),
            "comment": np.where(
                bad, "Terrible delivery, the parcel was late. Call me +48 601 234 567",
                "Great service, thank you",
            ),
            "perf": rng.integers(1, 6, n),
            "created": created.strftime("%Y-%m-%d %H:%M"),
            "replied": np.where(
                answered, (created + pd.to_timedelta(np.arange(n) % 7 + 1, unit="h")).strftime(
                    "%Y-%m-%d %H:%M"), ""),
        }
    )  # fmt: skip
    codebook = {
        "name": "Loop", "min_base": 5, "responses": "responses.csv", "columns": {"id": "id"},
        "outcomes": {"nps": {"column": "recommend", "scale": [0, 10]}},
        "touchpoints": [
            {"id": "delivery", "stage": "after", "experience": {"column": "perf", "scale": [1, 5]}}
        ],
        "text": [{"column": "comment", "touchpoint": "delivery"}],
    }  # fmt: skip
    return cx.load_study(write_study(folder, rows, codebook)), rows


def test_negative_comments_listed_most_severe_first_with_contacts_masked(tmp_path):
    study, rows = loop_study(tmp_path)
    result = follow_up(study)
    assert result.needing == 20 and result.comments == 60
    assert (result.table["score"] <= 3).all()
    assert result.table["severity"].is_monotonic_decreasing
    assert all("[phone]" in c and "601" not in c for c in result.table["comment"])
    assert "respondent" not in result.table and list(result.table["case"]) == list(range(1, 21))
    assert set(result.table["touchpoint"]) == {"delivery"}
    shown = follow_up(study, show_ids=True, top=3).table
    assert len(shown) == 3 and shown["respondent"].str.startswith("c").all()


def test_answered_share_and_time_to_respond(tmp_path):
    study, rows = loop_study(tmp_path)
    outside = rows.set_index("id")  # kept outside the codebook: passed as Series by id
    result = follow_up(
        study, response=outside["replied"].replace("", None), created=outside["created"],
        responded=outside["replied"].replace("", None),
    )  # fmt: skip
    bad = rows["recommend"] <= 6
    answered = rows["replied"].ne("")[bad]
    low, high = wilson_interval(answered.mean(), bad.sum())
    assert result.answered.value == pytest.approx(100 * answered.mean())
    assert (result.answered.low, result.answered.high) == pytest.approx((100 * low, 100 * high))
    hours = (
        pd.to_datetime(rows["replied"][bad & rows["replied"].ne("")])
        - pd.to_datetime(rows["created"][bad & rows["replied"].ne("")])
    ).dt.total_seconds() / 3600
    median, lo, hi = quantile_interval(hours.to_numpy(), 0.5)
    t = result.time_to_respond
    assert (t.value, t.low, t.high, t.n) == pytest.approx((median, lo, hi, len(hours)))
    assert "answered" in str(result.findings())
