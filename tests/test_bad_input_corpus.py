"""The bad-input corpus (``tests/corpus``): every case gives its expected error
in words, or is accepted with the counts it must show; never a traceback."""

from __future__ import annotations

from collections import Counter

import pytest
from corpus import FAMILIES, load_cases, run_cli

CASES = load_cases()


def test_the_corpus_is_large_and_covers_every_family():
    families = Counter(c.family for c in CASES)
    assert len(CASES) >= 80, len(CASES)
    assert set(families) == set(FAMILIES), families


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.slow else []) for c in CASES],
)
def test_bad_input(case, tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    argv = case.build(folder)
    outcome = (case.run or run_cli)(folder, argv)
    assert "Traceback" not in outcome.text, outcome.text
    for word in case.forbidden:
        assert word not in outcome.text, (word, outcome.text)
    if case.errors:
        assert outcome.code != 0, f"accepted silently: {outcome.text}"
        message = outcome.stderr.lower()
        for word in case.errors:
            assert word.lower() in message, (word, outcome.stderr)
    else:
        assert outcome.code == 0, outcome.text
        case.accepted(folder, outcome)
