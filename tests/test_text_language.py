"""Language, lemmas and stop-words: offline, five languages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cxresearch.analyses.text._planted import planted_comments
from cxresearch.analyses.text.language import (
    LANGUAGES,
    NEGATIONS,
    detect_languages,
    detect_one,
    prepare,
    stop_words,
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_detects_each_language_of_generated_comments(language):
    d = planted_comments(200, languages=(language,), random_state=7)
    codes, confidence = detect_languages(list(d["text"]))
    assert (codes == language).mean() >= 0.97
    assert ((confidence > 0) & (confidence <= 1)).all()


def test_short_russian_and_bulgarian_are_told_apart():
    assert detect_one("Доставка опоздала на три дня, ужасно")[0] == "ru"
    assert detect_one("Доставката закъсня с три дни, ужасно обслужване")[0] == "bg"
    assert detect_one("Livrarea a întârziat trei zile")[0] == "ro"
    assert detect_one("12345 !!!") == ("und", 0.0)


def test_lemmas_join_inflected_forms_and_drop_stop_words():
    p = prepare(["Kurier spóźnił się z paczką", "Paczki nie dotarły"], "pl")
    assert "paczka" in p.content[0].split() and "paczka" in p.content[1].split()
    assert "się" not in p.content[0].split()
    assert "nie" in p.lemmas[1].split() and "nie" not in p.content[1].split()


@pytest.mark.parametrize("language", LANGUAGES)
def test_stop_word_lists_exist_and_keep_negations(language):
    words = stop_words(language)
    assert len(words) > 100
    assert not words & NEGATIONS[language]
    assert {"not", "nie", "не", "nu"} & NEGATIONS[language]


@pytest.mark.slow  # a fresh interpreter loads the five dictionaries (~13 s)
def test_runs_with_networking_absent():
    """A fresh interpreter whose sockets raise: detection, lemmas and stop-words
    still work (all data ships in the wheels)."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from cxresearch.analyses.text.language import prepare\n"
        "p = prepare(['Paczka dotarła późno', 'Посылка пришла поздно', 'Пратката пристигна', "
        "'Coletul a ajuns târziu', 'The parcel came late'])\n"
        "print(' '.join(p.language))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["pl", "ru", "bg", "ro", "en"]
