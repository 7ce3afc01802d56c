"""End to end: a study with comments in five languages renders the chapter
"What customers say" and its section of the index page, computed once."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from text_helpers import planted_study

import cxresearch as cx

CHAPTER = Path(__file__).resolve().parents[1] / "notebooks" / "07_what_customers_say.ipynb"


def _text(html: str) -> str:
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.slow  # renders a report (~1 min)
def test_five_language_study_renders_the_chapter_and_the_section(tmp_path):
    study, truth = planted_study(
        tmp_path / "study", n=300, languages=("pl", "ru", "bg", "ro", "en"), bad_topic="app"
    )
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(CHAPTER, notebooks)  # this chapter only: the others need touchpoints
    cache = tmp_path / "cache"
    index = cx.render_report(
        study.codebook.path, tmp_path / "report", notebooks=notebooks, cache=cache, progress=False
    )
    chapter = _text((tmp_path / "report" / "chapters" / f"{CHAPTER.stem}.html").read_text())
    page = _text(Path(index).read_text())
    for heading in ("Sentiment", "What they write about", "Who needs a reply"):
        assert heading in chapter
    assert "Traceback" not in chapter and "Error" not in chapter
    assert "95% interval" in chapter and "comments need a reply" in chapter
    section = page[page.index("What customers say") :]
    assert re.search(r"\d+% of 300 comments are negative \[\d+, \d+\]", section)
    assert "comments need a reply" in section and "\u201c" in section  # a quote
    assert "Detractors (n=" in section  # the detractors' words
    computed = [row["function"].rsplit(".", 1)[-1] for row in cx.cache.computed(cache)]
    for name in ("sentiment", "themes", "theme_drivers", "follow_up"):
        assert computed.count(name) == 1, f"{name} computed {computed.count(name)} times"
    assert len(truth) == 300


@pytest.mark.slow
def test_a_study_without_comments_leaves_the_section_out_with_a_note(demo_path, tmp_path):
    import yaml

    folder = tmp_path / "study"
    shutil.copytree(demo_path.parent, folder)
    codebook = yaml.safe_load((folder / "study.yaml").read_text())
    codebook["text"] = []
    (folder / "study.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False))
    report = cx.report.summary.build_report(cx.load_study(folder / "study.yaml"))
    assert "comments" not in [s.id for s in report.sections]
    assert any(s.startswith("What customers say: left out") for s in report.skipped)
