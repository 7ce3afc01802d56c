"""Readers for survey exports: a data file in, a :class:`RawTable` out.

Formats: CSV (encoding detected among utf-8, utf-8 with BOM, UTF-16 with or
without BOM, cp1250 and cp1251; delimiter among comma, semicolon and tab;
Qualtrics exports with their two extra header rows), Excel, SPSS ``.sav``
(value labels become category names; user-missing codes are kept so they are
counted) and Parquet (a file, or a folder of parts sharing one schema).

A reader only reads: checking against the codebook is
:mod:`cxresearch.data.checks`' job. Text such as ``NA``, ``None`` or ``#N/A``
is read as it is (only an empty cell is missing), so that a real code such as
``NA`` for Namibia is never lost; the checks decide, column by column, whether
such text is a category or a missing answer, and count it.

Every message names the file as the caller shows it (``name``, relative to
the study folder), never an absolute path, and says in plain words what the
file is not: a CSV that is binary, a ``.xlsx`` that is no workbook, a ``.sav``
or ``.parquet`` that is damaged, rows whose field count differs from the
header's (with the encoding and the delimiter tried).
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem, StudyError
from .codebook import Codebook

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1250", "cp1251")
DELIMITERS = (",", ";", "\t")
NA_LIKE = frozenset(
    {
        "na",
        "n/a",
        "nan",
        "-nan",
        "null",
        "none",
        "nil",
        "#n/a",
        "#na",
        "#n/a n/a",
        "<na>",
        "1.#ind",
        "-1.#ind",
        "1.#qnan",
        "-1.#qnan",
    }
)
"""Text that spreadsheet and statistics programs write for "no value" (compared
after trimming spaces and ignoring case). pandas would turn these into
missing values silently; cxresearch reads them as text and counts them."""

PARQUET_SUFFIXES = (".parquet", ".pq")
_SHOWN_LINES = 5
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN_ASCII = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPSS_SIGNATURES = (b"$FL2", b"$FL3")
_PARQUET_SIGNATURE = b"PAR1"


@dataclass(frozen=True)
class RawTable:
    """A data file as read, before any check.

    ``frame`` keeps the file's row order with a 0-based RangeIndex, so row
    ``i`` is data row ``i + 1`` in error messages. ``header`` holds the column
    names exactly as the file has them, in order, before pandas renames a
    repeated name (``x``, ``x.1``): the checks look for repeats there.
    """

    frame: pd.DataFrame
    file: str
    format: str
    encoding: str | None = None
    notes: tuple[str, ...] = ()
    user_missing: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    """Per column, the file's own declared missing values as ``(low, high)``
    ranges (a single code is ``(code, code)``): SPSS user-missing values."""
    header: tuple[str, ...] = ()

    def declared_missing(self, column: str, values: pd.Series) -> pd.Series:
        """Which values the file itself declares missing (SPSS user-missing)."""
        ranges = self.user_missing.get(column, ())
        numbers = pd.to_numeric(values, errors="coerce") if ranges else None
        mask = pd.Series(False, index=values.index)
        for low, high in ranges:
            mask |= numbers.between(low, high).fillna(False).astype(bool)
        return mask


def read_table(
    path: str | Path,
    text_columns: tuple[str, ...] = (),
    labelled: tuple[str, ...] = (),
    *,
    name: str | None = None,
    categories: tuple[str, ...] = (),
) -> RawTable:
    """Read a CSV, Excel, SPSS or Parquet file (or a folder of Parquet parts).

    ``text_columns`` are read as text whatever they look like (ids such as
    ``00123`` keep their zeros). In SPSS files, the value labels of
    ``text_columns`` and ``labelled`` columns become their values. ``name``
    is how messages and notes name the file (default: the path as given).
    ``categories`` are columns of a few labels repeated (brand, wave, profile):
    a Parquet file's text columns among them are read as Arrow dictionaries (the
    file stores them so), so they arrive as pandas categories, their labels
    decoded once rather than once per row.
    """
    path = Path(path)
    shown = str(path) if name is None else name
    if not path.exists():
        raise StudyError(Problem(shown, "the data file does not exist"))
    suffix = path.suffix.lower()
    try:
        if path.is_dir():
            return _read_parquet_parts(path, shown)
        if not path.is_file():
            raise StudyError(Problem(shown, "this is not a regular file (a device or a pipe?)"))
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(path, shown, categories)
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path, text_columns, shown)
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return _read_excel(path, text_columns, shown)
        if suffix in (".sav", ".zsav"):
            return _read_spss(path, text_columns, labelled, shown)
    except StudyError:
        raise
    except Exception as exc:  # the reader's own message, under our file name
        raise StudyError(Problem(shown, f"the file cannot be read: {exc}")) from None
    raise StudyError(
        Problem(shown, f"unknown file type '{suffix}'; use .csv, .xlsx, .sav or .parquet")
    )


def check_part_schemas(parts: list[Path], shown: str) -> list:
    """The parts' Arrow schemas; a :class:`StudyError` naming each part whose
    columns or kinds of values differ from the first part's."""
    schemas = [_parquet_schema(part, f"{shown}/{part.name}") for part in parts]
    problems = [
        Problem(f"{shown}/{part.name}", _schema_difference(schema, schemas[0], parts[0].name))
        for part, schema in zip(parts[1:], schemas[1:], strict=True)
        if _types(schema) != _types(schemas[0])
        or (len(set(schema.names)) < len(schema.names) and schema.names != schemas[0].names)
    ]
    if problems:
        raise StudyError(problems)
    return schemas


def file_sha256(path: Path) -> str:
    """SHA-256 of a data file's bytes, or of a Parquet folder's parts in order."""
    parts = parquet_parts(path) if path.is_dir() else [path]  # never a recursive walk
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet parts of a folder: its ``*.parquet`` (or ``*.pq``) files, by
    name. Only the folder itself is listed, never its subfolders."""
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file()),
        key=lambda p: p.name,
    )


# --- CSV -----------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """Pick the encoding of a text file among utf-8, utf-8-sig, UTF-16, cp1250 and cp1251.

    UTF-16 is recognised by its byte-order mark, or without one by its NUL
    bytes (ASCII text in UTF-16 has a NUL in every other byte: the odd bytes
    for little-endian, the even bytes for big-endian). UTF-8 is recognised by
    its BOM or by decoding without error. Otherwise the file is one of the two
    Windows code pages, which decode (almost) any byte, so the choice is by
    plausibility of the words: cp1251 read as cp1250 gives words made only of
    accented Latin letters, and cp1250 read as cp1251 gives words that mix
    ASCII and Cyrillic letters. The reading with fewer implausible words wins
    (ties go to cp1250).
    """
    if data.startswith(_UTF16_BOMS):
        return "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
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


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when NUL bytes sit in every other byte of
    the start of the file (text mostly in ASCII), else None."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.6 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.6 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _read_csv(path: Path, text_columns: tuple[str, ...], shown: str) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise StudyError(Problem(shown, "the file is empty"))
    _refuse_binary(data, shown)
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise StudyError(
            Problem(
                shown,
                f"the file is not text in the encoding tried ({encoding}): byte "
                f"0x{data[exc.start]:02x} at byte {exc.start:,} cannot be read; "
                "save the file as UTF-8 CSV",
            )
        ) from None
    del data
    if "\x00" in text:
        raise StudyError(
            Problem(shown, f"the file holds NUL characters when read as {encoding}: not a CSV")
        )
    delimiter = _sniff_delimiter(text[:65536])
    how = f"read as CSV with encoding {encoding} and delimiter {_delimiter_name(delimiter)}"
    header, skip = _check_field_counts(text, delimiter, shown, how)
    notes = [f"read as CSV, encoding {encoding}, delimiter {delimiter!r}"]
    if skip:
        notes.append("Qualtrics export: the 2 header rows under the column names were skipped")
    try:
        frame = pd.read_csv(
            _io.StringIO(text),
            sep=delimiter,
            skiprows=skip,
            dtype={c: str for c in text_columns if c in header},
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise StudyError(Problem(shown, f"the file cannot be {how}: {exc}")) from None
    return RawTable(frame, shown, "csv", encoding, tuple(notes), header=tuple(header))


def _refuse_binary(data: bytes, shown: str) -> None:
    """A "CSV" that is a workbook, an archive or any binary file (NUL bytes not
    in the UTF-16 pattern) is refused in words, before any parsing."""
    if data.startswith(b"PK\x03\x04"):
        raise StudyError(
            Problem(
                shown,
                "the file is not a CSV but a zip archive (an Excel workbook saved with a "
                ".csv name?): save it as CSV, or name it .xlsx",
            )
        )
    if data.startswith(_UTF16_BOMS) or _utf16_without_bom(data) is not None:
        return
    if b"\x00" in data[:65536]:
        raise StudyError(Problem(shown, "the file is binary (it holds NUL bytes), not a text CSV"))


def _sniff_delimiter(head: str) -> str:
    first_line = head.splitlines()[0] if head else ""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma (,)", ";": "semicolon (;)", "\t": "tab"}.get(delimiter, repr(delimiter))


def _check_field_counts(
    text: str, delimiter: str, shown: str, how: str
) -> tuple[list[str], list[int]]:
    """The header row as the file has it, and the rows to skip (Qualtrics).

    Every non-blank record must have as many fields as the header: pandas
    fills short rows with missing values and shifts columns when rows are
    longer, both silently. A difference is an error naming the encoding, the
    delimiter and the lines (and a delimiter the lines use instead).
    """
    # a long comment is a field, not an error: the csv module's default limit is 128 KiB
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        first = list(itertools.islice(reader, 2))
        lengths = {len(r) for r in first} | set(map(len, reader))  # the fast pass, in C
        odd, n_odd = [], 0
        if not lengths <= {len(header), 0}:  # a slow pass names the lines (and skips blanks)
            reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
            next(reader)
            for record in reader:
                if len(record) != len(header) and any(cell.strip() for cell in record):
                    n_odd += 1
                    if len(odd) < _SHOWN_LINES:
                        odd.append((reader.line_num, record))
    except csv.Error as exc:
        raise StudyError(
            Problem(shown, f"the file cannot be {how}: line {reader.line_num}: {exc}")
        ) from None
    if n_odd:
        raise StudyError(Problem(shown, _field_count_message(header, odd, n_odd, delimiter, how)))
    qualtrics = len(first) == 2 and any(c.startswith('{"ImportId"') for c in first[1])
    return header, [1, 2] if qualtrics else []


def _field_count_message(
    header: list[str], odd: list[tuple[int, list[str]]], n_odd: int, delimiter: str, how: str
) -> str:
    shown = ", ".join(f"line {line} has {len(record)}" for line, record in odd)
    more = f" and {n_odd - len(odd):,} more lines differ" if n_odd > len(odd) else ""
    message = (
        f"{how}, the header has {len(header)} fields but {shown}{more} "
        "(a delimiter or a quote out of place)"
    )
    first = delimiter.join(odd[0][1])
    others = [d for d in DELIMITERS if d != delimiter and first.count(d) >= len(header) - 1 > 0]
    if others:
        message += (
            f"; line {odd[0][0]} uses {_delimiter_name(others[0])} where the header uses "
            f"{_delimiter_name(delimiter)}: the file mixes delimiters, save it again with one"
        )
    return message


# --- Excel, SPSS ---------------------------------------------------------------------


def _read_excel(path: Path, text_columns: tuple[str, ...], shown: str) -> RawTable:
    with path.open("rb") as handle:
        start = handle.read(8)
    if path.suffix.lower() == ".xls":
        if not start.startswith(_XLS_SIGNATURE):
            raise StudyError(
                Problem(shown, "not an Excel workbook (the file is not a valid Excel 97-2003 .xls)")
            )
    elif not zipfile.is_zipfile(path):
        raise StudyError(
            Problem(shown, "not an Excel workbook (the file is not a valid .xlsx zip)")
        )
    try:
        frame = pd.read_excel(
            path,
            sheet_name=0,
            dtype={c: str for c in text_columns},
            keep_default_na=False,
            na_values=[""],
        )
        first = pd.read_excel(path, sheet_name=0, header=None, nrows=1)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise StudyError(
            Problem(shown, f"not an Excel workbook that can be read (damaged?): {exc}")
        ) from None
    header = tuple("" if pd.isna(v) else str(v) for v in first.iloc[0]) if len(first) else ()
    notes = ("read the first sheet of the workbook",)
    return RawTable(frame, shown, "excel", None, notes, header=header)


def _read_spss(
    path: Path, text_columns: tuple[str, ...], categories: tuple[str, ...], shown: str
) -> RawTable:
    """An SPSS file with its user-missing values and ranges kept as metadata (the
    checks set them to missing and count them), and value labels as the values
    of text columns and of category columns whose every answer has a label (a
    numeric profile with a label only on its "don't know" code stays numeric)."""
    import pyreadstat

    with path.open("rb") as handle:
        if handle.read(4) not in _SPSS_SIGNATURES:
            raise StudyError(
                Problem(shown, "not an SPSS data file (a .sav file starts with $FL2 or $FL3)")
            )
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except pyreadstat.ReadstatError as exc:
        raise StudyError(
            Problem(shown, f"the SPSS file is damaged and cannot be read ({exc})")
        ) from None
    notes = ["read as SPSS .sav"]
    user_missing = {
        column: tuple((float(r["lo"]), float(r["hi"])) for r in ranges)
        for column, ranges in (meta.missing_ranges or {}).items()
    }
    for column, values in (meta.missing_user_values or {}).items():
        codes = [float(v) for v in values if isinstance(v, int | float)]
        user_missing[column] = user_missing.get(column, ()) + tuple((v, v) for v in codes)
    header = tuple(map(str, meta.column_names))
    raw = RawTable(frame, shown, "spss", meta.file_encoding, (), user_missing, header)
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
    return RawTable(frame, shown, "spss", meta.file_encoding, tuple(notes), user_missing, header)


# --- Parquet -------------------------------------------------------------------------


def _read_parquet(path: Path, shown: str, categories: tuple[str, ...] = ()) -> RawTable:
    import pyarrow.parquet as pq

    schema = _parquet_schema(path, shown)
    # (ParquetFile.read, as pq.read_table refuses repeated column names)
    table = pq.ParquetFile(path, read_dictionary=_as_dictionary(schema, categories)).read()
    return _parquet_table(table, shown, "read as Parquet")


def _as_dictionary(schema, categories: tuple[str, ...]) -> list[str]:
    """The ``categories`` that a Parquet file stores as text, each named once in
    the file: they can be read as dictionaries (labels and codes)."""
    import pyarrow as pa

    names = schema.names
    wanted = set(categories)
    return [
        field.name
        for field in schema
        if field.name in wanted
        and names.count(field.name) == 1
        and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
    ]


def _read_parquet_parts(folder: Path, shown: str) -> RawTable:
    """A folder of Parquet parts: every part must have the same columns with the
    same types (a part whose NPS is text would otherwise turn into blanks)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = parquet_parts(folder)
    if not parts:
        raise StudyError(
            Problem(
                shown,
                "this is a folder without Parquet parts (*.parquet): a folder given as a "
                "data file must hold the parts of one Parquet data set",
            )
        )
    schemas = check_part_schemas(parts, shown)
    names = schemas[0].names
    same_order = len(set(names)) < len(names)  # repeated names: parts as they are
    tables = [pq.ParquetFile(part).read() for part in parts]
    if not same_order:
        tables = [table.select(names) for table in tables]
    note = f"read as a folder of {len(parts)} Parquet parts"
    return _parquet_table(pa.concat_tables(tables, promote_options="permissive"), shown, note)


def _parquet_table(table, shown: str, note: str) -> RawTable:
    header = tuple(map(str, table.column_names))
    frame = table.to_pandas().reset_index(drop=True)
    return RawTable(frame, shown, "parquet", None, (note,), header=header)


def _parquet_schema(path: Path, shown: str):
    """A part's schema (read from its footer, without its data), or a plain error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with path.open("rb") as handle:
        start = handle.read(4)
    if start != _PARQUET_SIGNATURE:
        raise StudyError(
            Problem(shown, "not a Parquet file (it does not start with the Parquet signature)")
        )
    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise StudyError(
            Problem(shown, f"the Parquet file is damaged and cannot be read ({exc})")
        ) from None


def _types(schema) -> dict[str, str]:
    """Column -> kind of values: "number" for any integer, float or decimal
    type (a part with a blank stores its integers as floats), "string" for any
    string, a category by its values' kind, else the type's own name."""
    return {f.name: _kind(f.type) for f in schema}


def _kind(arrow_type) -> str:
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(arrow_type):
        return _kind(arrow_type.value_type)
    if types.is_integer(arrow_type) or types.is_floating(arrow_type):
        return "number"
    if types.is_decimal(arrow_type):
        return "number"
    if types.is_string(arrow_type) or types.is_large_string(arrow_type):
        return "string"
    if types.is_timestamp(arrow_type):
        return "timestamp"
    return str(arrow_type)


def _schema_difference(schema, reference, reference_name: str) -> str:
    mine, theirs = _types(schema), _types(reference)
    changed = [c for c in mine if c in theirs and mine[c] != theirs[c]]
    parts = [f"'{c}' is {mine[c]} here, {theirs[c]} there" for c in changed]
    parts += [f"'{c}' only here" for c in mine if c not in theirs]
    parts += [f"'{c}' missing here" for c in theirs if c not in mine]
    return (
        f"the Parquet parts do not share one schema: this part differs from "
        f"{reference_name} ({'; '.join(parts)})"
    )


def text_columns_of(codebook: Codebook) -> tuple[str, ...]:
    """Columns that hold labels or text, never numbers to parse. (Profile
    columns are read as they are: a numeric profile such as tenure stays numeric.)"""
    columns = [codebook.id, codebook.brand_column, codebook.wave]
    columns += [t.column for t in codebook.text]
    if codebook.feedback is not None:
        feedback = codebook.feedback
        columns += [feedback.sentiment, feedback.reason, feedback.text]
    return tuple(c for c in columns if c is not None)


def category_columns_of(codebook: Codebook) -> tuple[str, ...]:
    """Columns of a few labels repeated: brand, wave, profile, feedback sentiment
    and reason (a numeric profile such as tenure stays as the file stores it)."""
    columns = [codebook.brand_column, codebook.wave, *codebook.profile]
    if codebook.feedback is not None:
        columns += [codebook.feedback.sentiment, codebook.feedback.reason]
    return tuple(c for c in columns if c is not None)
