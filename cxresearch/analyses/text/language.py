"""Language, tokens, lemmas and stop-words of customers' comments, offline.

Comments come in Polish, Russian, Bulgarian, Romanian and English, often
mixed in one study, and may not leave the machine: every resource here ships
inside a PyPI wheel and nothing is downloaded at run time.

Language identification (:func:`detect_languages`), per comment:

1. the script (Cyrillic or Latin) narrows the candidates (ru, bg / pl, ro, en);
2. letters only one candidate uses decide (Russian ``ы э ё``; Polish
   ``ą ę ł ś ź ż ć ń``; Romanian ``ă â î ș ț``);
3. else words only one candidate's stop-word list holds decide when one
   language leads by two such words or more;
4. else ``py3langid`` (a fork of langid.py: a naive Bayes classifier over byte
   n-grams, restricted to the candidates) decides; between Russian and
   Bulgarian, where byte n-grams of short comments are weak, the share of words
   that ``simplemma``'s dictionaries know in each language decides first.

Published accuracy: langid.py, 97 languages, 0.987 on EuroGOV and 0.94 / 0.89
on two Twitter sets (Lui & Baldwin 2012, "langid.py: An Off-the-shelf
Language Identification Tool", ACL demo, Table 2); restricting it to the five
candidates only removes errors into other languages. On the generated
comments of :mod:`._planted` (one to three sentences) this detector labels at
least 97% correctly in each of the five languages (``tests/test_text_language.py``).

Lemmas: ``simplemma`` (Barbaresi), dictionary lookup with rules, no model
download (the dictionaries are in the 19 MB wheel). Published token accuracy on
Universal Dependencies (held-out dev+test, simplemma 2.0 README): Polish 0.96
(PL-LFG), Russian 0.93 (SynTagRus), Bulgarian 0.89 (BTB), Romanian 0.94 (RRT),
English 0.96 (LinES).

Stop-words: ``stopwordsiso`` (the stopwords-iso collection, one JSON file in
the wheel) for all five languages, without the negations (``not``, ``nie``,
``не``, ``nu``) which carry sentiment. Word lists have no accuracy to publish.

Networking: none of the three packages opens a connection when used as a
library (py3langid only fetches a URL from its command line's ``--url``);
``tests/test_text_language.py`` runs them with sockets disabled.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LANGUAGES: tuple[str, ...] = ("pl", "ru", "bg", "ro", "en")
CYRILLIC_LANGUAGES = frozenset({"ru", "bg"})
UNDETERMINED = "und"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
BREAKS = ".,;:!?"
WORD_OR_BREAK = re.compile(WORD.pattern + r"|[.,;:!?]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[a-zA-Z\u00c0-\u024f\u0218-\u021b]")
ONLY_LETTERS = {
    "ru": frozenset("ыэё"),
    "pl": frozenset("ąęłśźżćń"),
    "ro": frozenset("ăâîșşțţ"),
}
NEGATIONS = {
    "en": frozenset(
        "not no never nothing nobody none cannot neither don't doesn't didn't isn't "
        "wasn't won't can't couldn't aren't weren't haven't hasn't wouldn't".split()
    ),
    "pl": frozenset({"nie", "nigdy", "nic", "brak", "żaden", "ani"}),
    "ru": frozenset({"не", "нет", "никогда", "ничего", "ни", "без"}),
    "bg": frozenset({"не", "няма", "никога", "нищо", "нито", "без"}),
    "ro": frozenset({"nu", "niciodată", "nimic", "fără", "niciun", "nicio", "nici"}),
}
MIN_STOPWORD_LEAD = 2


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The stop-words of a language (stopwords-iso), negations kept out."""
    import stopwordsiso

    words = {w.lower() for w in stopwordsiso.stopwords(language)}
    return frozenset(words - NEGATIONS.get(language, frozenset()))


@functools.cache
def content_stop_words(language: str) -> frozenset[str]:
    """Words that carry no theme: stop-words and negations."""
    if language not in LANGUAGES:
        return frozenset()
    return stop_words(language) | NEGATIONS[language]


@functools.cache
def _exclusive_stop_words(candidates: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each candidate's stop-words that no other candidate's list holds."""
    return {
        lang: stop_words(lang).difference(*(stop_words(o) for o in candidates if o != lang))
        for lang in candidates
    }


@functools.cache
def _identifier(candidates: tuple[str, ...]):
    """py3langid's classifier restricted to ``candidates`` (loaded once)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(candidates))
    return identifier


@functools.cache
def _known(language: str):
    """A cached test of whether simplemma's dictionary of ``language`` knows a word."""
    import simplemma

    @functools.cache
    def known(word: str) -> bool:
        return simplemma.is_known(word, lang=language)

    return known


def words(text: str) -> list[str]:
    """The lower-cased words of a text (letters, with an inner apostrophe)."""
    return WORD.findall(text.lower().replace("’", "'"))


def words_and_breaks(text: str) -> list[str]:
    """The lower-cased words and the clause breaks (``. , ; : ! ?``) between them."""
    return WORD_OR_BREAK.findall(text.lower().replace("’", "'"))


def _by_letters(text: str, candidates: tuple[str, ...]) -> str | None:
    letters = set(text.lower())
    hits = [lang for lang in candidates if lang in ONLY_LETTERS and letters & ONLY_LETTERS[lang]]
    return hits[0] if len(hits) == 1 else None


def _by_stop_words(tokens: list[str], candidates: tuple[str, ...]) -> str | None:
    exclusive = _exclusive_stop_words(candidates)
    counts = sorted(((sum(t in exclusive[c] for t in tokens), c) for c in candidates), reverse=True)
    if counts[0][0] - counts[1][0] >= MIN_STOPWORD_LEAD:
        return counts[0][1]
    return None


def _by_dictionary(tokens: list[str], candidates: tuple[str, ...]) -> str | None:
    counts = sorted(
        ((sum(_known(c)(t) for t in tokens), c) for c in candidates if c in CYRILLIC_LANGUAGES),
        reverse=True,
    )
    if len(counts) > 1 and counts[0][0] > counts[1][0]:
        return counts[0][1]
    return None


def detect_one(text: str, languages: tuple[str, ...] = LANGUAGES) -> tuple[str, float]:
    """The language of one comment and a confidence (1.0 for a decisive cue,
    langid's normalised probability otherwise; ``und`` and 0 without letters)."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic + latin == 0:
        return UNDETERMINED, 0.0
    script = CYRILLIC_LANGUAGES if cyrillic > latin else None
    candidates = tuple(
        lang for lang in languages if (lang in CYRILLIC_LANGUAGES) == (script is not None)
    ) or tuple(languages)
    if len(candidates) == 1:
        return candidates[0], 1.0
    tokens = words(text)
    decided = _by_letters(text, candidates) or _by_stop_words(tokens, candidates)
    if decided is None and script is not None:
        decided = _by_dictionary(tokens, candidates)
    if decided is not None:
        return decided, 1.0
    language, probability = _identifier(candidates).classify(text)
    return str(language), float(probability)


def detect_languages(
    texts: Sequence[str], languages: Sequence[str] = LANGUAGES
) -> tuple[np.ndarray, np.ndarray]:
    """The language code and confidence of every text (each distinct text once)."""
    candidates = tuple(languages)
    seen: dict[str, tuple[str, float]] = {}
    codes = np.empty(len(texts), dtype=object)
    confidence = np.empty(len(texts), dtype=float)
    for i, text in enumerate(texts):
        found = seen.get(text)
        if found is None:
            found = seen[text] = detect_one(text, candidates)
        codes[i], confidence[i] = found
    return codes, confidence


@functools.cache
def _lemma_table(language: str) -> dict[str, str]:
    return {}


def lemma(word: str, language: str) -> str:
    """The lemma of a lower-cased word (simplemma; cached per language). Words of an
    undetermined or unsupported language stay as written."""
    table = _lemma_table(language)
    found = table.get(word)
    if found is None:
        if language in LANGUAGES:
            import simplemma

            found = simplemma.lemmatize(word, lang=language).lower()
        else:
            found = word
        table[word] = found
    return found


@dataclass(frozen=True)
class Prepared:
    """Comments ready for models: ``language`` and ``confidence`` per comment,
    ``lemmas`` (every word's lemma, negations kept, space-joined: for sentiment)
    and ``content`` (lemmas without stop-words and one-letter words: for themes)."""

    language: np.ndarray
    confidence: np.ndarray
    lemmas: list[str]
    content: list[str]


_LAST: dict = {}  # the last preparation: sentiment then themes of the same comments reuse it


def prepare(texts: Sequence[str], language: str = "auto") -> Prepared:
    """:func:`prepare_now`, reusing the last result for the same texts and language."""
    key = (len(texts), hash(tuple(texts)), str(language))
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = prepare_now(texts, language)
    return _LAST[key]


def prepare_now(texts: Sequence[str], language: str = "auto") -> Prepared:
    """Detect (or set) each comment's language, then lemmatise and drop stop-words.

    ``language="auto"`` detects per comment among :data:`LANGUAGES`; a code
    (``"pl"``) sets every comment's language; a tuple of codes restricts the
    detection to them.
    """
    if isinstance(language, str) and language != "auto":
        if language not in LANGUAGES:
            raise ValueError(f"language must be 'auto' or one of {', '.join(LANGUAGES)}")
        codes = np.full(len(texts), language, dtype=object)
        confidence = np.ones(len(texts))
    else:
        chosen = LANGUAGES if language == "auto" else tuple(language)
        codes, confidence = detect_languages(texts, chosen)
    lemmas, content = [], []
    for text, code in zip(texts, codes, strict=True):
        stops = content_stop_words(code)
        pairs = [(w, w if w in BREAKS else lemma(w, code)) for w in words_and_breaks(text)]
        lemmas.append(" ".join(m for _, m in pairs))
        content.append(
            " ".join(m for w, m in pairs if len(m) > 1 and w not in stops and m not in stops)
        )
    return Prepared(codes, confidence, lemmas, content)
