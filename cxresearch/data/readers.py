"""Readers for survey exports: a data file in, a :class:`RawTable` out.

Formats: CSV (encoding detected among utf-8, utf-8 with BOM, cp1250 and
cp1251; delimiter among comma, semicolon and tab; Qualtrics exports with their
two extra header rows), Excel, SPSS ``.sav`` (value labels become category
names; user-missing codes are kept so they are counted) and Parquet (a file or
a folder of parts). A reader only reads: checking against the codebook is
:mod:`cxresearch.data.checks`' job.
"""

from __future__ import annotations

import csv
import io as _io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem, StudyError
from .codebook import Codebook

ENCODINGS = ("utf-8", "utf-8-sig", "cp1250", "cp1251")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN_ASCII = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RawTable:
    """A data file as read, before any check.

    ``frame`` keeps the file's row order with a 0-based RangeIndex, so row
    ``i`` is data row ``i + 1`` in error messages.
    """

    frame: pd.DataFrame
    file: str
    format: str
    encoding: str | None = None
    notes: tuple[str, ...] = ()
    user_missing: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    """Per column, the file's own declared missing values as ``(low, high)``
    ranges (a single code is ``(code, code)``): SPSS user-missing values."""

    def declared_missing(self, column: str, values: pd.Series) -> pd.Series:
        """Which values the file itself declares missing (SPSS user-missing)."""
        ranges = self.user_missing.get(column, ())
        numbers = pd.to_numeric(values, errors="coerce") if ranges else None
        mask = pd.Series(False, index=values.index)
        for low, high in ranges:
            mask |= numbers.between(low, high).fillna(False).astype(bool)
        return mask


def read_table(
    path: str | Path, text_columns: tuple[str, ...] = (), labelled: tuple[str, ...] = ()
) -> RawTable:
    """Read a CSV, Excel, SPSS or Parquet file (or a folder of Parquet parts).

    ``text_columns`` are read as text whatever they look like (ids such as
    ``00123`` keep their zeros). In SPSS files, the value labels of
    ``text_columns`` and ``labelled`` columns become their values.
    """
    path = Path(path)
    if not path.exists():
        raise StudyError(Problem(str(path), "the data file does not exist"))
    suffix = "".join(path.suffixes[-1:]).lower()
    try:
        if path.is_dir() or suffix in (".parquet", ".pq"):
            return _read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path, text_columns)
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return _read_excel(path, text_columns)
        if suffix in (".sav", ".zsav"):
            return _read_spss(path, text_columns, labelled)
    except StudyError:
        raise
    except Exception as exc:  # the reader's own message, under our file name
        raise StudyError(Problem(str(path), f"the file cannot be read: {exc}")) from None
    raise StudyError(
        Problem(str(path), f"unknown file type '{suffix}'; use .csv, .xlsx, .sav or .parquet")
    )


def detect_encoding(data: bytes) -> str:
    """Pick the encoding of a text file among utf-8, utf-8-sig, cp1250 and cp1251.

    UTF-8 is recognised by its BOM or by decoding without error. Otherwise the
    file is one of the two Windows code pages, which decode any byte, so the
    choice is by plausibility of the words: cp1251 read as cp1250 gives words
    made only of accented Latin letters, and cp1250 read as cp1251 gives words
    that mix ASCII and Cyrillic letters. The reading with fewer implausible
    words wins (ties go to cp1250).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    as_1250 = data.decode("cp1250", errors="replace")
    as_1251 = data.decode("cp1251", errors="replace")
    odd_1250 = sum(
        1
        for w in _WORD.findall(as_1250)
        if len(w) >= 3 and not w.isascii() and not _LATIN_ASCII.search(w) and not w.isdigit()
    )
    odd_1251 = sum(
        1 for w in _WORD.findall(as_1251) if _CYRILLIC.search(w) and _LATIN_ASCII.search(w)
    )
    return "cp1251" if odd_1251 < odd_1250 else "cp1250"


def _read_csv(path: Path, text_columns: tuple[str, ...]) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise StudyError(Problem(str(path), "the file is empty"))
    encoding = detect_encoding(data)
    head = data[:65536].decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(head)
    notes = [f"read as CSV, encoding {encoding}, delimiter {delimiter!r}"]
    skip: list[int] = []
    if _is_qualtrics(head, delimiter):
        skip = [1, 2]
        notes.append("Qualtrics export: the 2 header rows under the column names were skipped")
    header = next(csv.reader(_io.StringIO(head), delimiter=delimiter))
    frame = pd.read_csv(
        path,
        encoding=encoding,
        sep=delimiter,
        skiprows=skip,
        dtype={c: str for c in text_columns if c in header},
        skip_blank_lines=False,
        low_memory=False,
    )
    return RawTable(frame, str(path), "csv", encoding, tuple(notes))


def _sniff_delimiter(head: str) -> str:
    first_line = head.splitlines()[0] if head else ""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _is_qualtrics(head: str, delimiter: str) -> bool:
    """Qualtrics puts question texts and ``{"ImportId": ...}`` rows under the header."""
    rows = list(csv.reader(_io.StringIO(head), delimiter=delimiter))[:3]
    return len(rows) == 3 and any(cell.startswith('{"ImportId"') for cell in rows[2])


def _read_excel(path: Path, text_columns: tuple[str, ...]) -> RawTable:
    frame = pd.read_excel(path, sheet_name=0, dtype={c: str for c in text_columns})
    return RawTable(frame, str(path), "excel", None, ("read the first sheet of the workbook",))


def _read_spss(
    path: Path, text_columns: tuple[str, ...], categories: tuple[str, ...] = ()
) -> RawTable:
    """An SPSS file with its user-missing values and ranges kept as metadata (the
    checks set them to missing and count them), and value labels as the values
    of text columns and of category columns whose every answer has a label (a
    numeric profile with a label only on its "don't know" code stays numeric)."""
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    notes = ["read as SPSS .sav"]
    user_missing = {
        column: tuple((float(r["lo"]), float(r["hi"])) for r in ranges)
        for column, ranges in (meta.missing_ranges or {}).items()
    }
    for column, values in (meta.missing_user_values or {}).items():
        codes = [float(v) for v in values if isinstance(v, int | float)]
        user_missing[column] = user_missing.get(column, ()) + tuple((v, v) for v in codes)
    raw = RawTable(frame, str(path), "spss", meta.file_encoding, (), user_missing)
    labelled = []
    for column in dict.fromkeys((*text_columns, *categories)):
        labels = meta.variable_value_labels.get(column)
        if column not in frame or not labels:
            continue
        missing = raw.declared_missing(column, frame[column])
        answers = frame[column][~missing].dropna()
        if column in text_columns or answers.isin(list(labels)).all():
            named = frame[column].map(lambda v, m=labels: m.get(v, v))
            # a declared missing code keeps its code (the checks count and blank it)
            frame[column] = named.where(~missing, frame[column]).astype("string")
            labelled.append(column)
    if labelled:
        notes.append("value labels used as category names for " + ", ".join(labelled))
    return RawTable(frame, str(path), "spss", meta.file_encoding, tuple(notes), user_missing)


def _read_parquet(path: Path) -> RawTable:
    frame = pd.read_parquet(path)
    kind = "a folder of Parquet parts" if path.is_dir() else "Parquet"
    return RawTable(frame.reset_index(drop=True), str(path), "parquet", None, (f"read as {kind}",))


def text_columns_of(codebook: Codebook) -> tuple[str, ...]:
    """Columns that hold labels or text, never numbers to parse. (Profile
    columns are read as they are: a numeric profile such as tenure stays numeric.)"""
    columns = [codebook.id, codebook.brand_column, codebook.wave]
    columns += [t.column for t in codebook.text]
    if codebook.feedback is not None:
        feedback = codebook.feedback
        columns += [feedback.sentiment, feedback.reason, feedback.text]
    return tuple(c for c in columns if c is not None)
