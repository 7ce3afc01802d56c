"""The Excel workbook a client can filter: one sheet per table of the report.

Each sheet holds one analysis' tidy table (``result.table``, the numbers at
full precision; the number formats only round what is shown) under a title
and the notes a reader needs: the interval's level, the method and
correction (the result's caption) and the minimum base. Estimates whose base
is below the study's ``min_base`` are left blank with a visible note, as in
the report. Every sheet has a frozen header row and an autofilter. The
workbook holds values only: no formula, and text that looks like one
(``=SUM(...)``, from a label in the data) is stored as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import CxError
from ...tables import interval_label
from .results import Deliverables, write_atomically

BASES = ("n", "n_eff", "sessions", "n_answers", "n_performance", "distinguishing", "features")
"""Columns that are counts (bases), never blanked and shown as whole numbers."""
P_VALUES = ("p", "p_adjusted", "p_raw", "wilcoxon_p", "wilcoxon_p_adjusted")
MAX_WIDTH = 60
SUPPRESSED = "suppressed: base below {min_base}"


@dataclass(frozen=True)
class Sheet:
    """One sheet: a title, notes, and a tidy table.

    ``percent`` names the columns holding fractions (shown as percentages);
    ``suppressed(table)`` marks the rows whose ``blank`` columns (default:
    every estimate, that is every float column but the bases) are left empty
    because their base is below ``min_base``."""

    name: str
    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()
    suppressed: Callable[[pd.DataFrame], pd.Series] | None = None
    blank: tuple[str, ...] | None = None


def write_workbook(results: Deliverables, path: str | Path) -> Path:
    """Write the workbook of ``results`` to ``path`` (atomically) and return the path."""
    title = f"{results.study.name}: CX results"
    creator = f"cxresearch {results.version}"
    return save_sheets(sheets(results), path, results.study.codebook.min_base, title, creator)


def save_sheets(
    found: list[Sheet], path: str | Path, min_base: int, title: str = "", creator: str = ""
) -> Path:
    """Write ``found`` as one workbook (a sheet each) to ``path``, atomically."""
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in found:
        _write_sheet(workbook.create_sheet(sheet.name), sheet, min_base)
    workbook.properties.title, workbook.properties.creator = title, creator
    return write_atomically(path, lambda temporary: workbook.save(temporary))


def sheets(results: Deliverables) -> list[Sheet]:
    """The workbook's sheets, in the report's order; an analysis the study
    does not support has no sheet (the "Read me" sheet says why)."""
    a, level = results.analyses, interval_label(results.confidence)
    below = _below_min_base
    found = [_readme(results), _summary(results), _kpis(results)]
    if results.scorecard is not None:
        found.append(_of("Scorecard", "Every rated item", results.scorecard, suppressed=below))
    if results.banner is not None and len(results.banner.table):
        b = results.banner
        found.append(_of("Banner", "Banner tables", b, (), below, extra=b.notes))
    if a.gaps is not None:
        found.append(
            _of("Gaps", "Expectations against experiences", a.gaps, ("family_level",), below)
        )
    if a.drivers is not None:
        found.append(_drivers(a.drivers))
    if a.segmentation is not None:
        seg = a.segmentation
        found.append(
            _of(
                "Personas",
                "Personas",
                seg,
                ("share",),
                below,
                extra=(seg.verdict,),
                table=seg.personas,
            )
        )
    if a.comparison is not None:
        c = a.comparison
        found.append(
            _of(
                "Competitors",
                f"{c.brand} against each competitor",
                c,
                ("family_level",),
                lambda t: t["competitor_below_min_base"] | (t["brand_n"] < c.min_base),
                blank=(
                    "competitor_value",
                    "difference",
                    "low",
                    "high",
                    "raw_low",
                    "raw_high",
                    "p",
                    "p_adjusted",
                    "gap_to_leader",
                ),
            )
        )
        found.append(
            _of("Brand scores", f"Each brand's scores [{level}]", c, (), below, table=c.values)
        )
    if a.journey is not None:
        found.append(_of("Journey", "The customer journey", a.journey, ("reach",), below))
    if a.funnel is not None:
        f = a.funnel
        found.append(
            _of(
                "Funnel",
                "The web shop's funnel",
                f,
                ("share_of_start", "conversion", "low", "high", "drop"),
            )
        )
    if a.strategy is not None:
        found.append(_of("Priorities", "Priorities and roadmap", a.strategy, ("reach",)))
    if a.trends is not None:
        t = a.trends
        found.append(
            _of("Trends", f"What moved: {t.last} against {t.previous}", t, ("family_level",), below)
        )
    return found


def _of(name, title, result, percent=(), suppressed=None, *, blank=None, extra=(), table=None):
    notes = [result.caption(), *extra, f"Interval: {result.interval}."]
    return Sheet(
        name,
        title,
        result.table if table is None else table,
        tuple(n for n in notes if n),
        tuple(percent),
        suppressed,
        blank,
    )


def _below_min_base(table: pd.DataFrame) -> pd.Series:
    return table["below_min_base"].astype(bool)


def _drivers(d) -> Sheet:
    """Importance comes from the model over every respondent; the brand's
    performance is blanked where its base is below ``min_base``."""
    return Sheet(
        "Drivers",
        f"What matters most for {d.outcome_label}",
        d.table,
        (d.caption(), f"Interval: {d.interval}; n = {d.n:,}, R² = {d.r2:.3f}."),
        ("missing", "reach"),
        lambda t: t["n_performance"] < d.min_base,
        ("performance", "gap"),
    )


def _kpis(results: Deliverables) -> Sheet:
    """Every respondent, then each brand: one tidy table with a ``group`` column."""
    frames = [results.kpis.table.assign(group="All respondents")]
    column = results.study.codebook.brand_column
    if results.kpis_by_brand is not None:
        by = results.kpis_by_brand.table
        frames.append(by.drop(columns=[column]).assign(group=by[column].astype("string")))
    table = pd.concat(frames, ignore_index=True)
    table = table[["group", *[c for c in table.columns if c != "group"]]]
    return Sheet(
        "KPIs",
        "Headline KPIs",
        table,
        (results.kpis.caption(), f"Interval: {results.kpis.interval}."),
        suppressed=_below_min_base,
    )


def _summary(results: Deliverables) -> Sheet:
    """The index page's headline cards, under its findings and priorities."""
    r = results.report
    rows = []
    for card in r.cards:
        leader, change = card.get("leader") or {}, card.get("change") or {}
        rows.append(
            {
                "statistic": card["statistic"],
                "value": card["value"],
                "low": card.get("low"),
                "high": card.get("high"),
                "n": card["n"],
                "below_min_base": bool(card.get("below_min_base", False)),
                "best competitor": leader.get("brand"),
                "competitor value": leader.get("value"),
                "competitor n": leader.get("n"),
                "change since": change.get("since"),
                "change": None if change.get("suppressed") else change.get("value"),
                "change low": None if change.get("suppressed") else change.get("low"),
                "change high": None if change.get("suppressed") else change.get("high"),
                "change significant": change.get("significant"),
                "previous n": change.get("previous_n"),
            }
        )
    notes = [f"Headline KPIs: {r.cards_title}.", f"Interval: {interval_label(r.confidence)}."]
    notes += [r.cards_family] if r.cards_family else []
    notes += [f"Finding {i}: {line}" for i, line in enumerate(r.findings, 1)]
    notes += [f"Priority {line}" for line in r.priorities]
    return Sheet(
        "Summary",
        "Executive summary",
        pd.DataFrame(rows, columns=list(rows[0]) if rows else ["statistic"]),
        tuple(notes),
        suppressed=_below_min_base if rows else None,
        blank=("value", "low", "high", "competitor value", "change", "change low", "change high"),
    )


def _readme(results: Deliverables) -> Sheet:
    s, r = results.study, results.report
    rows = [
        ("study", s.name),
        ("brand", s.brand or "-"),
        ("respondents", f"{s.n:,}"),
        ("generated", results.generated),
        ("by", f"cxresearch {results.version}"),
        ("parameters", ", ".join(f"{k}={v}" for k, v in sorted(results.parameters.items()))),
        ("intervals", f"{interval_label(r.confidence)}: where the true value most likely lies"),
        ("minimum base", f"estimates on fewer than {s.codebook.min_base} answers are left blank"),
        ("scales", "NPS -100 to 100; shares in percent; means on the item's own scale"),
        *(("left out", line) for line in r.skipped_once()),
    ]
    return Sheet(
        "Read me",
        f"{s.name}: customer-experience results",
        pd.DataFrame(rows, columns=["item", "value"]),
        (
            "Every sheet holds the numbers behind the report, one row per estimate, with its base "
            "and interval. Values are stored unrounded; filter with the header row.",
        ),
    )


# -- writing ------------------------------------------------------------------
def _write_sheet(ws, sheet: Sheet, min_base: int) -> None:
    openpyxl = _openpyxl()
    bold = openpyxl.styles.Font(bold=True)
    table = _prepared(sheet, min_base)
    ws.append([_cell_value(sheet.title)])
    ws.cell(1, 1).font = openpyxl.styles.Font(bold=True, size=14)
    for note in sheet.notes:
        ws.append([_cell_value(note)])
    header = ws.max_row + 2  # a blank row between the notes and the table
    for column, name in enumerate(table.columns, 1):
        ws.cell(header, column, str(name))
    for cell in ws[header]:
        cell.font = bold
        cell.fill = openpyxl.styles.PatternFill("solid", start_color="F4F6FA")
    for row in table.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    _force_text(ws, header)
    formats = [_number_format(table[c], str(c), sheet.percent) for c in table.columns]
    for column, fmt in enumerate(formats, 1):
        for (cell,) in ws.iter_rows(min_row=header + 1, min_col=column, max_col=column):
            if fmt and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    _widths(ws, table, header, openpyxl)
    ws.freeze_panes = ws.cell(header + 1, 1)
    last = openpyxl.utils.get_column_letter(max(len(table.columns), 1))
    ws.auto_filter.ref = f"A{header}:{last}{max(ws.max_row, header)}"


def _prepared(sheet: Sheet, min_base: int) -> pd.DataFrame:
    """The table as shown: suppressed estimates blanked, with a note column."""
    table = sheet.table.reset_index(drop=True).copy()
    if sheet.suppressed is None or table.empty:
        return table
    small = sheet.suppressed(table).fillna(False).astype(bool).to_numpy()
    floats = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    blank = sheet.blank if sheet.blank is not None else [c for c in floats if c not in BASES]
    for column in blank:
        if column in table.columns:
            table[column] = table[column].astype(object).where(~small, None)
    table["note"] = np.where(small, SUPPRESSED.format(min_base=min_base), "")
    return table


def _cell_value(value):
    """A value openpyxl stores as data: numbers and booleans as they are,
    missing as empty, lists joined, everything else as (legal) text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, list | tuple | np.ndarray):
        return _text("; ".join(str(v) for v in value))
    return _text(str(value))


def _text(text: str) -> str:
    return _openpyxl().cell.cell.ILLEGAL_CHARACTERS_RE.sub("", text)


def _force_text(ws, header: int) -> None:
    """Text that starts like a formula (``=``) stays text: no formula can break."""
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"


def _number_format(column: pd.Series, name: str, percent: tuple[str, ...]) -> str | None:
    if name in percent:
        return "0.0%"
    if name in P_VALUES:
        return "0.0000"
    if name in BASES or pd.api.types.is_integer_dtype(column):
        return "#,##0" if name != "segment" and name != "rank" else "0"
    if pd.api.types.is_float_dtype(column) or column.dtype == object:
        return "#,##0.00"
    return None


def _widths(ws, table: pd.DataFrame, header: int, openpyxl) -> None:
    for index, name in enumerate(table.columns, 1):
        values = [str(name)] + [str(v) for v in table[name].head(200) if v is not None]
        width = min(MAX_WIDTH, max(8, *(len(v) for v in values)) + 2)
        ws.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width


def _openpyxl():
    """openpyxl with the parts the workbook uses (a dependency of cxresearch)."""
    try:
        import openpyxl
        import openpyxl.cell.cell
        import openpyxl.styles
        import openpyxl.utils
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise CxError("--xlsx needs openpyxl: pip install openpyxl") from exc
    return openpyxl
