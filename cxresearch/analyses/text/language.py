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
import mmap
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...cache import default_folder
from ..quotes import mask_contacts

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
HANDLES_AND_LINKS = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+")
"""@handles, #tags and links: left out of the words (on social media they name the
brand addressed, not what the comment is about)."""
MAYBE_EMAIL = re.compile(r"[@＠]|[\[({<]\s*at\s*[\])}>]|\b(?:at|małpa|собака)\b", re.IGNORECASE)
"""Texts that may hold an e-mail address (written out or spelled): masked
before their words are used, so no name from an address becomes a theme word."""


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
    """A cached test of whether simplemma's dictionary of ``language`` knows a
    word (as ``simplemma.is_known``, on the stored dictionaries)."""
    from simplemma.utils import normalize_token

    lookup = _dictionary_lookup()

    @functools.cache
    def known(word: str) -> bool:
        return lookup.get_lemma(normalize_token(word), language) is not None

    return known


# -- simplemma's dictionaries, stored once per machine and memory-mapped ----------
STORE_FORMAT = 1


def store_folder() -> Path:
    """Where the decoded dictionaries live: ``lemmas/`` in the cache folder
    (:func:`cxresearch.cache.default_folder`), per simplemma version."""
    import simplemma

    return default_folder() / "lemmas" / f"simplemma-{simplemma.__version__}-{STORE_FORMAT}"


def _write_store(language: str, folder: Path) -> None:
    """Decode simplemma's dictionary of ``language`` once (seconds for Polish:
    3.7 million forms) and write it sorted: keys then values in one blob, and
    their offsets; written to temporary names, then renamed (atomic)."""
    from simplemma.strategies.dictionaries.dictionary_factory import _load_dictionary_from_disk

    decoded = _load_dictionary_from_disk(language)
    keys = sorted(decoded)
    values = [decoded[k] for k in keys]
    key_ends = np.cumsum([len(k) for k in keys], dtype=np.int64)
    value_ends = key_ends[-1] + np.cumsum([len(v) for v in values], dtype=np.int64)
    offsets = np.concatenate([[0], key_ends, value_ends]).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    blob, index = folder / f"{language}.bin", folder / f"{language}.npy"
    suffix = f".{os.getpid()}.tmp"
    Path(str(blob) + suffix).write_bytes(b"".join(keys) + b"".join(values))
    with open(str(index) + suffix, "wb") as out:
        np.save(out, offsets)
    os.replace(str(blob) + suffix, blob)  # the blob first: the index marks a complete store
    os.replace(str(index) + suffix, index)


class StoredDictionary(Mapping):
    """A simplemma dictionary as a memory-mapped sorted blob: a lookup is a
    binary search (about 22 steps for Polish), reading a few pages; nothing is
    loaded up front, and processes share the pages."""

    def __init__(self, blob: Path, index: Path):
        self._offsets = np.load(index, mmap_mode="r")
        self._n = (len(self._offsets) - 1) // 2
        with open(blob, "rb") as handle:
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)

    def _find(self, key: str) -> int:
        target, data, offsets = key.encode(), self._data, self._offsets
        low, high = 0, self._n
        while low < high:
            middle = (low + high) >> 1
            if data[offsets[middle] : offsets[middle + 1]] < target:
                low = middle + 1
            else:
                high = middle
        if low < self._n and data[offsets[low] : offsets[low + 1]] == target:
            return low
        return -1

    def get(self, key: str, default=None):
        found = self._find(key)
        if found < 0:
            return default
        start = self._n + found
        return self._data[self._offsets[start] : self._offsets[start + 1]].decode()

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self):
        for i in range(self._n):
            yield self._data[self._offsets[i] : self._offsets[i + 1]].decode()

    def __len__(self) -> int:
        return self._n


class Dictionaries:
    """simplemma's ``DictionaryFactory`` on stored dictionaries: a language's
    dictionary is decoded and written on first use on this machine, then
    memory-mapped (milliseconds); where the cache folder cannot be written,
    simplemma's own loader (in memory) is used."""

    def __init__(self):
        self._open: dict[str, Mapping] = {}

    def get_dictionary(self, lang: str) -> Mapping:
        found = self._open.get(lang)
        if found is None:
            found = self._open[lang] = self._load(lang)
        return found

    @staticmethod
    def _load(lang: str) -> Mapping:
        folder = store_folder()
        blob, index = folder / f"{lang}.bin", folder / f"{lang}.npy"
        try:
            if not index.exists():
                _write_store(lang, folder)
            return StoredDictionary(blob, index)
        except (OSError, ValueError):
            from simplemma.strategies.dictionaries.dictionary_factory import (
                DEFAULT_DICTIONARY_FACTORY,
            )

            return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)


@functools.cache
def _dictionary_lookup():
    from simplemma.strategies.dictionary_lookup import DictionaryLookupStrategy

    return DictionaryLookupStrategy(_dictionaries())


@functools.cache
def _dictionaries() -> Dictionaries:
    return Dictionaries()


@functools.cache
def _lemmatizer():
    """simplemma's default lemmatizer (dictionary, rules, affixes; not greedy)
    on the stored dictionaries: the same lemmas as ``simplemma.lemmatize``."""
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_dictionaries()))


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
            found = _lemmatizer().lemmatize(word, language).lower()
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
    detection to them. Each distinct text is worked on once (customers repeat
    themselves: "ok", "good service"), and each distinct word once per language.
    E-mail addresses are masked first (:data:`MAYBE_EMAIL` picks the texts to
    mask; phone numbers have no letters, so they never become words).
    """
    if isinstance(language, str) and language != "auto" and language not in LANGUAGES:
        raise ValueError(f"language must be 'auto' or one of {', '.join(LANGUAGES)}")
    inverse, distinct = pd.factorize(pd.Series(list(texts), dtype=object), sort=False)
    distinct = [mask_contacts(t) if MAYBE_EMAIL.search(t) else t for t in map(str, distinct)]
    distinct = [HANDLES_AND_LINKS.sub(" ", t) if "@" in t or "#" in t or "/" in t else t
                for t in distinct]  # fmt: skip
    if isinstance(language, str) and language != "auto":
        codes = np.full(len(distinct), language, dtype=object)
        confidence = np.ones(len(distinct))
    else:
        chosen = LANGUAGES if language == "auto" else tuple(language)
        codes, confidence = detect_languages(distinct, chosen)
    lemmas, content = _lemmatise(distinct, codes)
    lemmas_array, content_array = np.array(lemmas, dtype=object), np.array(content, dtype=object)
    return Prepared(
        codes[inverse],
        confidence[inverse],
        lemmas_array[inverse].tolist(),
        content_array[inverse].tolist(),
    )


def _lemmatise(texts: list[str], codes: np.ndarray) -> tuple[list[str], list[str]]:
    """Every text's lemmas (breaks kept) and content lemmas (no stop-words, no
    one-letter words), space-joined."""
    lemmas, content = [], []
    for text, code in zip(texts, codes, strict=True):
        stops, table = content_stop_words(code), _lemma_table(code)
        pairs = []
        for w in words_and_breaks(text):
            found = w if w in BREAKS else table.get(w)
            pairs.append((w, found if found is not None else lemma(w, code)))
        lemmas.append(" ".join(m for _, m in pairs))
        content.append(
            " ".join(m for w, m in pairs if len(m) > 1 and w not in stops and m not in stops)
        )
    return lemmas, content
