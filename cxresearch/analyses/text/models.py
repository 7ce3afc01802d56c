"""The text classifier shared by sentiment and theme coding, and its cross-validation.

Features: TF-IDF of lemma unigrams and bigrams (sublinear term frequency,
words seen in at least two comments, vocabulary capped at
:data:`MAX_FEATURES`); model: logistic regression fitted by stochastic
gradient descent (scikit-learn ``SGDClassifier(loss="log_loss")``, classes
balanced), which fits a hundred thousand comments in seconds and scores a
million in under a minute. Fitting uses at most :data:`TRAIN_CAP` training
comments (a seeded sample); every comment is then scored.

Cross-validation: stratified k-fold (``k = 5`` or fewer when a class is
rarer), shuffled with the analysis's ``random_state``; the out-of-fold
predictions give macro-F1 (the mean of the classes' F1, so a rare class
counts as much as a common one) and the confusion table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..._lazy import LazyModule

_text = LazyModule("sklearn.feature_extraction.text")
_linear = LazyModule("sklearn.linear_model")
_pipeline = LazyModule("sklearn.pipeline")
_selection = LazyModule("sklearn.model_selection")
_metrics = LazyModule("sklearn.metrics")
_multiclass = LazyModule("sklearn.multiclass")

MAX_FEATURES = 2**18
TRAIN_CAP = 100_000
FOLDS = 5


def vectoriser(min_df: int = 2):
    """TF-IDF of space-joined lemmas: unigrams and bigrams, capped vocabulary."""
    return _text.TfidfVectorizer(
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=(1, 2),
        min_df=min_df,
        max_features=MAX_FEATURES,
        sublinear_tf=True,
        dtype=np.float32,
    )


def classifier(random_state: int):
    """Logistic regression by SGD, balanced classes, seeded."""
    return _linear.SGDClassifier(
        loss="log_loss",
        alpha=2e-5,
        class_weight="balanced",
        max_iter=200,
        tol=1e-3,
        random_state=random_state,
    )


def text_model(random_state: int, multilabel: bool = False, min_df: int = 2):
    """The pipeline: vectoriser then classifier (one-vs-rest for several labels)."""
    model = classifier(random_state)
    if multilabel:
        model = _multiclass.OneVsRestClassifier(model)
    return _pipeline.make_pipeline(vectoriser(min_df), model)


def capped(index: np.ndarray, random_state: int, cap: int = TRAIN_CAP) -> np.ndarray:
    """At most ``cap`` of ``index``, a seeded sample in the original order."""
    if len(index) <= cap:
        return index
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(index, cap, replace=False))


def folds_for(labels: np.ndarray) -> int:
    """Folds for stratified cross-validation: 5, or the rarest class's count."""
    return int(min(FOLDS, pd.Series(labels).value_counts().min()))


def cross_validated(docs: list[str], labels: np.ndarray, random_state: int):
    """Out-of-fold predicted labels and class probabilities, and the folds used."""
    folds = folds_for(labels)
    splitter = _selection.StratifiedKFold(folds, shuffle=True, random_state=random_state)
    model = text_model(random_state, min_df=2 if len(docs) >= 200 else 1)
    proba = _selection.cross_val_predict(
        model, np.asarray(docs, dtype=object), labels, cv=splitter, method="predict_proba"
    )
    classes = np.unique(labels)
    return classes[proba.argmax(axis=1)], proba, folds


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean over classes of F1 (scikit-learn ``f1_score(average="macro")``)."""
    return float(_metrics.f1_score(truth, predicted, average="macro"))


def confusion(truth: np.ndarray, predicted: np.ndarray, classes) -> pd.DataFrame:
    """Counts: rows the given labels, columns the out-of-fold predictions."""
    matrix = _metrics.confusion_matrix(truth, predicted, labels=list(classes))
    return pd.DataFrame(
        matrix,
        index=pd.Index(list(classes), name="labelled"),
        columns=pd.Index(list(classes), name="predicted"),
    )
