"""End to end: notebooks executed with papermill, HTML self-contained, writing atomic,
no path of the machine in the report; and the report folder's housekeeping."""

import asyncio
import hashlib
import os
import re
import shutil
import signal
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.errors import ReportError
from cxresearch.report.execute import _kernel_manager_class, _Kernels
from cxresearch.report.folders import remove_stale_builds, signals_deferred
from cxresearch.report.notebooks import chapters_folder
from cxresearch.report.scrub import PathScrubber

CWD_BEFORE_RENDERING = Path.cwd()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.tags, self.attributes = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def links_of(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zebracx")  # a word no report may show
    study = cx.make_demo_study(folder / "study", n=600, random_state=5)
    index = cx.render_report(study, folder / "out", {"min_base": 40}, progress=False)
    return study, index


@pytest.mark.slow
def test_report_has_index_chapters_and_executed_notebooks(report):
    _, index = report
    out = index.parent
    assert (out / "chapters" / "00_data_quality.html").exists()
    assert (out / "chapters" / "01_kpis.html").exists()
    executed = nbformat.read(out / "notebooks" / "01_kpis.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    html = index.read_text()
    assert "chapters/01_kpis.html" in html and "Headline KPIs" in html


@pytest.mark.slow
def test_every_page_is_self_contained(report):
    _, index = report
    pages = [index, *sorted((index.parent / "chapters").glob("*.html"))]
    for page in pages:
        parsed = links_of(page)
        assert "script" not in parsed.tags and "link" not in parsed.tags, page.name
        for url in parsed.urls:
            embedded = url.startswith(("#", "data:image/"))
            relative_page = re.fullmatch(r"[\w.-]+(/[\w.-]+)*\.html(#[\w-]*)?", url)
            assert embedded or relative_page, f"{page.name} refers to {url[:60]}"
        assert "@import" not in page.read_text() and "url(" not in page.read_text()
    kpis_page = index.parent / "chapters" / "01_kpis.html"
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', kpis_page.read_text())) >= 2


@pytest.mark.slow
def test_footer_records_data_hash_version_and_parameters(report):
    study, index = report
    html = index.read_text()
    responses_hash = hashlib.sha256((study.parent / "responses.csv").read_bytes()).hexdigest()
    assert responses_hash in html
    assert f"cxresearch {cx.__version__}" in html
    assert "&#34;min_base&#34;: 40" in html or '"min_base": 40' in html


@pytest.mark.slow
def test_rendering_leaves_the_working_directory_alone(report):
    """Chapters run side by side in threads: none may change the process's directory."""
    assert Path.cwd() == CWD_BEFORE_RENDERING


@pytest.mark.slow
def test_parameters_reach_the_notebooks(report):
    _, index = report
    executed = nbformat.read(index.parent / "notebooks" / "00_data_quality.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "min_base = 40" in injected[0].source


@pytest.mark.slow
def test_no_code_is_shown(report):
    _, index = report
    html = (index.parent / "chapters" / "01_kpis.html").read_text()
    assert "import cxresearch" not in html and "load_study" not in html


def failing_notebooks(folder: Path) -> Path:
    shutil.copytree(chapters_folder(), folder)
    nb = nbformat.read(folder / "01_kpis.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(nb, folder / "01_kpis.ipynb")
    return folder


@pytest.mark.slow
def test_a_failing_chapter_keeps_the_previous_report_and_the_failed_notebook(report, tmp_path):
    study, index = report
    out = tmp_path / "out"
    shutil.copytree(index.parent, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ReportError) as err:
        cx.render_report(study, out, notebooks=failing_notebooks(tmp_path / "nbs"), progress=False)
    message = str(err.value)
    assert "01_kpis.ipynb" in message and "RuntimeError" in message and "planted failure" in message
    assert err.value.cell is not None and f"cell {err.value.cell}" in message
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    kept = nbformat.read(err.value.kept, as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))
    assert not [p for p in tmp_path.iterdir() if ".building-" in p.name or ".old-" in p.name]


@pytest.mark.slow
def test_customer_text_and_brand_names_are_escaped(tmp_path):
    path = cx.make_demo_study(tmp_path / "study", n=300, random_state=2)
    responses = pd.read_csv(path.parent / "responses.csv", dtype=str, keep_default_na=False)
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    responses["brand_rated"] = responses["brand_rated"].replace("Corvex", hostile)
    responses["comment"] = hostile + " write to eve@example.com or call +48 601 234 567"
    responses.to_csv(path.parent / "responses.csv", index=False)
    study_text = path.read_text().replace("name: Acme retail CX demo 2026", f"name: '{hostile}'")
    path.write_text(study_text)
    index = cx.render_report(path, tmp_path / "out", progress=False)
    pages = [index, *(index.parent / "chapters").glob("*.html")]
    for page in pages:
        parsed = links_of(page)
        assert "script" not in parsed.tags and "x" not in parsed.urls, page.name
        assert not [a for a in parsed.attributes if a.startswith("on")], page.name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index.read_text()
    journey_page = (index.parent / "chapters" / "05_journey.html").read_text()
    assert "&lt;img src=x onerror=alert(2)&gt;" in journey_page  # the quoted comment, inert
    assert "eve@example.com" not in journey_page and "601 234 567" not in journey_page


@pytest.mark.slow
def test_index_has_the_managers_sections(report):
    _, index = report
    html = index.read_text()
    for heading in (
        "Executive summary",
        "Three findings",
        "Three priorities",
        "Personas",
        "Expectations against experiences",
        "Competitors",
        "The customer journey",
        "Strategy and roadmap",
        "Appendix: method",
        "Appendix: data quality",
    ):
        assert heading in html, heading
    assert "best competitor" in html and "since 2026-Q2" in html
    assert html.count("data:image/png;base64,") >= 5


@pytest.mark.slow
def test_chapters_a_study_cannot_support_are_left_out_with_a_note(tmp_path):
    from conftest import write_study

    path = write_study(
        tmp_path / "tiny",
        touchpoints=[],
        outcomes={"nps": {"column": "recommend", "scale": [0, 10]}},
        min_base=1,
    )
    index = cx.render_report(path, tmp_path / "out", progress=False)
    names = {p.stem for p in (index.parent / "chapters").glob("*.html")}
    assert "02_segments" not in names and "03_gaps_drivers" not in names and "01_kpis" in names
    assert "05_journey" not in names  # nothing along the journey to show: no empty chapter
    assert "left out, the study has no touchpoint experience scores" in index.read_text()


@pytest.mark.slow
def test_open_chapter_applies_the_report_parameters(demo_path):
    chapter = cx.open_chapter(demo_path, min_base=50, brand="Brightline", k=3, random_state=2)
    assert chapter.study.codebook.min_base == 50 and chapter.study.brand == "Brightline"
    seg = chapter.segmentation(n_boot=0)
    assert seg.k == 3
    same = cx.segment(chapter.study, k=3, random_state=2, n_boot=0)
    pd.testing.assert_series_equal(seg.labels, same.labels)


@pytest.mark.slow
def test_every_chapter_and_the_index_segment_alike(demo):
    """The index page and the per-segment restriction use the chapters' settings."""
    from cxresearch.report.summary import build_report

    settings = cx.ChapterSettings.from_parameters({"k": 3, "random_state": 1, "outcome": "csat"})
    assert settings.k == 3 and settings.clustering == "kmeans"
    report = build_report(demo, settings)
    personas = next(s for s in report.sections if s.id == "personas")
    assert personas.html.count("<div class='cx-card'>") == 3
    restricted = cx.open_chapter(demo, segment=2, k=3, random_state=1).study
    labels = cx.segment(demo, k=3, random_state=1, n_boot=0).labels
    assert restricted.n == int((labels == 2).sum())


IMAGES = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+|\"image/png\": \"[^\"]*\"")


@pytest.mark.slow
def test_no_path_of_the_machine_is_in_the_report_folder(report):
    """Footer, executed notebooks (the study parameter, papermill's metadata,
    outputs) and the data-quality appendix name the study, never its path."""
    study, index = report
    assert "zebracx" in str(study)
    folder = index.parent
    files = [p for p in folder.rglob("*") if p.suffix in (".html", ".ipynb", ".json", ".txt")]
    assert len(files) >= 10
    words = ["zebracx", str(Path.home()), os.getcwd(), str(folder)]
    for path in files:
        text = IMAGES.sub("", path.read_text(encoding="utf-8"))  # base64 may spell anything
        for word in words:
            assert word not in text, (path.name, word)
    executed = nbformat.read(folder / "notebooks" / "01_kpis.ipynb", as_version=4)
    assert executed.metadata.papermill.input_path == "01_kpis.ipynb"
    assert executed.metadata.papermill.parameters["study"] == "study.yaml"
    assert "Acme retail CX demo 2026" in index.read_text()  # the study, by name


@pytest.mark.slow
def test_a_finished_kernel_is_shut_down_without_an_interrupt():
    """jupyter_client interrupts a kernel before shutting it down: a kernel busy
    with the shutdown then logged "KeyboardInterrupt caught in kernel"."""
    kernels = _Kernels()
    manager = _kernel_manager_class(kernels)(kernel_name="python3")
    sent = []

    async def start_and_shut_down():
        await manager.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        assert kernels._running == {manager}
        send = manager.provisioner.send_signal

        async def spy(signum):
            sent.append(signum)
            await send(signum)

        manager.provisioner.send_signal = spy
        await manager.shutdown_kernel()

    asyncio.run(start_and_shut_down())
    assert sent == [] and kernels._running == set()


def ended_process_id() -> int:
    import subprocess
    import sys

    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_stale_build_folders_of_the_report_are_removed_and_nothing_else(tmp_path):
    start = time.time()
    names = {
        f".report.building-{ended_process_id()}-x1": "removed: its run ended",
        ".report.building-abc123": "removed: an older run's, without a process id",
        ".report.old-abc123": "removed: a previous report swapped out",
        f".report.building-{os.getppid()}-x2": "kept: its run is still going",
        ".reports.building-abc": "kept: another report's",
        ".other.old-abc": "kept: another report's",
    }
    for name in names:
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (start - 60, start - 60))
    (tmp_path / ".report.building-new").mkdir()  # made after this run started: kept
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("the report")
    removed = remove_stale_builds(tmp_path / "report", start)
    assert sorted(p.name for p in removed) == sorted(n for n, w in names.items() if "removed" in w)
    kept = {p.name for p in tmp_path.iterdir()}
    assert kept == {n for n, w in names.items() if "kept" in w} | {".report.building-new", "report"}


def test_a_report_swapped_out_when_a_run_was_killed_is_put_back(tmp_path):
    old = tmp_path / ".report.old-123-abc"
    old.mkdir()
    (old / "index.html").write_text("the last good report")
    os.utime(old, (time.time() - 60, time.time() - 60))
    assert remove_stale_builds(tmp_path / "report", time.time()) == []
    assert (tmp_path / "report" / "index.html").read_text() == "the last good report"


def test_paths_become_relative_and_images_stay_as_they_are(tmp_path):
    study = tmp_path / "studies" / "acme"
    build, out = tmp_path / ".out.building-1-x", tmp_path / "out"
    scrub = PathScrubber.for_report(study, build, out, tmp_path / "chapters")
    image = "data:image/png;base64,iVBOR" + str(study).replace("/", "+") + "=="
    text = (
        f'study = "{study}/study.yaml"; read {study}/data/r.csv; wrote {build}/notebooks/a.ipynb; '
        f"the folder {study}; a sibling {study}2/x; {image}"
    )
    assert scrub.text(text) == (
        'study = "study.yaml"; read data/r.csv; wrote notebooks/a.ipynb; '
        f"the folder .; a sibling {study}2/x; {image}"
    )
    notebook = {"metadata": {"path": f"{study}/study.yaml"}, "data": {"image/png": str(study)}}
    assert scrub.tree(notebook) == {
        "metadata": {"path": "study.yaml"},
        "data": {"image/png": str(study)},
    }


def test_an_interrupt_waits_until_the_report_is_swapped_in():
    # Python's own handler, as at a terminal (a background job's shell ignores SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    steps = []
    try:
        _interrupted_swap(steps)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert steps == ["renamed the old report", "renamed the new report"]


def _interrupted_swap(steps: list) -> None:
    with pytest.raises(KeyboardInterrupt):
        with signals_deferred():
            signal.raise_signal(signal.SIGINT)
            steps.append("renamed the old report")
            steps.append("renamed the new report")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.slow
def test_each_analysis_runs_once_per_report_and_not_again_on_unchanged_data(tmp_path):
    """The chapters and the index page share one results folder: no key is
    computed twice in a report, and a second report on the same data computes
    nothing and shows the same numbers."""
    study = cx.make_demo_study(tmp_path / "study", n=300, random_state=2)
    results = tmp_path / "results"
    parameters = {"n_boot": 20}
    first = cx.render_report(study, tmp_path / "one", parameters, progress=False, cache=results)
    ledger = cx.cache.computed(results)
    keys = [row["key"] for row in ledger]
    assert len(keys) == len(set(keys)), "an analysis ran twice in one report"
    names = [row["function"].rsplit(".", 1)[-1] for row in ledger]
    assert {"drivers", "strategy", "segment", "_fit", "gaps"} <= set(names)
    for once in ("strategy", "_fit", "load_study", "sentiment", "themes"):  # one call each
        assert names.count(once) == 1, f"{once} computed {names.count(once)} times"
    second = cx.render_report(study, tmp_path / "two", parameters, progress=False, cache=results)
    assert len(cx.cache.computed(results)) == len(ledger), "the second report recomputed"

    def numbers(index):
        text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", index.read_text())
        return re.sub(r"<img[^>]+>", "", text)

    assert numbers(first) == numbers(second)


def test_only_a_kernel_that_died_starting_is_retried():
    from cxresearch.report.execute import _died_starting

    assert _died_starting(RuntimeError("Kernel died before replying to kernel_info"))
    assert not _died_starting(RuntimeError("Kernel died while running cell 3"))
