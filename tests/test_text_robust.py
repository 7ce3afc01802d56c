"""The text analyses on every study shape and on awkward comments: a clear result
in words, never a crash; contacts masked, markup escaped, each analysis once."""

from __future__ import annotations

import numpy as np
import pytest
from shapes import SHAPES, make_shape

import cxresearch as cx
from cxresearch.analyses.text.language import (
    LANGUAGES,
    StoredDictionary,
    _dictionaries,
    prepare_now,
    store_folder,
)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return cx.make_demo_study(tmp_path_factory.mktemp("text-shapes"), n=300, random_state=5)


def _has_comments(study) -> bool:
    cb = study.codebook
    columns = [t.column for t in cb.text]
    if cb.feedback is not None and cb.feedback.text:
        columns.append(cb.feedback.text)
    return any(
        study.responses[c].astype("string").str.strip().fillna("").ne("").any() for c in columns
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_gets_results_or_a_clear_error(shape, small_demo, tmp_path):
    study = cx.load_study(make_shape(shape, tmp_path / shape, small_demo))
    if not _has_comments(study):
        with pytest.raises(cx.StudyError, match="no comments"):
            cx.sentiment(study)
        return
    mood = cx.sentiment(study)
    found = cx.themes(study, sentiment=mood)
    loop = cx.follow_up(study, sentiment=mood, themes=found)
    for result in (mood, found, loop):
        assert str(result.findings())
        assert "<" in result._repr_html_()
    assert found.table.empty == bool(found.note.startswith("Too few"))
    if study.codebook.outcomes:
        drivers = cx.theme_drivers(study, themes_result=found)
        assert str(drivers.findings())


def test_the_demo_study_gets_themes_not_a_crash(demo):
    """The demo's comments are few and repeated (11 distinct texts): themes on
    the English ones, the single repeated Polish comment is left out in words."""
    found = cx.themes(demo)
    assert len(found.table) >= 2
    assert "Polish" in found.note and "different comments" in found.note


AWKWARD = {
    "no texts": ([], "No comments to find themes in"),
    "all empty": (["", "   ", None], "No comments to find themes in"),
    "five comments": (
        ["The parcel was late", "Great staff", "Too expensive", "App crashes", "Nice shop"],
        "Too few distinct comments to find themes: 5 comments",
    ),
    "50,000 identical": (
        ["Delivery was late again."] * 50_000,
        "50,000 comments, 1 distinct",
    ),
    "emoji only": (["😀😀", "👍", "🙁🙁🙁"] * 20, "only emoji"),
}


@pytest.mark.parametrize("case", AWKWARD)
def test_awkward_comments_get_a_note_in_words(case):
    texts, words = AWKWARD[case]
    found = cx.themes(texts)
    assert found.table.empty
    assert words in found.note and words in str(found.findings())
    assert words in found._repr_html_()
    assert cx.sentiment(texts).table["n"].iloc[0] == len([t for t in texts if t and t.strip()])
    assert str(cx.follow_up(texts).findings())


def test_one_language_only_gets_themes_of_that_language(tmp_path):
    from text_helpers import planted_study

    study, _ = planted_study(tmp_path, n=300, languages=("ro",))
    found = cx.themes(study, k=4)
    assert set(found.table["language"]) == {"ro"} and found.note == ""


def test_markup_is_escaped_and_contacts_masked_in_every_output():
    texts = [
        f"<script>alert('x')</script> Parcel {i} was late, call +48 601 234 567 "
        f"or write to jan.kowalski@example.com"
        for i in range(30)
    ] + [f"The courier was rude and the {w} was lost" for w in ("box", "bag", "gift") * 10]
    mood = cx.sentiment(texts)
    loop = cx.follow_up(texts, sentiment=mood)
    html = loop._repr_html_() + cx.themes(texts, sentiment=mood, k=2)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "601 234 567" not in html and "jan.kowalski@example.com" not in html
    assert "601 234 567" not in loop.table.to_string()


def test_each_text_analysis_runs_once_with_a_cache(tmp_path):
    texts = [f"The courier was late with parcel {w}" for w in "abcdefghij" * 5]
    with cx.use_cache(tmp_path):
        first = cx.sentiment(texts)
        again = cx.sentiment(list(texts))
        cx.themes(texts, sentiment=first)
        cx.themes(texts, sentiment=again)
    names = [row["function"].rsplit(".", 1)[-1] for row in cx.cache.computed(tmp_path)]
    assert names == ["sentiment", "themes"]


def test_repeated_texts_are_prepared_once_and_alike():
    texts = ["Paczka dotarła późno.", "The parcel came late", "Paczka dotarła późno."] * 3
    p = prepare_now(texts)
    assert list(p.language) == ["pl", "en", "pl"] * 3
    assert p.content[0] == p.content[2] == p.content[6] and p.lemmas[1] == p.lemmas[4]


@pytest.mark.parametrize("language", ["en", "bg", "ro"])  # the small dictionaries: quick to decode
def test_stored_dictionaries_give_simplemma_s_own_lemmas(language):
    import simplemma

    stored = _dictionaries().get_dictionary(language)
    assert isinstance(stored, StoredDictionary)
    assert (store_folder() / f"{language}.npy").exists()
    rng = np.random.default_rng(0)
    keys = list(stored)
    sample = [keys[i] for i in rng.choice(len(keys), 300, replace=False)]
    words = [*sample, *(k + "xq" for k in sample[:50]), "zzzz", sample[0][:2]]
    from cxresearch.analyses.text.language import _lemmatizer

    ours = [_lemmatizer().lemmatize(w, language) for w in words]
    assert ours == [simplemma.lemmatize(w, lang=language) for w in words]
    assert language in LANGUAGES


def test_a_yes_no_outcome_gives_theme_gaps_in_percentage_points(small_demo, tmp_path):
    """Retained is held as 0 or 100 per comment: a theme's gap is the difference
    of two shares in % points, and its words compare the no with the yes answers."""
    study = cx.load_study(make_shape("yes_no_only", tmp_path / "yn", small_demo))
    found = cx.themes(study)
    assert found.outcome_unit == "% points"
    gaps = found.table["gap"].dropna()
    assert len(gaps) and gaps.abs().max() <= 100
    shares = found.table[["mention", "other"]].dropna().to_numpy()
    assert ((shares >= 0) & (shares <= 100)).all() and shares.max() > 1  # shares, not 0-1
    impact = cx.theme_drivers(study, themes_result=found)
    assert impact.groups[0].startswith("those answering no") and sum(impact.group_sizes) > 0
