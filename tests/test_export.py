"""What researchers hand over: the workbook, the deck and the PDF carry the report's numbers.

Each file is opened with its own library (openpyxl, python-pptx, pypdf) and
checked against the report: the workbook's KPIs are ``cx.kpis(study)``'s,
the deck's headline cards are the index page's cards as the page writes
them, and the PDF's text holds the index page's headline numbers. One
report is rendered for the whole module (slow); the quick tests need none.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.cli import main
from cxresearch.errors import CxError
from cxresearch.report.export import deliverables, find_chromium, write_atomically, write_deck
from cxresearch.report.export.pdf import CHROMIUM_ENVIRONMENT
from cxresearch.report.export.workbook import Sheet, save_sheets

openpyxl = pytest.importorskip("openpyxl")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")


def _text(html: str) -> str:
    """A page's visible words, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# -- quick: the writers' guarantees ----------------------------------------------
def test_text_that_looks_like_a_formula_stays_text_and_small_bases_are_blanked(tmp_path):
    table = pd.DataFrame(
        {
            "label": ["=SUM(A1:A9)", "Store\x07"],
            "value": [4.25, 3.5],
            "low": [4.0, 3.0],
            "n": [120, 7],
            "share": [0.25, 0.5],
            "below_min_base": [False, True],
        }
    )
    sheet = Sheet("Gaps", "A title", table, ("a note",), ("share",), lambda t: t["below_min_base"])
    path = save_sheets([sheet], tmp_path / "t.xlsx", min_base=30)
    ws = openpyxl.load_workbook(path)["Gaps"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header, first, second = rows[0], *(dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert header[-1] == "note"
    assert first["label"] == "=SUM(A1:A9)" and ws["A5"].data_type == "s"  # text, no formula
    assert second["label"] == "Store"  # a control character Excel cannot hold is dropped
    assert first["value"] == 4.25 and first["n"] == 120
    assert second["value"] is None and second["low"] is None and second["n"] == 7
    assert second["note"] == "suppressed: base below 30"
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:G6"
    assert ws["E5"].number_format == "0.0%" and ws["D5"].number_format == "#,##0"


def test_a_failed_write_leaves_the_old_file_in_place(tmp_path):
    target = tmp_path / "deck.pptx"
    target.write_text("the good one")

    def fails(temporary: Path) -> None:
        temporary.write_text("half")
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        write_atomically(target, fails)
    assert target.read_text() == "the good one"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.pptx"]  # no temporary left


def test_a_missing_chromium_is_named(monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENVIRONMENT, "/nowhere/chromium")
    with pytest.raises(CxError, match="CXRESEARCH_CHROMIUM=/nowhere/chromium: no such program"):
        find_chromium()
    monkeypatch.delenv(CHROMIUM_ENVIRONMENT)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(CxError, match="none was found.*apt-get install chromium"):
        find_chromium()


@pytest.fixture(scope="module")
def study_path(tmp_path_factory) -> Path:
    return cx.make_demo_study(tmp_path_factory.mktemp("export") / "study", n=300, random_state=2)


@pytest.mark.parametrize(
    "arguments, words",
    [
        ([], "name at least one file to write"),
        (["--xlsx", "{tmp}/out.xlsx", "--report", "{tmp}"], "--report DIR is the report to print"),
        (["--xlsx", "{tmp}/missing/out.xlsx"], "does not exist"),
        (["--pptx", "{tmp}"], "is a folder"),
        (["--xlsx", "{tmp}/out.csv"], "should end in .xlsx"),
        (["--xlsx", "{tmp}/out.xlsx", "-p", "nonsense", "1"], "no chapter takes the parameter"),
        (["--xlsx", "{tmp}/out.xlsx", "-p", "brand", "Nobody"], "the study's brand 'Nobody'"),
    ],
)
def test_bad_export_requests_get_one_line_and_no_file(
    study_path, tmp_path, capsys, arguments, words
):
    argv = ["export", str(study_path), *(a.format(tmp=tmp_path) for a in arguments)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("out.*"))


def test_a_pdf_without_chromium_fails_before_any_work(study_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENVIRONMENT, "/nowhere/chromium")
    assert main(["export", str(study_path), "--pdf", str(tmp_path / "r.pdf")]) == 1
    assert "no such program" in capsys.readouterr().err


@needs_chromium
def test_a_pdf_of_a_folder_without_a_report_says_so(study_path, tmp_path, capsys):
    argv = ["export", str(study_path), "--pdf", str(tmp_path / "r.pdf"), "--report", str(tmp_path)]
    assert main(argv) == 1
    assert "holds no rendered report (no index.html)" in capsys.readouterr().err


# -- slow: one report, and the three files from it --------------------------------
@pytest.fixture(scope="module")
def rendered(study_path, tmp_path_factory) -> Path:
    """The report (its analyses stay in the session's cache for the exports)."""
    return cx.render_report(study_path, tmp_path_factory.mktemp("report") / "r", progress=False)


@pytest.fixture(scope="module")
def exported(study_path, rendered, tmp_path_factory) -> dict[str, Path]:
    """The three files, written by the command line from the rendered report."""
    folder = tmp_path_factory.mktemp("files")
    files = {"xlsx": folder / "results.xlsx", "pptx": folder / "board.pptx"}
    if CHROMIUM is not None:
        files["pdf"] = folder / "report.pdf"
    argv = ["export", str(study_path), "--quiet"]
    for option, path in files.items():
        argv += [f"--{option}", str(path)]
    if CHROMIUM is not None:
        argv += ["--report", str(rendered.parent)]
    assert main(argv) == 0
    return files


@pytest.fixture(scope="module")
def results(study_path, exported):
    return deliverables(study_path)  # read back from the cache the report filled


@pytest.fixture(scope="module")
def index_text(rendered) -> str:
    return _text(rendered.read_text(encoding="utf-8"))


def _sheet(path: Path, name: str) -> pd.DataFrame:
    """A sheet's table: the rows under its header row (the one after the blank row)."""
    ws = openpyxl.load_workbook(path)[name]
    header = int(ws.freeze_panes[1:]) - 1
    rows = list(ws.iter_rows(min_row=header, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.slow
def test_the_workbook_has_one_filterable_sheet_per_table(exported):
    book = openpyxl.load_workbook(exported["xlsx"])
    expected = ["Read me", "Summary", "KPIs", "Scorecard", "Banner", "Gaps", "Drivers", "Personas"]
    expected += ["Competitors", "Brand scores", "Journey", "Funnel", "Priorities", "Trends"]
    assert book.sheetnames == expected
    for ws in book:
        header = int(ws.freeze_panes[1:]) - 1
        assert ws.auto_filter.ref.startswith(f"A{header}:"), ws.title
        for row in ws.iter_rows():
            assert not any(cell.data_type == "f" for cell in row), ws.title  # no formula


@pytest.mark.slow
def test_the_workbooks_numbers_are_the_analyses(exported, study_path):
    study = cx.load_study(study_path)
    kpis = _sheet(exported["xlsx"], "KPIs")
    everyone = kpis[kpis["group"] == "All respondents"].reset_index(drop=True)
    expected = cx.kpis(study).table
    assert list(everyone["statistic"]) == list(expected["statistic"])
    for column in ("value", "low", "high", "n"):
        assert everyone[column].astype(float).tolist() == pytest.approx(expected[column].tolist())
    gaps = _sheet(exported["xlsx"], "Gaps")
    reference = cx.gaps(study).table
    shown = ~reference["below_min_base"]
    assert gaps.loc[shown.to_numpy(), "gap"].astype(float).tolist() == pytest.approx(
        reference.loc[shown, "gap"].tolist()
    )
    assert gaps["n"].tolist() == reference["n"].tolist()
    banner = _sheet(exported["xlsx"], "Banner")
    reference = cx.banner(study).table
    shown = ~reference["below_min_base"].to_numpy()
    assert banner.loc[shown, "value"].astype(float).tolist() == pytest.approx(
        reference.loc[shown, "value"].tolist()
    )
    assert banner["n"].tolist() == reference["n"].tolist()
    assert banner.loc[~shown, "value"].isna().all()  # small bases: blank, with the note


@pytest.mark.slow
def test_the_workbooks_summary_is_the_index_pages(exported, index_text):
    summary = _sheet(exported["xlsx"], "Summary")
    assert len(summary) > 0
    for row in summary.itertuples():
        assert f"{row.statistic} {row.value:.1f}" in index_text
        assert f"interval {row.low:.1f} to {row.high:.1f}; n={row.n:,}" in index_text


@pytest.mark.slow
def test_the_deck_tells_the_report_in_ten_to_fifteen_slides(exported, results):
    pptx = pytest.importorskip("pptx")
    deck = pptx.Presentation(exported["pptx"])
    assert 10 <= len(deck.slides) <= 15
    for number, slide in enumerate(deck.slides, 1):
        headline = slide.shapes.title.text
        assert headline and "\n" not in headline and len(headline) <= 110, number
        notes = slide.notes_slide.notes_text_frame.text
        assert "interval" in notes.lower(), number
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        for picture in pictures:  # crisp: about 200 pixels per inch as shown
            pixels = picture.image.size[0]
            assert pixels / (picture.width / 914400) >= 150, number
    kinds = [s.shapes.title.text for s in deck.slides]
    gaps = results.analyses.gaps.table
    worst = gaps[gaps["significant"] & (gaps["gap"] < 0) & ~gaps["below_min_base"]]
    worst = worst.nsmallest(1, "gap").iloc[0]
    assert any(k.startswith(f"{worst['label']} falls furthest short") for k in kinds)
    assert any(f"{worst['gap']:+.2f}" in k for k in kinds)


@pytest.mark.slow
def test_the_decks_headline_cards_are_the_index_pages(exported, results, index_text):
    pptx = pytest.importorskip("pptx")
    slide = pptx.Presentation(exported["pptx"]).slides[1]
    cards = [s.text_frame.text.splitlines() for s in slide.shapes if s.shape_type == 1]
    cards = [c for c in cards if c and c != [""]]
    assert [c[0] for c in cards] == [c["statistic"] for c in results.report.cards]
    for lines in cards:
        statistic, value, interval, *rest = lines
        assert f"{statistic} {value} {interval}" in index_text
        for line in rest:
            assert line in index_text


@pytest.mark.slow
@needs_chromium
def test_the_pdf_has_contents_pages_and_the_headline_numbers(exported, results):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(exported["pdf"])
    total = len(reader.pages)
    assert total > 10
    texts = [page.extract_text() for page in reader.pages]
    assert "Contents" in texts[0] and f"page 1 of {total}" in texts[0]
    assert f"page {total} of {total}" in texts[-1]
    words = " ".join(" ".join(texts).split())
    for card in results.report.cards:
        assert f"{card['value']:.1f}" in words
        assert f"interval {card['low']:.1f} to {card['high']:.1f}; n={card['n']:,}" in words
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0] == "Summary" and len(outline) > 3
    assert any(page.images for page in reader.pages)  # the charts came along


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no pdftoppm to render a page")
@needs_chromium
def test_a_pdf_page_renders_as_an_image(exported, tmp_path):
    image = pytest.importorskip("PIL.Image")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "2", "-l", "2", exported["pdf"], tmp_path / "p"],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    colours = image.open(png).convert("L").getextrema()
    assert colours[0] < 128 < colours[1]  # ink on paper, not a blank page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="no LibreOffice to render a slide")
def test_a_slide_renders_as_an_image(exported, tmp_path):
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp_path, exported["pptx"]],
        check=True,
        timeout=300,
    )
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(tmp_path / "board.pdf")
    assert len(reader.pages) == len(
        pytest.importorskip("pptx").Presentation(exported["pptx"]).slides
    )


@pytest.mark.slow
def test_the_codebooks_colours_paint_the_deck(tmp_path):
    pptx = pytest.importorskip("pptx")
    path = cx.make_demo_study(tmp_path / "study", n=200, random_state=5)
    with path.open("a", encoding="utf-8") as codebook:
        codebook.write('colours: ["#0A3D62", "#e58e26"]\n')
    results = deliverables(path, cache=False)
    assert results.colours() == ("#0a3d62", "#e58e26")
    deck = pptx.Presentation(write_deck(results, tmp_path / "deck.pptx"))

    def accent_bars(slide) -> list[str]:  # the thin rectangles under the titles
        thin = [s for s in slide.shapes if s.shape_type == 1 and s.height < 0.1 * 914400]
        return [str(s.fill.fore_color.rgb) for s in thin]

    assert accent_bars(deck.slides[0]) == ["0A3D62"]  # the title slide's
    assert all(accent_bars(slide) == ["0A3D62"] for slide in deck.slides)
    headline = deck.slides[1].shapes.title.text_frame.paragraphs[0].runs[0]
    assert str(headline.font.color.rgb) == "0A3D62"


@pytest.mark.slow
def test_a_dask_study_exports_its_workbook_with_the_in_memory_kpis(tmp_path):
    """``cxresearch export --engine dask``: the workbook's numbers come from the
    Dask versions, the scorecard's too."""
    pytest.importorskip("dask.dataframe")
    from dask_helpers import parquet_study

    path = parquet_study(tmp_path / "study")
    workbook = tmp_path / "results.xlsx"
    argv = ["export", str(path), "--xlsx", str(workbook), "--engine", "dask"]
    assert main([*argv, "--scheduler", "synchronous", "-p", "n_boot", "20", "--quiet"]) == 0
    results = deliverables(path, {"n_boot": 20}, engine="dask", scheduler="synchronous")
    in_memory = cx.load_study(path)
    pd.testing.assert_frame_equal(results.kpis.table, cx.kpis(in_memory).table, rtol=1e-9)
    expected = cx.scorecard(in_memory).table
    pd.testing.assert_frame_equal(results.scorecard.table, expected, rtol=1e-9)
    sheets = set(pd.ExcelFile(workbook).sheet_names)
    assert {"KPIs", "Gaps", "Drivers", "Competitors", "Scorecard"} <= sheets
