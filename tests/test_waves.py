"""Waves in the codebook's order or in natural order, in every analysis."""

import numpy as np
import pandas as pd
import pytest
from conftest import BASIC_CODEBOOK, write_study

import cxresearch as cx
from cxresearch.data.waves import natural_order


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["Wave 10", "Wave 9", "Wave 1"], ["Wave 1", "Wave 9", "Wave 10"]),
        (["2021", "2019", "2020", "11"], ["11", "2019", "2020", "2021"]),
        (["Mar 2024", "Dec 2023", "Jan 2024"], ["Dec 2023", "Jan 2024", "Mar 2024"]),
        (["2024-01-15", "2023-12-01"], ["2023-12-01", "2024-01-15"]),
        (["2026-Q10", "2026-Q2", "2025-Q4"], ["2025-Q4", "2026-Q2", "2026-Q10"]),
    ],
)
def test_natural_order(labels, expected):
    assert natural_order(labels) == expected


def wave_study(folder, waves, declared=None, shift=1.5):
    """Two waves of 120 respondents; CSAT rises by ``shift`` points in the later wave."""
    rng = np.random.default_rng(1)
    n = 120
    early, late = waves
    wave = np.repeat([early, late], n // 2)
    sat = np.clip(np.round(2.5 + shift * (wave == late) + rng.normal(0, 0.8, n)), 1, 5)
    rows = pd.DataFrame(
        {"id": [f"r{i}" for i in range(n)], "brand": "Acme", "wave": wave, "sat": sat}
    )
    codebook = {
        **BASIC_CODEBOOK,
        "columns": {"id": "id", "brand": "brand", "wave": "wave"},
        "outcomes": {"csat": {"column": "sat", "scale": [1, 5]}},
        "touchpoints": [],
        "min_base": 10,
    }
    if declared is not None:
        codebook["waves"] = declared
    return cx.load_study(write_study(folder, rows, codebook))


@pytest.mark.parametrize(
    "waves", [("Wave 9", "Wave 10"), (9, 10), ("Dec 2025", "Jan 2026"), ("2025-Q4", "2026-Q1")]
)
def test_trends_compare_the_later_wave_with_the_earlier_one(tmp_path, waves):
    study = wave_study(tmp_path, waves)
    result = cx.trends(study)
    assert (result.previous, result.last) == tuple(str(w) for w in waves)
    mean = result.table.set_index("measure").loc["csat"]
    assert mean["change"] > 1.0  # the planted rise, not its mirror image
    assert list(cx.kpis(study, by="wave").table["wave"].drop_duplicates()) == [
        str(w) for w in waves
    ]


def test_the_codebook_order_wins_over_natural_order(tmp_path):
    study = wave_study(tmp_path, ("spring", "autumn"), declared=["spring", "autumn"])
    assert list(study.responses["wave"].cat.categories) == ["spring", "autumn"]
    assert cx.trends(study).last == "autumn"


def test_a_wave_missing_from_the_codebook_order_is_an_error(tmp_path):
    with pytest.raises(cx.StudyError, match=r"waves not listed under waves: .*autumn"):
        wave_study(tmp_path, ("spring", "autumn"), declared=["spring", "summer"])


def test_waves_without_a_wave_column_are_an_error(tmp_path):
    with pytest.raises(cx.StudyError, match="columns.wave names no column"):
        cx.load_study(write_study(tmp_path, waves=["a", "b"]))
