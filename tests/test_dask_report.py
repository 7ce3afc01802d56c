"""The report of a study read with the Dask engine: the same KPIs as in memory,
chapters without a Dask version left out and named, sections without one
replaced by a note, and no page that fails.

The end-to-end test renders the demo (as Parquet parts) on a
``distributed.LocalCluster`` of two worker processes over TCP on the loopback
address, and the same study in memory, and compares the two reports.
"""

from __future__ import annotations

import pickle
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.analyses._engine import available_on_dask
from cxresearch.errors import ParameterError
from cxresearch.report.engines import chapter_left_out, memory_note, without_repeats
from cxresearch.report.notebooks import applicable, chapters_folder, chapters_in
from cxresearch.report.summary import build_report

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from dask_helpers import parquet_study  # noqa: E402

LEFT_OUT = "need the responses in memory and the study was read with the Dask engine"
NOTE = "not computed on the Dask engine"


@pytest.fixture(scope="module")
def study_path(tmp_path_factory) -> Path:
    return parquet_study(tmp_path_factory.mktemp("dask-report"))


@pytest.fixture(scope="module")
def lazy(study_path):
    return cx.load_study(study_path, engine="dask", scheduler="synchronous")


# -- what the report leaves out, and says so ------------------------------------------


def test_on_dask_a_chapter_none_of_whose_analyses_runs_there_is_left_out_and_named(lazy):
    kept, skipped = applicable(chapters_in(chapters_folder()), lazy)
    names = [chapter.name for chapter in kept]
    assert "00_data_quality" in names and "01_kpis" in names  # quality and kpis run on Dask
    assert "07_what_customers_say" not in names  # the text analyses need memory
    (text,) = [line for line in skipped if "What customers say" in line]
    assert LEFT_OUT in text and "cx.sentiment" in text


def test_a_section_note_is_not_repeated_under_its_left_out_chapter(lazy):
    strategy = memory_note(lazy, "Strategy", "strategy")
    waits = memory_note(lazy, "Journey map", "journey")
    chapter = chapter_left_out("CX strategy", (("strategy",),))
    assert without_repeats([strategy, waits, chapter, waits]) == [waits, chapter]
    again = pickle.loads(pickle.dumps(chapter))  # the index page's results are stored
    assert (again, again.analyses, again.chapter) == (chapter, ("strategy",), True)


def test_in_memory_every_chapter_the_study_supports_is_kept(study_path):
    kept, skipped = applicable(chapters_in(chapters_folder()), cx.load_study(study_path))
    assert len(kept) == len(chapters_in(chapters_folder())) and skipped == []


def test_a_section_without_a_dask_version_shows_a_note_in_its_place(lazy):
    chapter = cx.open_chapter(lazy)
    assert chapter.runs("kpis") and not chapter.runs("sentiment")
    note = chapter.memory_note("Sentiment", "sentiment")._repr_html_()
    assert NOTE in note and "cx.sentiment needs the responses in memory" in note
    assert cx.open_chapter(cx.load_study(lazy.codebook.path)).runs("sentiment")


@pytest.mark.slow
def test_the_index_page_from_a_dask_study_has_the_in_memory_kpi_cards(study_path, lazy):
    quick = {"n_boot": 0, "stability_n_boot": 0}
    memory = build_report(cx.load_study(study_path), parameters=quick)
    report = build_report(lazy, parameters=quick)
    assert report.cards_title == memory.cards_title  # the latest wave, never waves pooled
    columns = ["statistic", "value", "low", "high", "n", "below_min_base"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(report.cards)[columns], pd.DataFrame(memory.cards)[columns], rtol=1e-9
    )
    leaders = [card["leader"]["brand"] for card in report.cards]
    assert leaders == [card["leader"]["brand"] for card in memory.cards]
    skipped = report.skipped_once()
    assert any(line.startswith("What customers say: " + NOTE) for line in skipped)
    for name in ("trends", "segment", "strategy"):
        if name not in available_on_dask():
            assert any(f"cx.{name} " in line and NOTE in line for line in skipped), name


def test_a_report_on_one_segment_needs_the_responses_in_memory(study_path):
    with pytest.raises(ParameterError, match="one segment's respondents needs the responses"):
        cx.open_chapter(study_path, segment=1, engine="dask", scheduler="synchronous")


def test_the_engine_given_twice_differently_is_refused(study_path, tmp_path):
    with pytest.raises(ParameterError, match="engine is given twice"):
        cx.render_report(study_path, tmp_path / "out", {"engine": "pandas"}, engine="dask")
    assert not (tmp_path / "out").exists()


def test_chapters_that_take_no_engine_cannot_render_a_dask_study(study_path, tmp_path):
    """Such a chapter would read the whole study into its kernel's memory."""
    folder = tmp_path / "chapters"
    folder.mkdir()
    nb = nbformat.read(chapters_folder() / "01_kpis.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = re.sub(r"(?m)^(engine|scheduler) = .*\n?", "", cell.source)
        cell.source = cell.source.replace(
            ",\n                          engine=engine, scheduler=scheduler", ""
        )
    nbformat.write(nb, folder / "01_kpis.ipynb")
    with pytest.raises(ParameterError, match="take no engine and scheduler parameters"):
        cx.render_report(
            study_path, tmp_path / "out", notebooks=folder, engine="dask", scheduler="synchronous"
        )
    assert not (tmp_path / "out").exists()


# -- end to end on a cluster ----------------------------------------------------------


class _Page(HTMLParser):
    """The tags and the addresses (src, href) of a page."""

    def __init__(self, path: Path):
        super().__init__()
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.text = path.read_text(encoding="utf-8")
        self.feed(self.text)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def reports(study_path, cluster, tmp_path_factory):
    """The report in memory and on the cluster (the Dask report's address is
    checked to be a TCP one on the loopback address)."""
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    folder = tmp_path_factory.mktemp("reports")
    lazy = cx.render_report(
        study_path, folder / "dask", engine="dask", scheduler=address, progress=False, cache=False
    )
    memory = cx.render_report(study_path, folder / "pandas", progress=False, cache=False)
    return memory.parent, lazy.parent


def _cards(index: Path) -> list[str]:
    """The headline cards' KPI, value and base, as the index page shows them."""
    html = index.read_text(encoding="utf-8")
    cards = re.findall(r'<div class="cx-kpi">([^<]+)<b>([^<]+)</b><small>([^<]+)</small>', html)
    return cards + re.findall(r"<small>best competitor: [^<]+</small>", html)


def _kpi_tables(page: Path) -> list[str]:
    """The KPI tables of a chapter page (the banner tables after them left out)."""
    html = page.read_text(encoding="utf-8")
    html = html[: html.find('id="Banner-tables"')]
    return re.findall(r"<table.*?</table>", html, flags=re.S)


@pytest.mark.slow
def test_the_dask_report_shows_the_kpis_of_the_in_memory_report(reports, cluster):
    memory, lazy = reports
    cards = _cards(lazy / "index.html")
    assert len(cards) >= 5 and cards == _cards(memory / "index.html")
    tables = _kpi_tables(lazy / "chapters" / "01_kpis.html")
    assert len(tables) == 3 and tables == _kpi_tables(memory / "chapters" / "01_kpis.html")
    assert "partition_sums" in cluster.scheduler.task_prefixes  # computed on the cluster
    executed = nbformat.read(lazy / "notebooks" / "01_kpis.ipynb", as_version=4)
    (injected,) = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert f'scheduler = "{cluster.scheduler_address}"' in injected.source


@pytest.mark.slow
def test_the_dask_report_names_every_chapter_it_leaves_out(reports):
    memory, lazy = reports
    index = (lazy / "index.html").read_text(encoding="utf-8")
    assert "computed with the Dask engine" in index
    shown = {page.stem for page in (lazy / "chapters").glob("*.html")}
    for chapter in chapters_in(chapters_folder()):
        if (memory / "chapters" / f"{chapter.name}.html").exists() and chapter.name not in shown:
            assert f"Chapter &#39;{chapter.title}&#39;: left out" in index, chapter.name
            assert LEFT_OUT in index
    assert "07_what_customers_say" not in shown
    assert {"00_data_quality", "01_kpis"} <= shown
    kpis_page = (lazy / "chapters" / "01_kpis.html").read_text(encoding="utf-8")
    if "banner" not in available_on_dask():
        assert f"Banner tables: {NOTE} (cx.banner needs the responses in memory)." in kpis_page


@pytest.mark.slow
def test_no_page_of_the_dask_report_shows_an_error_or_fetches_anything(reports):
    _, lazy = reports
    pages = [lazy / "index.html", *sorted((lazy / "chapters").glob("*.html"))]
    assert len(pages) >= 3
    for path in pages:
        page = _Page(path)
        assert "Traceback" not in page.text and "Error" not in page.text, path.name
        assert "script" not in page.tags and "link" not in page.tags, path.name
        for url in page.urls:
            embedded = url.startswith(("#", "data:image/"))
            relative_page = re.fullmatch(r"[\w.-]+(/[\w.-]+)*\.html(#[\w-]*)?", url)
            assert embedded or relative_page, f"{path.name} refers to {url[:60]}"
        assert "@import" not in page.text and "url(" not in page.text, path.name
        assert "127.0.0.1" not in page.text, path.name  # the machine's address stays out
