"""Three ways to code comments into themes: a topic model, a codeframe, a classifier.

Topic model (:func:`discover`): non-negative matrix factorisation of the
TF-IDF matrix of content lemmas (stop-words out), ``X ~ W H`` with ``W, H >= 0``
(Lee & Seung 1999; scikit-learn ``NMF``, NNDSVDa start, Frobenius loss). Each
row of ``H`` is a theme, named by its heaviest terms; each comment's row of
``W`` says how much of it each theme explains. The vocabulary (at most
:data:`MAX_TERMS` lemmas in two comments or more and at most half of them) and
the factorisation are fitted on a seeded sample of at most :data:`FIT_CAP`
comments; then every comment is projected, in chunks, on the fitted themes.

``k="auto"``: the number of themes whose top terms are the most stable over
refits on random 80% subsamples (Greene, O'Callaghan & Cunningham 2014, "How
many topics? Stability analysis for topic models", ECML PKDD): for each k in
2..:data:`K_MAX`, the themes of each refit are matched to those of a fit on the
whole sample (Hungarian matching on the Jaccard index of their top-10 term
sets) and the mean matched Jaccard is the stability; the largest k within
:data:`STABILITY_TOLERANCE` of the best stability wins (the stability of too
few themes is high as well: merged themes are stable too).

A comment mentions a theme when the theme holds at least
:data:`MENTION_SHARE` of its weights (``W`` row); its primary theme is the
heaviest.

Codeframe (:func:`code_with_frame`): the market researcher's list of themes,
each with keywords in any of the five languages; each keyword is lemmatised
in every language, a trailing ``*`` matches any ending (``deliver*``), and a
comment mentions a theme when one of its words or lemmas matches a keyword
(several words: the lemmas in that order).

Classifier (:func:`code_with_labels`): hand codes for some comments train
the text classifier of :mod:`.models` (one class a comment when every coded
comment has one code; otherwise one-vs-rest, a theme per yes/no); its
cross-validated precision and recall per theme are reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from .language import LANGUAGES, lemma, words
from .models import FOLDS, capped, text_model

_decomposition = LazyModule("sklearn.decomposition")
_text = LazyModule("sklearn.feature_extraction.text")
_selection = LazyModule("sklearn.model_selection")
_preprocessing = LazyModule("sklearn.preprocessing")
_metrics = LazyModule("sklearn.metrics")
_optimize = LazyModule("scipy.optimize")
_threads = LazyModule("threadpoolctl")

MAX_TERMS = 5000
FIT_CAP = 20_000
STABILITY_SAMPLE = 2_000
STABILITY_RUNS = 3
K_MAX = 12
TOP_TERMS = 10
STABILITY_TOLERANCE = 0.05
MENTION_SHARE = 0.3
CHUNK = 50_000
MIN_LANGUAGE_COMMENTS = 30
MIN_DISTINCT_COMMENTS = 10
MIN_TERMS = 3
LANGUAGE_NAMES = {
    "pl": "Polish", "ru": "Russian", "bg": "Bulgarian", "ro": "Romanian", "en": "English",
    "und": "no language (no letters)",
}  # fmt: skip


def _vocabulary(docs: list[str]):
    """TF-IDF over the distinct comments (a comment repeated 5,000 times is one
    document for the vocabulary and the idf, so it cannot empty the vocabulary)."""
    docs = list(dict.fromkeys(docs))
    n = len(docs)
    return _text.TfidfVectorizer(
        token_pattern=r"\S+",
        lowercase=False,
        min_df=2 if n >= 50 else 1,
        max_df=0.5 if n >= 50 else 1.0,
        max_features=MAX_TERMS,
        sublinear_tf=True,
        dtype=np.float32,
    ).fit(docs)


def _quiet_fit(model, x):
    """Fit NMF without sklearn's iteration-limit warning (tiny or repeated comments
    converge slowly and the themes are still usable)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.filterwarnings("ignore", message="Maximum number of iterations")
        return model.fit(x)


def _nmf(k: int, random_state: int):
    return _decomposition.NMF(
        n_components=k, init="nndsvda", max_iter=1000, tol=1e-4, random_state=random_state
    )


def _top_sets(components: np.ndarray) -> list[set[int]]:
    return [set(np.argsort(row)[::-1][:TOP_TERMS]) for row in components]


def _agreement(a: list[set[int]], b: list[set[int]]) -> float:
    """Mean Jaccard of the best one-to-one matching of two sets of themes."""
    jaccard = np.array([[len(x & y) / len(x | y) for y in b] for x in a])
    rows, cols = _optimize.linear_sum_assignment(-jaccard)
    return float(jaccard[rows, cols].mean())


def _refit_terms(x, k: int, random_state: int) -> list[set[int]]:
    """The top-term sets of an NMF fit (identical comments make sklearn's loss
    take the root of -0.0: silenced)."""
    return _top_sets(_quiet_fit(_nmf(k, random_state), x).components_)


def stability_scores(x, k_values: Sequence[int], random_state: int) -> dict[int, float]:
    """Greene et al.'s stability of each k on the TF-IDF matrix ``x``."""
    rng = np.random.default_rng(random_state)
    if x.shape[0] > STABILITY_SAMPLE:
        x = x[np.sort(rng.choice(x.shape[0], STABILITY_SAMPLE, replace=False))]
    subsets = [
        np.sort(rng.choice(x.shape[0], int(0.8 * x.shape[0]), replace=False))
        for _ in range(STABILITY_RUNS)
    ]
    scores = {}
    for k in k_values:
        reference = _refit_terms(x, k, random_state)
        scores[k] = float(
            np.mean(
                [
                    _agreement(reference, _refit_terms(x[s], k, random_state + 1 + i))
                    for i, s in enumerate(subsets)
                ]
            )
        )
    return scores


def choose_k(scores: Mapping[int, float]) -> int:
    """The largest k whose stability is within the tolerance of the best."""
    best = max(scores.values())
    return max(k for k, s in scores.items() if s >= best - STABILITY_TOLERANCE)


def _discover_one(docs: list[str], rows: np.ndarray, k, random_state: int) -> dict:
    """NMF themes of the comments ``rows`` (one language): weights and terms.
    BLAS runs on one thread: the matrices of the NNDSVD start are small, and
    threads fighting over them made the fits 15 times slower on two cores."""
    with _threads.threadpool_limits(limits=1):
        return _discover_one_now(docs, rows, k, random_state)


def _discover_one_now(docs: list[str], rows: np.ndarray, k, random_state: int) -> dict:
    fit_rows = capped(rows, random_state, FIT_CAP)
    fit_docs = [docs[i] for i in fit_rows]
    try:
        vectoriser = _vocabulary(fit_docs)
    except ValueError:  # no word left after the document-frequency limits
        return {"weights": None, "terms": [], "k": 0, "scores": {}}
    x_fit = vectoriser.transform(fit_docs)
    scores: dict[int, float] = {}
    distinct = len(set(fit_docs))
    if x_fit.shape[1] < MIN_TERMS or x_fit.nnz == 0:
        return {"weights": None, "terms": [], "k": 0, "scores": {}}
    if k == "auto":
        upper = int(
            min(
                K_MAX,
                max(distinct // 3, min(distinct - 1, MIN_DISTINCT_COMMENTS)),
                x_fit.shape[1] - 1,
            )
        )
        if upper >= 2:
            scores = stability_scores(x_fit, range(2, upper + 1), random_state)
            k = choose_k(scores)
        else:
            k = 1
    k = int(max(1, min(int(k), x_fit.shape[1], distinct)))
    model = _quiet_fit(_nmf(k, random_state), x_fit)
    inverse, distinct_docs = pd.factorize(pd.Series([docs[i] for i in rows], dtype=object))
    unique_weights = np.zeros((len(distinct_docs), k), dtype=np.float32)
    for start in range(0, len(distinct_docs), CHUNK):  # each distinct comment projected once
        chunk = list(distinct_docs[start : start + CHUNK])
        unique_weights[start : start + len(chunk)] = model.transform(vectoriser.transform(chunk))
    weights = unique_weights[inverse]
    terms = np.asarray(vectoriser.get_feature_names_out())
    top = [list(terms[np.argsort(row)[::-1][:TOP_TERMS]]) for row in model.components_]
    return {"weights": weights, "terms": top, "k": k, "scores": scores}


def too_few(language: str, n: int, distinct: int, terms: int, reason: str) -> str:
    """Why a language's comments got no themes, in words."""
    name = LANGUAGE_NAMES.get(language, language)
    return (
        f"{name}: {_count(n, 'comment')}, {distinct:,} distinct, "
        f"{_count(terms, 'distinct word')} ({reason})"
    )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _shortfall(docs: list[str], rows: np.ndarray, language: str) -> str | None:
    """Why the comments ``rows`` cannot carry a topic model, or None when they can."""
    texts = [docs[i] for i in rows]
    distinct = len(set(texts))
    terms = len({w for d in set(texts) for w in d.split()})
    if len(rows) < MIN_LANGUAGE_COMMENTS:
        reason = f"a topic model needs {MIN_LANGUAGE_COMMENTS} comments or more"
    elif distinct < MIN_DISTINCT_COMMENTS:
        reason = f"a topic model needs {MIN_DISTINCT_COMMENTS} different comments or more"
    elif terms < MIN_TERMS:
        reason = f"a topic model needs {MIN_TERMS} different content words or more"
    else:
        return None
    return too_few(language, len(rows), distinct, terms, reason)


def discover(docs: list[str], languages: np.ndarray, k, random_state: int) -> dict:
    """NMF themes of each language with at least MIN_LANGUAGE_COMMENTS comments,
    MIN_DISTINCT_COMMENTS of them different (words differ between languages, so
    each gets its own themes; a codeframe joins them across languages): comment
    x theme weights, the terms, the language, the stability scores of each
    theme's model, and ``skipped``: why any language got no themes, in words."""
    has_words = np.array([bool(d) for d in docs], dtype=bool)
    counts = pd.Series(languages[has_words], dtype=object).value_counts()
    blocks, terms, theme_language, scores, skipped = [], [], [], {}, []
    for lang in counts.index:
        rows = np.flatnonzero(has_words & (languages == lang))
        why = _shortfall(docs, rows, lang) if lang != "und" else None
        if lang == "und":
            why = f"{LANGUAGE_NAMES['und']}: {len(rows):,} comments without words to theme"
        if why is None:
            found = _discover_one(docs, rows, k, random_state)
            if found["weights"] is None:
                texts = {docs[i] for i in rows}
                why = too_few(
                    lang, len(rows), len(texts), len({w for d in texts for w in d.split()}),
                    "no word is shared by enough comments to form a theme",
                )  # fmt: skip
        if why is not None:
            skipped.append(why)
            continue
        block = np.zeros((len(docs), found["k"]), dtype=np.float32)
        block[rows] = found["weights"]
        blocks.append(block)
        terms += found["terms"]
        theme_language += [lang] * found["k"]
        scores[lang] = found["scores"]
    weights = np.hstack(blocks) if blocks else np.zeros((len(docs), 0), dtype=np.float32)
    return {
        "weights": weights,
        "terms": terms,
        "language": theme_language,
        "scores": scores,
        "skipped": skipped,
    }


def mentions_from_weights(weights: np.ndarray) -> np.ndarray:
    """A comment mentions each theme holding at least MENTION_SHARE of its weight."""
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weights / total, 0.0)
    return share >= MENTION_SHARE


def _keyword_forms(keyword: str) -> tuple[str, tuple[str, ...]]:
    """A keyword as ("word", forms), ("prefix", stem) or ("phrase", lemma sequences)."""
    text = keyword.strip().lower()
    if text.endswith("*"):
        return "prefix", (text[:-1],)
    parts = words(text)
    if len(parts) > 1:
        return "phrase", tuple(" ".join(lemma(p, lang) for p in parts) for lang in LANGUAGES) + (
            " ".join(parts),
        )
    return "word", tuple({text, *(lemma(text, lang) for lang in LANGUAGES)})


def parse_codeframe(codeframe) -> list[dict]:
    """Themes of a codeframe: a mapping name -> keywords (list) or -> {keywords:,
    touchpoint:}, or a list of {name:, keywords:, touchpoint:}."""
    items = codeframe.items() if isinstance(codeframe, Mapping) else None
    if items is None:
        items = [(entry["name"], entry) for entry in codeframe]
    themes = []
    for name, spec in items:
        keywords = spec.get("keywords", ()) if isinstance(spec, Mapping) else spec
        if isinstance(keywords, str) or not keywords:
            raise ValueError(f"codeframe theme {name!r} needs a list of keywords")
        touchpoint = spec.get("touchpoint") if isinstance(spec, Mapping) else None
        themes.append({"name": str(name), "keywords": list(keywords), "touchpoint": touchpoint})
    return themes


def code_with_frame(texts: list[str], lemmas: list[str], frame: list[dict]) -> np.ndarray:
    """Comments x themes: whether a comment's words or lemmas match a theme's keywords."""
    compiled = []
    for theme in frame:
        forms = [_keyword_forms(k) for k in theme["keywords"]]
        single = frozenset(f for kind, fs in forms if kind == "word" for f in fs)
        prefixes = tuple(f for kind, fs in forms if kind == "prefix" for f in fs)
        phrases = tuple(f" {f} " for kind, fs in forms if kind == "phrase" for f in fs)
        compiled.append((single, prefixes, phrases))
    out = np.zeros((len(texts), len(frame)), dtype=bool)
    for i, (text, lemma_text) in enumerate(zip(texts, lemmas, strict=True)):
        tokens = set(lemma_text.split()) | set(words(text))
        padded = f" {lemma_text} "
        for j, (single, prefixes, phrases) in enumerate(compiled):
            out[i, j] = (
                not single.isdisjoint(tokens)
                or (bool(prefixes) and any(t.startswith(prefixes) for t in tokens))
                or any(p in padded for p in phrases)
            )
    return out


def _codes(value) -> tuple[str, ...] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str):
        parts = tuple(p.strip() for p in value.split(";") if p.strip())
        return parts or None
    return tuple(str(v) for v in value) or None


def code_with_labels(docs: list[str], labels: Sequence, random_state: int) -> dict:
    """Hand codes for some comments -> codes for all, with cross-validated
    precision and recall per theme (out-of-fold predictions on the coded ones)."""
    codes = [_codes(v) for v in labels]
    coded = np.flatnonzero([c is not None for c in codes])
    if len(coded) < 20:
        raise ValueError(f"theme coding needs at least 20 hand-coded comments; found {len(coded)}")
    train = capped(coded, random_state)
    x = np.asarray(docs, dtype=object)
    binariser = _preprocessing.MultiLabelBinarizer().fit([codes[i] for i in coded])
    names = list(binariser.classes_)
    single = all(len(codes[i]) == 1 for i in coded)
    if single:
        y = np.array([codes[i][0] for i in train])
        folds = int(min(FOLDS, pd.Series(y).value_counts().min()))
        splitter = _selection.StratifiedKFold(
            max(folds, 2), shuffle=True, random_state=random_state
        )
        model = text_model(random_state)
        predicted = _selection.cross_val_predict(model, x[train], y, cv=splitter)
        truth_m, pred_m = (
            binariser.transform([(v,) for v in y]),
            binariser.transform([(v,) for v in predicted]),
        )
        every = model.fit(x[train], y).predict(x)
        assigned = binariser.transform([(v,) for v in every]).astype(bool)
    else:
        y = binariser.transform([codes[i] for i in train])
        splitter = _selection.KFold(FOLDS, shuffle=True, random_state=random_state)
        model = text_model(random_state, multilabel=True)
        pred_m = _selection.cross_val_predict(model, x[train], y, cv=splitter)
        truth_m = y
        assigned = model.fit(x[train], y).predict(x).astype(bool)
        folds = FOLDS
    hand = binariser.transform([c if c is not None else () for c in codes]).astype(bool)
    is_coded = np.array([c is not None for c in codes])
    assigned[is_coded] = hand[is_coded]
    precision = _metrics.precision_score(truth_m, pred_m, average=None, zero_division=0)
    recall = _metrics.recall_score(truth_m, pred_m, average=None, zero_division=0)
    return {
        "mentions": assigned,
        "names": names,
        "precision": np.asarray(precision, dtype=float),
        "recall": np.asarray(recall, dtype=float),
        "coded": is_coded,
        "folds": max(folds, 2),
    }
