"""Theme drivers: mention gaps, relative weights, and Monroe et al.'s fightin' words."""

from __future__ import annotations

import numpy as np
import pytest
from text_helpers import planted_study

from cxresearch.analyses.text import fightin_words, theme_drivers


def test_fightin_words_matches_a_hand_computation():
    a = ["late late parcel", "late staff"]
    b = ["kind staff", "kind parcel"]
    table = fightin_words(a, b, prior=10.0).set_index("word")
    # corpus counts: late 3, parcel 2, staff 2, kind 2 -> pi = 3/9, 2/9, 2/9, 2/9; a0 = 10
    y_a, y_b, n_a, n_b, a0 = 3, 0, 5, 4, 10.0
    a_late = 10 * 3 / 9
    delta = np.log((y_a + a_late) / (n_a + a0 - y_a - a_late)) - np.log(
        (y_b + a_late) / (n_b + a0 - y_b - a_late)
    )
    z = delta / np.sqrt(1 / (y_a + a_late) + 1 / (y_b + a_late))
    assert table.loc["late", "delta"] == pytest.approx(delta)
    assert table.loc["late", "z"] == pytest.approx(z)
    assert table.loc["kind", "z"] < 0 < table.loc["late", "z"]
    assert table.loc["staff", "delta"] == pytest.approx(
        np.log((1 + 20 / 9) / (5 + 10 - 1 - 20 / 9)) - np.log((1 + 20 / 9) / (4 + 10 - 1 - 20 / 9))
    )


def test_planted_bad_topic_drives_the_outcome_down(tmp_path):
    study, _ = planted_study(tmp_path, n=500, languages=("pl",), bad_topic="delivery")
    codeframe = {"delivery": ["paczka", "kurier", "przesyłka", "dostawa"], "price": ["cena"],
                 "app": ["aplikacja"], "staff": ["obsługa", "konsultant", "pracownik"]}  # fmt: skip
    result = theme_drivers(study, codeframe=codeframe)
    table = result.table.set_index("theme")
    assert table["gap"].idxmin() == "delivery" and table.loc["delivery", "gap_high"] < 0
    assert table["weight"].idxmax() == "delivery"
    assert table.loc["delivery", "weight_low"] > table.drop("delivery")["weight"].max()
    detractor_words = set(result.words.loc[result.words["side"] == "detractors", "word"])
    assert {"paczka", "kurier"} & detractor_words
    assert "delivery" in str(result.findings())
    assert result.groups == ("detractors", "promoters")
