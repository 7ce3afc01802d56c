"""The board deck: 10-15 slides from the report's own results.

Title, executive summary (the headline KPI cards, three findings, three
priorities), then one slide per section the report has (personas, gaps,
drivers, competitors, journey, web shop, trends, strategy and roadmap) and
the method. Every content slide carries the result's own chart (its
``.plot()``, a PNG at 200 dpi), a headline that states the finding, and
speaker notes with the bases and the method. The headline cards are the
index page's cards, written the way the page writes them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ... import plots
from ...errors import CxError
from ...tables import format_difference, interval_label
from .results import Deliverables, write_atomically
from .story import card_lines, headlines, notes_of

DPI = 200
WIDTH, HEIGHT = 13.333, 7.5  # inches: 16:9
MAX_CARDS = 15  # five to a row, three rows


@dataclass(frozen=True)
class Slide:
    """One slide's content: its headline, a chart (a result with ``.plot()``
    or None), bullet lines beside it, and the speaker notes."""

    kind: str
    headline: str
    result: object | None = None
    lines: tuple[str, ...] = ()
    notes: str = ""


def slides(results: Deliverables) -> list[Slide]:
    """The deck's slides, in order: what the report shows, and only that."""
    a, r, say = results.analyses, results.report, headlines(results)
    found = [Slide("title", results.study.name, notes=notes_of(results, None))]
    found.append(Slide("cards", say["cards"], notes=_cards_notes(results)))
    if r.findings:
        found.append(
            Slide(
                "findings",
                say["findings"],
                a.drivers,
                tuple(r.findings),
                notes_of(results, a.drivers),
            )
        )
    if r.priorities:
        found.append(
            Slide(
                "priorities",
                say["priorities"],
                a.strategy,
                tuple(r.priorities),
                notes_of(results, a.strategy),
            )
        )
    sections = [
        ("personas", a.segmentation, lambda x: x.findings(top=3).lines),
        ("gaps", a.gaps, lambda x: x.shortfalls(top=3).lines),
        ("drivers", a.drivers, lambda x: x.findings(top=3).lines),
        ("competitors", a.comparison, lambda x: x.summary().lines[:3]),
        ("journey", a.journey, lambda x: x.pain_points(top=3).lines),
        ("funnel", a.funnel, lambda x: x.findings(top=3).lines),
        ("trends", a.trends, lambda x: x.moved(top=3).lines),
        ("strategy", a.strategy, lambda x: x.findings(top=3).lines),
    ]
    for kind, result, lines in sections:
        if result is not None and (kind != "competitors" or _has_chart(result)):
            found.append(
                Slide(kind, say[kind], result, tuple(lines(result)), notes_of(results, result))
            )
    if a.strategy is not None and len(a.strategy.table):
        found.append(Slide("roadmap", say["roadmap"], None, (), notes_of(results, a.strategy)))
    found.append(
        Slide(
            "method", "How to read these numbers", None, _method(results), notes_of(results, None)
        )
    )
    return found


def _has_chart(comparison) -> bool:
    return bool(comparison.values["touchpoint"].notna().any())


def write_deck(results: Deliverables, path: str | Path) -> Path:
    """Write the deck of ``results`` to ``path`` (atomically) and return the path."""
    pptx = _pptx()
    deck = pptx.Presentation()
    deck.slide_width, deck.slide_height = pptx.util.Inches(WIDTH), pptx.util.Inches(HEIGHT)
    deck.core_properties.title = results.study.name
    deck.core_properties.author = f"cxresearch {results.version}"
    colours = results.colours()
    plots.set_theme()
    with _charts():
        for slide in slides(results):
            _add(deck, slide, results, colours, pptx)
    return write_atomically(path, lambda temporary: deck.save(str(temporary)))


# -- drawing --------------------------------------------------------------------
def _add(deck, slide: Slide, results: Deliverables, colours, pptx) -> None:
    inch = pptx.util.Inches
    layout = deck.slide_layouts[0 if slide.kind == "title" else 5]
    page = deck.slides.add_slide(layout)
    title = page.shapes.title
    title.left, title.width = inch(0.5), inch(WIDTH - 1)
    title.text = slide.headline
    page.notes_slide.notes_text_frame.text = slide.notes
    if slide.kind == "title":
        title.top, title.height = inch(2.0), inch(1.6)
        subtitle = page.placeholders[1]
        subtitle.left, subtitle.top = inch(0.5), inch(3.8)
        subtitle.width, subtitle.height = inch(WIDTH - 1), inch(1.2)
        subtitle.text = _subtitle(results)
        _bar(page, colours[0], pptx, top=1.8)
        return
    title.top, title.height = inch(0.3), inch(1.0)
    for paragraph in title.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold = pptx.util.Pt(24), True
            run.font.color.rgb = _rgb(colours[0], pptx)
    _bar(page, colours[0], pptx, top=1.35)
    if slide.kind == "cards":
        _cards(page, results, colours, pptx)
    elif slide.kind == "roadmap":
        _roadmap(page, results.analyses.strategy, pptx)
    elif slide.result is not None:
        _picture(page, slide.result, pptx, box=(0.4, 1.55, 7.9, 5.6))
        long = sum(map(len, slide.lines)) > 900
        _bullets(page, slide.lines, pptx, box=(8.5, 1.6, 4.5, 5.6), size=10 if long else 12)
    else:
        _bullets(page, slide.lines, pptx, box=(0.6, 1.6, WIDTH - 1.2, 5.6), size=14)


def _picture(page, result, pptx, box) -> None:
    """The result's own chart as a 200-dpi PNG, fitted into ``box`` (inches)."""
    import matplotlib.pyplot as plt  # third-party, loaded only when a chart is drawn
    from PIL import Image

    ax = result.plot()
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(ax.figure)
    width, height = Image.open(io.BytesIO(buffer.getvalue())).size
    left, top, box_w, box_h = box
    scale = min(box_w / (width / DPI), box_h / (height / DPI))
    w, h = width / DPI * scale, height / DPI * scale
    buffer.seek(0)
    inch = pptx.util.Inches
    page.shapes.add_picture(buffer, inch(left + (box_w - w) / 2), inch(top), inch(w), inch(h))


def _bullets(page, lines, pptx, box, size: int) -> None:
    left, top, width, height = (pptx.util.Inches(v) for v in box)
    frame = page.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    frame.auto_size = pptx.enum.text.MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # applied when opened
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = pptx.util.Pt(size)
        paragraph.space_after = pptx.util.Pt(8)


def _cards(page, results: Deliverables, colours, pptx) -> None:
    """The headline KPI cards (four to a row, five from nine cards on), as the
    index page shows them."""
    inch, pt = pptx.util.Inches, pptx.util.Pt
    cards = results.report.cards[:MAX_CARDS]
    if not cards:
        _bullets(page, ["The study declares no survey KPIs."], pptx, (0.6, 1.6, 12, 1), 16)
        return
    across = 4 if len(cards) <= 8 else 5
    rows = -(-len(cards) // across)
    width = (WIDTH - 1.0 - (across - 1) * 0.2) / across
    height = min(2.8, (5.5 - (rows - 1) * 0.2) / rows)
    for index, card in enumerate(cards):
        left = 0.5 + (index % across) * (width + 0.2)
        top = 1.6 + (index // across) * (height + 0.2)
        shape = page.shapes.add_shape(
            pptx.enum.shapes.MSO_SHAPE.ROUNDED_RECTANGLE,
            inch(left),
            inch(top),
            inch(width),
            inch(height),
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb("#ffffff", pptx)
        shape.line.color.rgb = _rgb(colours[0], pptx)
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = pptx.enum.text.MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        for number, (text, size, bold) in enumerate(card_lines(card, results)):
            paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
            paragraph.text = text
            paragraph.font.size, paragraph.font.bold = pt(size if rows < 3 else size - 2), bold
            paragraph.font.color.rgb = _rgb("#1f2430", pptx)
    if len(results.report.cards) > MAX_CARDS:
        more = len(results.report.cards) - MAX_CARDS
        _bullets(
            page,
            [f"{more} more KPIs in the report and the workbook."],
            pptx,
            (0.5, 7.0, 12, 0.4),
            10,
        )


def _roadmap(page, strategy, pptx) -> None:
    """The roadmap as the report's table: per priority the KPI, the goal, the scenario."""
    shown = strategy.display().reset_index()
    columns = [c for c in shown.columns if c != "KPI to track"]
    inch, pt = pptx.util.Inches, pptx.util.Pt
    rows = min(len(shown), 6)
    box = (inch(0.4), inch(1.6), inch(WIDTH - 0.8), inch(0.6 * (rows + 1)))
    table = page.shapes.add_table(rows + 1, len(columns), *box).table
    for j, name in enumerate(columns):
        table.cell(0, j).text = str(name)
        for i in range(rows):
            table.cell(i + 1, j).text = str(shown.iloc[i][name])
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = pt(11)


def _bar(page, colour: str, pptx, top: float) -> None:
    inch = pptx.util.Inches
    bar = page.shapes.add_shape(
        pptx.enum.shapes.MSO_SHAPE.RECTANGLE, inch(0.5), inch(top), inch(WIDTH - 1), inch(0.06)
    )
    bar.fill.solid()
    bar.fill.fore_color.rgb = _rgb(colour, pptx)
    bar.line.fill.background()


def _subtitle(results: Deliverables) -> str:
    s = results.study
    brand = f"for {s.brand} · " if s.brand else ""
    return f"Customer-experience results {brand}base {s.n:,} respondents · {results.generated}"


def _cards_notes(results: Deliverables) -> str:
    r = results.report
    lines = [f"Headline KPIs: {r.cards_title}. Intervals: {interval_label(r.confidence)}."]
    for card in r.cards:
        line = f"{card['statistic']}: base n={card['n']:,}"
        change = card.get("change")
        if change and not change.get("suppressed"):
            line += (
                f"; change since {change['since']} "
                f"{format_difference(change['value'], change['low'], change['high'], 2)} "
                f"(n={change['previous_n']:,} and {change['last_n']:,})"
            )
        lines.append(line + ".")
    if r.cards_family:
        lines.append(r.cards_family)
    lines.append(f"KPIs on fewer than {results.study.codebook.min_base} answers are suppressed.")
    return "\n".join(lines)


def _method(results: Deliverables) -> tuple[str, ...]:
    s = results.study
    return (
        f"Every number carries its base (n) and a {interval_label(results.confidence)}: "
        "where the true value most likely lies.",
        f"Groups with fewer than {s.codebook.min_base} answers are suppressed.",
        "Differences are tested as families (corrected together), so a 'significant' mark "
        "means the shown interval excludes zero.",
        "Scenarios are 'if the link were causal', not promises; priorities do not add up.",
        "Every table behind these slides is in the workbook, one sheet per analysis.",
        *(f"Left out: {line}" for line in results.report.skipped_once()),
    )


def _rgb(colour: str, pptx):
    return pptx.dml.color.RGBColor.from_string(colour.lstrip("#").upper())


@contextmanager
def _charts() -> Iterator[None]:
    """Charts drawn off screen (Agg), whatever backend the session uses."""
    import matplotlib.pyplot as plt  # third-party, loaded only when a chart is drawn

    previous = plt.get_backend()
    plt.switch_backend("Agg")
    try:
        yield
    finally:
        plt.close("all")
        plt.switch_backend(previous)


def _pptx():
    try:
        import pptx
        import pptx.dml.color
        import pptx.enum.shapes
        import pptx.enum.text
        import pptx.util
    except ImportError as exc:
        raise CxError(
            "--pptx needs python-pptx, which is not installed: pip install python-pptx"
        ) from exc
    return pptx
