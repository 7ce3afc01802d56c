"""Themes: planted topics recovered in five languages, codeframes, hand codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, write_study
from text_helpers import TEXT_CODEBOOK, planted_study

import cxresearch as cx
from cxresearch.analyses.text import themes
from cxresearch.analyses.text._planted import TOPICS, planted_comments

TWEETS = SHARED_DATA / "twitter-airline-sentiment" / "Tweets.csv"
CODEFRAME = {
    "delivery": {
        "keywords": ["delivery", "courier", "parcel", "dostawa", "kurier", "paczka",
                     "przesyłka", "доставка", "курьер", "посылка", "пратка", "куриер", "colet",
                     "curier", "livra*"],
        "touchpoint": "delivery",
    },
    "price": ["price", "expensive", "cena", "цена", "preț", "scump", "taxă"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["pl", "ru", "bg", "ro", "en"])
def test_topic_model_recovers_planted_topics(language):
    d = planted_comments(400, languages=(language,), random_state=3)
    result = themes(list(d["text"]))
    primary = result.comments["theme"]
    assert primary.notna().mean() > 0.95
    crossed = pd.crosstab(primary, d["topic"])
    purity = crossed.max(axis=1).sum() / crossed.to_numpy().sum()
    assert purity > 0.9
    assert set(crossed.idxmax(axis=1)) == set(TOPICS)  # every planted topic leads a theme
    assert set(result.table["language"]) == {language}


def test_mixed_languages_get_themes_per_language():
    d = planted_comments(1500, random_state=4)
    result = themes(list(d["text"]), k=4)
    assert sorted(result.table["language"].value_counts().to_dict().values()) == [4] * 5
    crossed = pd.crosstab(result.comments["theme"], d["topic"] + "/" + d["language"])
    assert crossed.max(axis=1).sum() / crossed.to_numpy().sum() > 0.85


def test_codeframe_codes_across_languages():
    d = planted_comments(500, random_state=5)
    result = themes(list(d["text"]), codeframe=CODEFRAME)
    assert result.method == "codeframe"
    delivery = result.mentions["delivery"].to_numpy()
    assert (delivery == (d["topic"] == "delivery").to_numpy()).mean() > 0.97
    price = result.mentions["price"].to_numpy()
    assert price[(d["topic"] == "price").to_numpy()].mean() > 0.85  # "Great value" has no keyword
    row = result.table.set_index("theme").loc["delivery"]
    assert row["touchpoint"] == "delivery" and row["n"] == delivery.sum()
    assert row["share"] == pytest.approx(100 * delivery.mean())


def test_outcome_gap_matches_a_hand_computed_nps_difference(tmp_path):
    study, d = planted_study(tmp_path, n=400, bad_topic="delivery")
    result = themes(study, codeframe=CODEFRAME)
    row = result.table.set_index("theme").loc["delivery"]
    score, hit = d["score"].to_numpy(), result.mentions["delivery"].to_numpy()

    def nps(x):
        return 100 * ((x >= 9).mean() - (x <= 6).mean())

    assert row["gap"] == pytest.approx(nps(score[hit]) - nps(score[~hit]))
    assert row["gap_high"] < 0 < row["gap"] - row["gap_low"]


def test_examples_have_contacts_masked():
    texts = [f"The courier lost my parcel, call me on +48 601 234 56{i % 10}" for i in range(40)]
    result = themes(texts + ["The price is too expensive."] * 40, codeframe=CODEFRAME)
    example = result.table.set_index("theme").loc["delivery", "examples"][0]
    assert "[phone]" in example and "601" not in example


@pytest.mark.skipif(not TWEETS.exists(), reason="shared airline tweets are absent")
def test_tweet_reasons_coded_from_a_labelled_third():
    tweets = pd.read_csv(TWEETS)
    negative = tweets[tweets["airline_sentiment"] == "negative"].reset_index(drop=True)
    coded = np.arange(len(negative)) % 3 == 0
    labels = negative["negativereason"].where(coded, None)
    result = themes(list(negative["text"]), labels=list(labels), language="en")
    assert result.method == "labels"
    predicted = result.comments["theme"][~coded]
    truth = negative["negativereason"][~coded]
    majority = truth.value_counts(normalize=True).iloc[0]
    assert (predicted == truth).mean() > majority + 0.25
    by_theme = result.table.set_index("theme")
    assert by_theme.loc["Lost Luggage", "recall"] > 0.6
    assert by_theme.loc["Late Flight", "precision"] > 0.6


def test_the_codebooks_codeframe_codes_by_default_and_an_argument_wins(tmp_path):
    frame = [
        {"theme": "delivery", "keywords": ["delivery", "courier", "parcel", "package"]},
        {"theme": "price", "keywords": ["price", "expensive", "cheap"]},
    ]
    study, d = planted_study(tmp_path, n=300, random_state=6)
    rows = pd.read_csv(tmp_path / "responses.csv")  # the same answers, with a codeframe
    declared = cx.load_study(write_study(tmp_path / "cf", rows, TEXT_CODEBOOK, codeframe=frame))
    assert themes(study).method == "nmf"  # no codeframe in the codebook: the topic model
    coded = themes(declared)
    assert coded.method == "codeframe" and list(coded.mentions.columns) == ["delivery", "price"]
    delivery = coded.mentions["delivery"].to_numpy()
    assert (delivery == (d["topic"] == "delivery").to_numpy()).mean() > 0.97
    assert coded.table.equals(themes(declared, codeframe=frame_as_mapping(frame)).table)
    assert list(themes(declared, codeframe=CODEFRAME).mentions.columns) == ["delivery", "price"]
    assert themes(declared, codeframe={"app": ["app"]}).table["theme"].tolist() == ["app"]


def frame_as_mapping(frame):
    return {t["theme"]: {"keywords": t["keywords"], "touchpoint": None} for t in frame}
