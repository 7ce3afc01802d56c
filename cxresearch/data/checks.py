"""Check data against the codebook and type it; count everything flagged or dropped.

:func:`check_responses` turns a :class:`~cxresearch.data.readers.RawTable` into the
typed ``responses`` frame (indexed by respondent id, the user's column names
kept) and a :class:`DataQuality` record. Every problem in the file is
collected and raised together as one :class:`~cxresearch.errors.StudyError`
naming the file, the column and up to five data rows. Nothing is dropped
silently: blank rows are the only rows removed, and they are counted; "don't
know" codes become missing values and are counted per column.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import Problem, StudyError, problem_at_rows
from .codebook import BinaryItem, Codebook, ScaleItem
from .quality import DataQuality
from .readers import RawTable
from .waves import natural_key, natural_order

_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


def check_responses(raw: RawTable, codebook: Codebook) -> tuple[pd.DataFrame, DataQuality]:
    """Check a responses table against its codebook and return it typed.

    Raises :class:`StudyError` listing every problem found.
    """
    checker = _ResponsesChecker(raw, codebook)
    return checker.run()


class _ResponsesChecker:
    def __init__(self, raw: RawTable, codebook: Codebook):
        self.raw = raw
        self.codebook = codebook
        self.file = raw.file
        self.problems: list[Problem] = []
        self.dont_know: dict[str, int] = {}
        self.notes: list[str] = []

    def fail_rows(self, column: str | None, message: str, mask: pd.Series) -> None:
        rows = np.flatnonzero(mask.to_numpy()) if len(mask) else []
        positions = mask.index.to_numpy()[rows] + 1
        self.problems.append(problem_at_rows(self.file, column, message, positions))

    def run(self) -> tuple[pd.DataFrame, DataQuality]:
        frame = self.raw.frame
        rows_read = len(frame)
        if rows_read == 0 or frame.shape[1] == 0:
            raise StudyError(Problem(self.file, "the file has no data rows"))
        blank = _blank_rows(frame)
        frame = frame.loc[~blank]
        if frame.empty:
            raise StudyError(Problem(self.file, "the file has no data rows (all rows are blank)"))
        self.check_columns_present(frame)
        out = pd.DataFrame(index=frame.index)
        for column, item in self.codebook.scale_items().items():
            out[column] = self.scale_values(frame[column], item)
        for column, item in self.codebook.binary_items().items():
            out[column] = self.binary_values(frame[column], item)
        for op in self.codebook.operational:
            values = self.without_declared_missing(frame[op.column], op.column)
            out[op.column] = self.non_negative(values, op.column, "operational measure")
        if self.codebook.weight:
            out[self.codebook.weight] = self.weights(frame[self.codebook.weight])
        for column in self.category_columns():
            values = self.without_declared_missing(frame[column], column)
            numbers = _numbers_or_none(values) if column in self.codebook.profile else None
            out[column] = _as_category(values) if numbers is None else _as_number(numbers)
        if self.codebook.wave is not None:
            out[self.codebook.wave] = self.ordered_waves(out[self.codebook.wave])
        for column in self.text_columns():
            out[column] = frame[column].astype("string")
        out.index = self.ids(frame)
        if self.problems:
            raise StudyError(self.problems)
        ordered = [c for _, c in self.codebook.column_roles() if c in out and c != self.codebook.id]
        out = out[list(dict.fromkeys(ordered))]
        quality = DataQuality(
            source=self.file,
            read_notes=self.raw.notes,
            rows_read=rows_read,
            rows_kept=len(out),
            dropped={"blank rows": int(blank.sum())} if blank.any() else {},
            dont_know=self.dont_know,
            unanswered={c: int(out[c].isna().sum()) for c in self.answer_columns()},
            notes=tuple(self.notes),
        )
        return out, quality

    def check_columns_present(self, frame: pd.DataFrame) -> None:
        present = set(map(str, frame.columns))
        missing = [(role, c) for role, c in self.codebook.column_roles() if c not in present]
        if missing:
            shown = ", ".join(map(str, list(frame.columns)[:12]))
            more = " ..." if frame.shape[1] > 12 else ""
            raise StudyError(
                [
                    Problem(
                        self.file,
                        f"column is missing (the codebook needs it as {role}); "
                        f"the file has: {shown}{more}",
                        column,
                    )
                    for role, column in missing
                ]
            )

    def without_declared_missing(self, values: pd.Series, column: str) -> pd.Series:
        """A column with the file's own declared missing values (SPSS user-missing
        codes and ranges) blanked and counted with the "don't know" codes."""
        declared = self.raw.declared_missing(column, values)
        if not declared.any():
            return values
        self.dont_know[column] = int(declared.sum())
        return values.mask(declared)

    def ordered_waves(self, waves: pd.Series) -> pd.Series:
        """The wave column as an ordered category: the codebook's ``waves:`` order,
        else natural order (:mod:`cxresearch.data.waves`)."""
        declared = self.codebook.waves
        if declared:
            unknown = waves.notna() & ~waves.astype("string").isin(declared).fillna(False)
            if unknown.any():
                found = ", ".join(sorted(set(waves[unknown].astype(str)), key=natural_key)[:5])
                self.fail_rows(
                    self.codebook.wave,
                    f"waves not listed under waves: in the codebook: {found}",
                    unknown,
                )
                return waves
        order = list(declared) if declared else natural_order(waves.dropna().astype(str))
        return pd.Series(
            pd.Categorical(waves.astype("string"), categories=order, ordered=True),
            index=waves.index,
        )

    def category_columns(self) -> list[str]:
        cb = self.codebook
        feedback = [] if cb.feedback is None else [cb.feedback.sentiment, cb.feedback.reason]
        return [c for c in (cb.brand_column, cb.wave, *cb.profile, *feedback) if c is not None]

    def text_columns(self) -> list[str]:
        columns = [t.column for t in self.codebook.text]
        feedback = self.codebook.feedback
        if feedback is not None and feedback.text is not None:
            columns.append(feedback.text)
        return columns

    def answer_columns(self) -> list[str]:
        cb = self.codebook
        return [
            *cb.scale_items(),
            *cb.binary_items(),
            *(op.column for op in cb.operational),
            *self.category_columns(),
        ]

    def numeric(self, values: pd.Series, column: str) -> pd.Series:
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            return values.astype("float64")
        text = values.astype("string").str.strip()
        text = text.mask(text == "")
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        bad = text.notna() & numbers.isna()
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            self.fail_rows(column, f"non-numeric text in a numeric column: {examples}", bad)
        return numbers.astype("float64")

    def scale_values(self, values: pd.Series, item: ScaleItem) -> pd.Series:
        numbers = self.numeric(values, item.column)
        is_code = numbers.isin(list(item.missing)) | self.raw.declared_missing(item.column, numbers)
        if item.missing or item.column in self.raw.user_missing:
            self.dont_know[item.column] = int(is_code.sum())
            numbers = numbers.mask(is_code)
        if item.recode:
            numbers = numbers.map(lambda v, m=item.recode: m.get(v, v))
        x = numbers.to_numpy()
        outside = pd.Series(
            ~np.isnan(x) & ((x < item.scale.low) | (x > item.scale.high) | (np.trunc(x) != x)),
            index=numbers.index,
        )
        if outside.any():
            examples = ", ".join(f"{v:g}" for v in numbers[outside].unique()[:3])
            self.fail_rows(
                item.column, f"values outside the scale {item.scale}: {examples}", outside
            )
        return numbers

    def binary_values(self, values: pd.Series, item: BinaryItem) -> pd.Series:
        """Yes/no answers, decided once per distinct stored value and spread back."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        text = pd.Series(uniques, dtype=object).astype("string").str.strip().fillna("")
        lowered = text.str.lower().to_numpy(dtype=object)
        stored = pd.to_numeric(text.mask(text == ""), errors="coerce")
        is_code = stored.isin(list(item.missing)) | self.raw.declared_missing(item.column, stored)
        blank = (text == "").to_numpy(dtype=bool) | is_code.to_numpy(dtype=bool)
        if item.true_values is not None:
            is_true = np.isin(lowered, [v.lower() for v in item.true_values])
            is_false = ~is_true
        else:
            is_true, is_false = np.isin(lowered, list(_TRUE)), np.isin(lowered, list(_FALSE))
        unknown = ~blank & ~is_true & ~is_false
        answer = np.where(is_true, 1.0, np.where(is_false & ~blank, 0.0, np.nan))
        # per row: distinct value's answer; missing cells (code -1) have none
        row_answer = np.append(answer, np.nan)[codes]
        row_is_code = np.append(is_code.to_numpy(dtype=bool), False)[codes]
        self.dont_know[item.column] = int(row_is_code.sum())
        if unknown.any():
            row_unknown = np.append(unknown, False)[codes]
            examples = ", ".join(repr(v) for v in text[unknown].head(3))
            self.fail_rows(
                item.column,
                f"not a yes/no value: {examples} (declare `true: [...]` in the codebook)",
                pd.Series(row_unknown, index=values.index),
            )
        result = pd.array(row_answer == 1.0, dtype="boolean")
        result[np.isnan(row_answer)] = pd.NA
        return pd.Series(result, index=values.index)

    def non_negative(self, values: pd.Series, column: str, what: str) -> pd.Series:
        numbers = self.numeric(values, column)
        negative = numbers < 0
        if negative.any():
            self.fail_rows(column, f"negative values in an {what}", negative)
        return numbers

    def weights(self, values: pd.Series) -> pd.Series:
        column = self.codebook.weight
        numbers = self.numeric(values, column)
        bad = numbers.isna() | ~np.isfinite(numbers.fillna(0)) | (numbers <= 0)
        if bad.any():
            self.fail_rows(column, "survey weights must be positive numbers, never blank", bad)
        return numbers

    def ids(self, frame: pd.DataFrame) -> pd.Index:
        column = self.codebook.id
        if column is None:
            self.notes.append("the file has no id column: respondents are numbered by data row")
            return pd.Index(frame.index + 1, name="row")
        ids = frame[column].astype("string").str.strip()
        blank = ids.isna() | (ids == "")
        if blank.any():
            self.fail_rows(column, "respondent ids are blank", blank)
        duplicated = (
            ids.duplicated(keep=False) & ~blank if not pd.Index(ids).is_unique else blank & False
        )
        if duplicated.any():
            examples = ", ".join(repr(v) for v in ids[duplicated].unique()[:3])
            self.fail_rows(column, f"duplicate respondent ids: {examples}", duplicated)
        return pd.Index(ids, name=column)


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows where every cell is empty (missing or only white space). Stops as
    soon as no row can still be blank (usually at the first column)."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        empty = values.isna().to_numpy(dtype=bool, copy=True)
        if not pd.api.types.is_numeric_dtype(values):
            stripped = values.astype("string").str.strip()
            empty |= (stripped == "").to_numpy(dtype=bool, na_value=True)
        blank &= empty
        if not blank.any():
            break
    return pd.Series(blank, index=frame.index)


def _numbers_or_none(values: pd.Series) -> pd.Series | None:
    """A profile column as numbers when every non-blank value is one (tenure,
    charges), else None (a category such as region or contract)."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce")
    if text.notna().any() and (numbers.notna() == text.notna()).all():
        return numbers.astype("float64")
    return None


def _as_number(values: pd.Series) -> pd.Series:
    """A numeric profile column: whole numbers as nullable integers, else floats."""
    numbers = values.astype("float64")
    whole = numbers.dropna()
    return numbers.astype("Int64") if (whole % 1 == 0).all() else numbers


def _as_category(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")  # 2019, not 2019.0, when a blank made it float
    text = values.astype("string").str.strip()
    return text.mask(text == "").astype("category")


def check_events(
    raw: RawTable, codebook: Codebook, quality: DataQuality
) -> tuple[pd.DataFrame, DataQuality]:
    """Check the web events file: session and step required, time parsed.

    Events without a session or a step cannot be placed in any funnel; they are
    dropped and counted. An unparseable time is an error naming the rows.
    """
    spec = codebook.events
    frame = raw.frame
    needed = [c for c in (spec.session, spec.step, spec.time, spec.device) if c is not None]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise StudyError(
            [Problem(raw.file, "column is missing (named in events:)", c) for c in missing]
        )
    if frame.empty:
        raise StudyError(Problem(raw.file, "the events file has no rows"))
    out = pd.DataFrame(
        {
            spec.session: frame[spec.session].astype("string"),
            spec.step: frame[spec.step].astype("string").str.strip(),
        }
    )
    if spec.time is not None:
        times = pd.to_datetime(frame[spec.time], errors="coerce", utc=False)
        bad = times.isna() & frame[spec.time].notna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy()) + 1
            raise StudyError(problem_at_rows(raw.file, spec.time, "unreadable date-time", rows))
        out[spec.time] = times
    if spec.device is not None:
        out[spec.device] = _as_category(frame[spec.device])
    incomplete = out[spec.session].isna() | out[spec.step].isna() | (out[spec.step] == "")
    out = out.loc[~incomplete].reset_index(drop=True)
    dropped = (
        {"events without a session or step": int(incomplete.sum())} if incomplete.any() else {}
    )
    return out, replace(
        quality,
        events_source=raw.file,
        events_read=len(frame),
        events_kept=len(out),
        events_dropped=dropped,
    )


def check_benchmark(raw: RawTable, codebook: Codebook) -> pd.DataFrame:
    """Check a benchmark file of competitors' aggregates: every measure names a
    touchpoint (its experience) or a scale outcome, means are numbers, standard
    deviations are not negative and bases are whole numbers of at least 2."""
    spec = codebook.benchmark
    frame = raw.frame
    columns = (spec.brand, spec.measure, spec.mean, spec.sd, spec.n)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyError(
            [Problem(raw.file, "column is missing (named in benchmark:)", c) for c in missing]
        )
    known = {tp.id for tp in codebook.touchpoints if tp.experience is not None}
    known |= {k for k, item in codebook.outcomes.items() if isinstance(item, ScaleItem)}
    out = pd.DataFrame(
        {
            "brand": frame[spec.brand].astype("string").str.strip(),
            "measure": frame[spec.measure].astype("string").str.strip(),
            "mean": pd.to_numeric(frame[spec.mean], errors="coerce"),
            "sd": pd.to_numeric(frame[spec.sd], errors="coerce"),
            "n": pd.to_numeric(frame[spec.n], errors="coerce"),
        }
    )
    checks = [
        (
            spec.measure,
            ~out["measure"].isin(sorted(known)),
            f"measures must be touchpoint ids or scale outcomes ({', '.join(sorted(known))})",
        ),
        (spec.mean, out["mean"].isna(), "means must be numbers"),
        (spec.sd, out["sd"].isna() | (out["sd"] < 0), "standard deviations must be numbers >= 0"),
        (
            spec.n,
            out["n"].isna() | (out["n"] < 2) | (out["n"] % 1 != 0),
            "bases must be whole numbers >= 2",
        ),
        (spec.brand, out["brand"].isna(), "brands must not be blank"),
    ]
    problems = [
        problem_at_rows(raw.file, column, message, np.flatnonzero(bad.fillna(True).to_numpy()) + 1)
        for column, bad, message in checks
        if bad.fillna(True).any()
    ]
    if problems:
        raise StudyError(problems)
    return out
