"""The report as one PDF: a table of contents, the index page, then the chapters.

Each page of a rendered report folder is printed by headless Chromium (the
report's own HTML and print styles: every section starts a page, charts and
tables are not split), the parts are merged with pypdf behind a contents page
listing every section and chapter with its page, the PDF's outline (bookmarks)
mirrors the contents, and every page is numbered "page i of N".

Chromium is found as ``CXRESEARCH_CHROMIUM`` names it, else as ``chromium``,
``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` on the
PATH; without one, :func:`find_chromium` raises a :class:`CxError` that says so.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from ...errors import CxError
from .results import write_atomically

CHROMIUM_ENVIRONMENT = "CXRESEARCH_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT = 300  # seconds for one page
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=10000",
)


@dataclass(frozen=True)
class Entry:
    """A line of the contents: a title, its depth (0: a page, 1: a section) and page (0-based)."""

    title: str
    level: int
    page: int


def find_chromium() -> str:
    """The Chromium (or Chrome) to print with; a :class:`CxError` naming what
    is missing when there is none."""
    chosen = os.environ.get(CHROMIUM_ENVIRONMENT)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise CxError(f"{CHROMIUM_ENVIRONMENT}={chosen}: no such program")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise CxError(
        "--pdf prints the report with headless Chromium, and none was found: no "
        f"{', '.join(CHROMIUM_NAMES)} on the PATH. Install one (Debian: apt-get install "
        f"chromium) or set {CHROMIUM_ENVIRONMENT} to its path."
    )


def write_pdf(report_dir: str | Path, path: str | Path, *, chromium: str | None = None) -> Path:
    """Print the rendered report in ``report_dir`` to the PDF ``path`` (atomically).

    Raises
    ------
    CxError
        ``report_dir`` holds no rendered report, no Chromium is installed, or
        pypdf is missing, or Chromium failed to print a page (named).
    """
    pypdf = _pypdf()
    chromium = chromium or find_chromium()
    pages = report_pages(Path(report_dir))
    with tempfile.TemporaryDirectory(prefix="cx-pdf-") as scratch:
        folder = Path(scratch)
        readers, entries, start = [], [], 0
        for number, (page, title) in enumerate(pages):
            reader = pypdf.PdfReader(
                print_page(chromium, page, folder / f"part-{number}.pdf", folder)
            )
            entries.append(Entry(title, 0, start))
            entries += [Entry(t, 1, start + p) for t, p in _sections(page, reader)]
            readers.append(reader)
            start += len(reader.pages)
        contents = _contents(chromium, _title(pages[0][0]), entries, folder, pypdf)
        writer = pypdf.PdfWriter()
        for reader in (contents, *readers):
            writer.append(reader)
        _outline(writer, entries, offset=len(contents.pages))
        _number_pages(writer, pypdf)
        writer.add_metadata({"/Title": _title(pages[0][0]), "/Producer": "cxresearch"})
        return write_atomically(path, lambda temporary: writer.write(str(temporary)))


def report_pages(report_dir: Path) -> list[tuple[Path, str]]:
    """The index page, then the chapters in the order the index lists them,
    each with its title."""
    index = report_dir / "index.html"
    if not index.is_file():
        raise CxError(
            f"{report_dir} holds no rendered report (no index.html): render one with "
            "cxresearch report STUDY --out DIR, or leave out --report"
        )
    page = _Page.read(index)
    chapters = [
        report_dir / href for href in dict.fromkeys(page.links) if href.startswith("chapters/")
    ]
    return [(index, "Summary")] + [
        (p, _Page.read(p).heading or p.stem) for p in chapters if p.is_file()
    ]


def print_page(chromium: str, page: Path, out: Path, scratch: Path) -> Path:
    """``page`` printed to the PDF ``out`` by headless Chromium."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=scratch))
    command = [
        chromium,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={out}",
        page.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PRINT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise CxError(f"Chromium took over {PRINT_TIMEOUT} s to print {page.name}") from None
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CxError(f"Chromium could not print {page.name} (exit {done.returncode}): {last}")
    return out


# -- contents, outline, page numbers -------------------------------------------
def _sections(page: Path, reader) -> list[tuple[str, int]]:
    """The page's section headings (h2) and the page (0-based, within its
    part) each first appears on, in order."""
    texts = [_words(p.extract_text() or "") for p in reader.pages]
    found, at = [], 0
    for heading in _Page.read(page).sections:
        words = _words(heading)
        for index in range(at, len(texts)):
            if words and words in texts[index]:
                found.append((heading, index))
                at = index
                break
    return found


def _contents(chromium: str, title: str, entries: list[Entry], folder: Path, pypdf):
    """The contents page(s), printed by Chromium; reprinted once if its length
    moved the page numbers it shows."""
    length = 1
    for _ in range(3):
        html = folder / f"contents-{length}.html"
        html.write_text(_contents_html(title, entries, length), encoding="utf-8")
        reader = pypdf.PdfReader(
            print_page(chromium, html, folder / f"contents-{length}.pdf", folder)
        )
        if len(reader.pages) == length:
            return reader
        length = len(reader.pages)
    return reader


def _contents_html(title: str, entries: list[Entry], offset: int) -> str:
    rows = "".join(
        f"<li class='l{e.level}'><span>{escape(e.title)}</span><b>{e.page + offset + 1}</b></li>"
        for e in entries
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Contents</title><style>"
        "body{font-family:'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1f2430;"
        "margin:2rem}h1{font-size:1.6rem}p{color:#5b6475}ol{list-style:none;padding:0}"
        "li{display:flex;gap:.5rem;margin:.25rem 0}li span{flex:1;border-bottom:1px dotted #999}"
        "li.l0{font-weight:bold;margin-top:.7rem}li.l1{padding-left:1.5rem}"
        f"</style></head><body><h1>{escape(title)}</h1><p>Contents</p><ol>{rows}</ol></body></html>"
    )


def _outline(writer, entries: list[Entry], offset: int) -> None:
    parent = None
    for entry in entries:
        if entry.level == 0:
            parent = writer.add_outline_item(title=entry.title, page_number=entry.page + offset)
        else:
            writer.add_outline_item(
                title=entry.title, page_number=entry.page + offset, parent=parent
            )


def _number_pages(writer, pypdf) -> None:
    """Stamp "page i of N" at the foot of every page (drawn by matplotlib)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buffer, total = io.BytesIO(), len(writer.pages)
    with PdfPages(buffer) as stamps:
        for number, page in enumerate(writer.pages, 1):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            figure = Figure(figsize=(width / 72, height / 72))
            figure.patch.set_alpha(0)
            figure.text(
                0.5,
                14 / height,
                f"page {number} of {total}",
                ha="center",
                fontsize=8,
                color="#5b6475",
            )
            stamps.savefig(figure, transparent=True)
    stamped = pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
    for page, stamp in zip(writer.pages, stamped.pages, strict=True):
        page.merge_page(stamp)


# -- reading the report's HTML ---------------------------------------------------
class _Page(HTMLParser):
    """A report page's title, first heading, section headings (h2) and links."""

    def __init__(self):
        super().__init__()
        self.title, self.heading, self.sections, self.links = "", "", [], []
        self._in: str | None = None
        self._text: list[str] = []

    @classmethod
    def read(cls, path: Path) -> _Page:
        page = cls()
        page.feed(path.read_text(encoding="utf-8"))
        return page

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]
        if tag in ("title", "h1", "h2") and self._in is None:
            self._in, self._text = tag, []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag != self._in:
            return
        text = " ".join("".join(self._text).split()).removesuffix("¶").strip()
        if tag == "title":
            self.title = text
        elif tag == "h1" and not self.heading:
            self.heading = text
        elif tag == "h2" and text:
            self.sections.append(text)
        self._in = None


def _title(index: Path) -> str:
    page = _Page.read(index)
    return page.heading or page.title or "CX report"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _pypdf():
    try:
        import pypdf
    except ImportError as exc:
        raise CxError("--pdf needs pypdf, which is not installed: pip install pypdf") from exc
    return pypdf
