"""Sentiment: hand labels, ratings, lexicon; shares with honest intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA
from text_helpers import planted_study

from cxresearch.analyses.text import sentiment
from cxresearch.analyses.text._planted import planted_comments
from cxresearch.errors import StudyError
from cxresearch.stats import kish_effective_n, wilson_interval

TWEETS = SHARED_DATA / "twitter-airline-sentiment" / "Tweets.csv"


@pytest.mark.slow  # 14,640 tweets, 5 folds (~15 s)
@pytest.mark.skipif(not TWEETS.exists(), reason="shared airline tweets are absent")
def test_airline_tweets_beat_majority_and_bag_of_words_baselines():
    from sklearn.dummy import DummyClassifier
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    tweets = pd.read_csv(TWEETS)
    result = sentiment(
        list(tweets["text"]), labels=list(tweets["airline_sentiment"]), language="en"
    )
    assert result.method == "labels" and result.folds == 5
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    y = tweets["airline_sentiment"]

    def baseline(model):
        return cross_val_score(model, tweets["text"], y, cv=folds, scoring="f1_macro").mean()

    majority = baseline(DummyClassifier(strategy="most_frequent"))
    bag_of_words = baseline(
        make_pipeline(CountVectorizer(), SGDClassifier(loss="log_loss", random_state=0))
    )
    assert result.macro_f1 > bag_of_words + 0.01 > majority + 0.3
    assert result.macro_f1 > 0.72  # the human labels' own agreement limits this set (~0.75)
    assert result.confusion.to_numpy().sum() == len(tweets)
    assert (result.comments["source"] == "label").all()


def test_labelled_fraction_codes_the_rest():
    d = planted_comments(600, languages=("pl", "ru", "bg", "ro", "en"), random_state=2)
    labels = d["sentiment"].where(np.arange(len(d)) % 3 == 0, None)
    result = sentiment(list(d["text"]), labels=list(labels))
    predicted = result.comments["source"] == "model"
    assert predicted.sum() == 400
    agreement = (result.comments["sentiment"][predicted] == d["sentiment"][predicted]).mean()
    assert agreement > 0.85
    assert set(result.comments["language"]) == {"pl", "ru", "bg", "ro", "en"}


def test_ratings_are_used_when_there_are_no_labels(tmp_path):
    study, d = planted_study(tmp_path, n=400, languages=("ro", "bg"))
    result = sentiment(study)
    assert result.method == "ratings" and 0 < result.macro_f1 <= 1
    negative = result.comments["sentiment"] == "negative"
    assert (negative == (d["sentiment"] == "negative")).mean() > 0.9  # 8/10 reads passive
    assert "score bands" in result.describe_method()


def test_lexicon_is_the_fallback_and_says_so():
    texts = ["Obsługa była bardzo miła, polecam!", "Nie polecam, fatalna obsługa.",
             "Ужасная задержка доставки.", "Great service, thank you", "Order 12345."]  # fmt: skip
    result = sentiment(texts)
    assert result.method == "lexicon" and result.macro_f1 is None
    assert list(result.comments["sentiment"]) == [
        "positive", "negative", "negative", "positive", "neutral"
    ]  # fmt: skip
    assert "lexicon" in str(result.findings()) or "lexicon" in result.caption()


def test_weighted_shares_use_kish_effective_n(tmp_path):
    study, _ = planted_study(tmp_path, n=300, weights=True)
    result = sentiment(study, confidence=0.9)
    overall = result.table.iloc[0]
    w = study.responses["w"].to_numpy()
    negative = (result.comments["sentiment"] == "negative").to_numpy()
    share = np.average(negative, weights=w)
    low, high = wilson_interval(share, kish_effective_n(w), 0.9)
    assert overall["negative"] == pytest.approx(100 * share)
    assert (overall["negative_low"], overall["negative_high"]) == pytest.approx(
        (100 * low, 100 * high)
    )
    assert result.weighted and "90% interval" in result.caption()


def test_small_groups_are_suppressed():
    texts = [f"great service {i}" for i in range(10)]
    shown = sentiment(texts).display()
    assert shown.iloc[0, 0].startswith("suppressed (n=10 < 30)")


def test_too_few_labels_is_a_clear_error():
    with pytest.raises(StudyError, match="at least 20 hand labels"):
        sentiment(["good", "bad", "fine"], labels=["positive", "negative", None])


def test_unknown_label_words_are_named():
    with pytest.raises(ValueError, match="furious"):
        sentiment(["good", "bad"], labels=["positive", "furious"])
