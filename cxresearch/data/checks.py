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

import difflib
from dataclasses import replace

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..errors import Problem, StudyError, problem_at_rows
from .codebook import BinaryItem, Codebook, ScaleItem
from .quality import DataQuality
from .readers import NA_LIKE, RawTable
from .waves import natural_key, natural_order

pa = LazyModule("pyarrow")  # loaded when text columns are checked
pc = LazyModule("pyarrow.compute")

MAX_WEIGHT_RATIO = 1e6  # largest / smallest weight beyond which weights are an error
WARN_WEIGHT_RATIO = 100  # ... beyond which they are a warning in the quality record
_NA_LIKE_LONGEST = max(map(len, NA_LIKE)) + 4  # room for spaces around
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
        self.warnings: list[str] = []
        self.na_like: dict[str, dict[str, int]] = {}
        self.na_like_kept: list[str] = []
        self.study_codes_found: dict[str, int] = {}
        self.weight_ratio: float | None = None
        self.effective_n: float | None = None

    def fail_rows(self, column: str | None, message: str, mask: pd.Series) -> None:
        rows = np.flatnonzero(mask.to_numpy()) if len(mask) else []
        positions = mask.index.to_numpy()[rows] + 1
        self.problems.append(problem_at_rows(self.file, column, message, positions))

    def run(self) -> tuple[pd.DataFrame, DataQuality]:
        frame = self.raw.frame
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        rows_read = len(frame)
        if rows_read == 0 or frame.shape[1] == 0:
            raise StudyError(Problem(self.file, "the file has no data rows"))
        blank = _blank_rows(frame)
        if blank.any():  # (no copy of a million rows when none is blank)
            frame = frame.loc[~blank]
        if frame.empty:
            raise StudyError(Problem(self.file, "the file has no data rows (all rows are blank)"))
        unusable = self.check_header() | self.check_columns_present(frame)
        out = self.typed(frame, unusable)
        out.index = self.ids(frame) if self.codebook.id not in unusable else out.index + 1
        self.check_brand(out)
        if self.problems:
            raise StudyError(self.problems)
        self.note_study_codes()
        ordered = [c for _, c in self.codebook.column_roles() if c in out and c != self.codebook.id]
        out = out[list(dict.fromkeys(ordered))]
        unanswered = {c: _missing(out[c]) for c in self.answer_columns()}
        self.warn_unanswered(unanswered, len(out))
        quality = DataQuality(
            source=self.file,
            read_notes=self.raw.notes,
            rows_read=rows_read,
            rows_kept=len(out),
            dropped={"blank rows": int(blank.sum())} if blank.any() else {},
            dont_know=self.dont_know,
            unanswered=unanswered,
            notes=tuple(self.notes),
            na_like=self.na_like,
            na_like_kept=tuple(self.na_like_kept),
            weight_ratio=self.weight_ratio,
            effective_n=self.effective_n,
            warnings=tuple(self.warnings),
        )
        return out, quality

    def typed(self, frame: pd.DataFrame, unusable: set[str]) -> pd.DataFrame:
        """Every column the codebook names and the file has once, checked and typed."""
        cb = self.codebook

        def usable(column: str | None) -> bool:
            return column is not None and column not in unusable

        out = pd.DataFrame(index=frame.index)
        for column, item in cb.scale_items().items():
            if usable(column):
                out[column] = self.scale_values(self.blank_na_like(frame[column], column), item)
        for column, item in cb.binary_items().items():
            if usable(column):
                out[column] = self.binary_values(self.blank_na_like(frame[column], column), item)
        for op in cb.operational:
            if usable(op.column):
                out[op.column] = self.operational(frame[op.column], op.column)
        if usable(cb.weight):
            out[cb.weight] = self.weights(frame[cb.weight])
        for column in self.category_columns():
            if usable(column):
                out[column] = self.category(frame[column], column)
        if usable(cb.wave):
            out[cb.wave] = self.ordered_waves(out[cb.wave])
        for column in self.text_columns():
            if usable(column):
                out[column] = self.blank_na_like(frame[column], column).astype("string")
        return out

    def check_header(self) -> set[str]:
        """Columns whose header the file repeats (after trimming spaces and
        ignoring case, so ``NPS`` and `` nps`` are one header): for a column
        the codebook names, an error naming every copy and its position; for
        another column, a note. Returns the codebook columns that cannot be used."""
        header = self.raw.header or tuple(map(str, self.raw.frame.columns))
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            key = str(name).strip().casefold()
            if key:
                positions.setdefault(key, []).append(i)
        named = {c.strip().casefold(): c for _, c in self.codebook.column_roles()}
        unusable = set()
        for key, found in positions.items():
            if len(found) < 2:
                continue
            copies = ", ".join(f"'{header[i]}' (column {i + 1})" for i in found)
            if key in named:
                unusable.add(named[key])
                self.problems.append(
                    Problem(
                        self.file,
                        f"the file has {len(found)} columns with this header once spaces and "
                        f"case are ignored: {copies}; keep one, so that the codebook's "
                        f"'{named[key]}' names a single column",
                        named[key],
                    )
                )
            else:
                self.notes.append(f"the header repeats {copies}; the codebook uses none of them")
        return unusable

    def check_columns_present(self, frame: pd.DataFrame) -> set[str]:
        """Each column the codebook names and the file lacks, as a problem with
        a did-you-mean among the file's columns (only close matches: the file's
        header is never listed). Returns the missing columns."""
        present = list(frame.columns)
        folded = {c.strip().casefold(): c for c in present}
        missing = [(role, c) for role, c in self.codebook.column_roles() if c not in set(present)]
        for i, (role, column) in enumerate(missing):
            message = f"column is missing (the codebook needs it as {role})"
            same = folded.get(column.strip().casefold())
            close = [same] if same else difflib.get_close_matches(column, present, 2, 0.75)
            if close:
                message += "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
            if i == 0:
                message += f" (the file has {len(present)} columns)"
            self.problems.append(Problem(self.file, message, column))
        return {c for _, c in missing}

    def blank_na_like(self, values: pd.Series, column: str) -> pd.Series:
        """``NA``, ``None``, ``#N/A``, ... as missing values, counted per text."""
        mask = _na_like_mask(values)
        if mask is None:
            return values
        self.count_na_like(values, column, mask)
        return values.mask(mask)

    def count_na_like(self, values: pd.Series, column: str, mask: pd.Series) -> None:
        counts = values[mask].astype("string").str.strip().value_counts()
        self.na_like[column] = {str(text): int(n) for text, n in counts.items()}

    def without_declared_missing(self, values: pd.Series, column: str) -> pd.Series:
        """A column with the file's own declared missing values (SPSS user-missing
        codes and ranges) blanked and counted with the "don't know" codes."""
        declared = self.raw.declared_missing(column, values)
        if not declared.any():
            return values
        self.dont_know[column] = int(declared.sum())
        return values.mask(declared)

    def without_study_codes(self, numbers: pd.Series, column: str) -> pd.Series:
        """The study's "don't know" codes (``missing:``) blanked and counted in a
        numeric column that is not a rating (an operational measure, a numeric
        profile): a wait coded 98 is no wait of 98 minutes."""
        codes = list(self.codebook.missing)
        if not codes:
            return numbers
        is_code = _is_code(numbers.to_numpy(dtype=float), codes)
        found = int(is_code.sum())
        self.dont_know[column] = self.dont_know.get(column, 0) + found
        if not found:
            return numbers
        self.study_codes_found[column] = found
        return numbers.mask(is_code)

    def note_study_codes(self) -> None:
        if not self.study_codes_found:
            return
        codes = ", ".join(f"{c:g}" for c in self.codebook.missing)
        found = ", ".join(f"'{c}' {n:,}" for c, n in self.study_codes_found.items())
        self.notes.append(
            f"the study's \"don't know\" codes ({codes}, missing: in the codebook) were also "
            f"set to missing in operational and numeric profile columns: {found}"
        )

    def operational(self, values: pd.Series, column: str) -> pd.Series:
        values = self.without_declared_missing(self.blank_na_like(values, column), column)
        numbers = self.without_study_codes(self.numeric(values, column), column)
        if _span(numbers.to_numpy(dtype=float))[0] < 0:  # (no mask when none is negative)
            self.fail_rows(column, "negative values in an operational measure", numbers < 0)
        return numbers

    def category(self, values: pd.Series, column: str) -> pd.Series:
        """A brand, wave, profile or feedback column: a category, or numbers for a
        numeric profile (tenure). "NA"-like text is a category where it is one
        of several (a region coded NA, North America), else a missing value.

        A text column is decided once per distinct value (:meth:`distinct_category`)."""
        values = self.without_declared_missing(values, column)
        if _labels_once(values.dtype):
            return self.distinct_category(values, column)
        mask = _na_like_mask(values)
        rest = values if mask is None else values.mask(mask)
        numbers = _numbers_or_none(rest) if column in self.codebook.profile else None
        if mask is not None:
            self.count_na_like(values, column, mask)
            if numbers is None and _has_text(rest):
                self.na_like_kept.append(column)
            else:
                values = rest
        if numbers is not None:
            return _as_number(self.without_study_codes(numbers, column))
        return _as_category(self.without_invisible(values, column))

    def distinct_category(self, values: pd.Series, column: str) -> pd.Series:
        """:meth:`category` of a text column, each step taken on its distinct values
        (a few labels however many respondents) and spread back to the rows by
        their codes: the same values, counts and notes as row by row."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = pd.Series(uniques)
        mask = _na_like_mask(distinct)
        rest = distinct if mask is None else distinct.mask(mask)
        numbers = _numbers_or_none(rest) if column in self.codebook.profile else None
        if mask is not None:
            row_mask = _spread(mask.to_numpy(dtype=bool), codes, False, values.index)
            self.count_na_like(values, column, row_mask)
            if numbers is None and _has_text(rest):
                self.na_like_kept.append(column)
            else:
                distinct = rest
        if numbers is not None:
            spread = _spread(numbers.to_numpy(dtype=float), codes, np.nan, values.index)
            return _as_number(self.without_study_codes(spread, column))
        labels = _as_category(self.without_invisible(distinct, column, codes))
        label_codes = _spread(labels.cat.codes.to_numpy(), codes, -1, values.index)
        return pd.Series(
            pd.Categorical.from_codes(label_codes.to_numpy(), dtype=labels.dtype),
            index=values.index,
        )

    def without_invisible(
        self, values: pd.Series, column: str, codes: np.ndarray | None = None
    ) -> pd.Series:
        """Category labels without invisible format characters (zero-width spaces,
        right-to-left overrides, byte-order marks: Unicode category Cf). They
        would make "North" and "North" + U+200B two groups, or reverse the rest of
        a sentence in the report; how many values had them is noted. ``codes``:
        ``values`` are a column's distinct values, ``codes`` its rows (counted)."""
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            return values
        text = values.astype("string")
        has = text.str.contains(_INVISIBLE, regex=True, na=False)
        if not has.any():
            return values
        found = int(has.sum()) if codes is None else int(np.isin(codes, np.flatnonzero(has)).sum())
        self.notes.append(
            f"column '{column}': invisible formatting characters (zero-width or "
            f"right-to-left controls) removed from {found:,} values"
        )
        return text.str.replace(_INVISIBLE, "", regex=True)

    def check_brand(self, out: pd.DataFrame) -> None:
        """The study's brand must be one of the brands in the brand column."""
        brand, column = self.codebook.brand, self.codebook.brand_column
        if brand is None or column is None or column not in out:
            return
        brands = [str(b) for b in out[column].unique() if not pd.isna(b)]
        if brand in brands:
            return
        same = [b for b in brands if b.strip().casefold() == brand.strip().casefold()]
        close = same or difflib.get_close_matches(brand, brands, 1, 0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.problems.append(
            Problem(
                self.file,
                f"the study's brand '{brand}' (brand: in the codebook, or the brand parameter) "
                f"is not among the {len(brands)} brands in this column{hint}",
                column,
            )
        )

    def warn_unanswered(self, unanswered: dict[str, int], rows: int) -> None:
        """A warning for each answer column nobody answered (``unanswered``: the
        number of missing answers by column, of ``rows`` respondents)."""
        for column, missing in unanswered.items():
            if missing == rows:
                self.warnings.append(
                    f"'{column}' has no answer at all (every one of {rows:,} respondents "
                    'left it blank or answered with a "don\'t know" code)'
                )

    def ordered_waves(self, waves: pd.Series) -> pd.Series:
        """The wave column as an ordered category: the codebook's ``waves:`` order,
        else natural order (:mod:`cxresearch.data.waves`). Decided on the distinct
        waves (in the order they first appear), spread back by their codes."""
        declared = self.codebook.waves
        if not isinstance(waves.dtype, pd.CategoricalDtype):  # (a numeric profile as wave)
            waves = waves.astype("category")
        labels = waves.cat.categories.astype("string")
        if declared:
            known = labels.isin(declared)
            codes = waves.cat.codes.to_numpy()
            unknown = pd.Series((codes >= 0) & ~np.append(known, True)[codes], index=waves.index)
            if unknown.any():
                found = ", ".join(sorted(set(waves[unknown].astype(str)), key=natural_key)[:5])
                self.fail_rows(
                    self.codebook.wave,
                    f"waves not listed under waves: in the codebook: {found}",
                    unknown,
                )
                return waves
        appearing = [str(v) for v in waves.unique() if not pd.isna(v)]
        order = list(declared) if declared else natural_order(appearing)
        dtype = pd.CategoricalDtype(order, ordered=True)
        position = np.append(pd.Index(order).get_indexer(labels), -1)
        codes = position[waves.cat.codes.to_numpy()]
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=waves.index)

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
        """A rating: numbers, its "don't know" codes (``missing:``, and the file's own
        declared missing values) blanked and counted, recoded, then every answer
        checked to be a whole number on the scale. In numpy: the column's smallest
        and largest values tell whether a code can be there and whether any answer
        can be off the scale, so a clean column costs two reductions (and, for
        floats, one pass for whole numbers); only a column that fails is checked
        row by row. A float column is not copied unless codes are blanked."""
        numbers = self.numeric(values, item.column)  # (floats stay shared, never edited)
        x = numbers.to_numpy()
        whole = values.dtype.kind in "iu" and isinstance(values.dtype, np.dtype)
        span = _span(x)
        declared = item.column in self.raw.user_missing
        if item.missing or declared:
            found = 0
            if declared or any(np.isnan(c) or span[0] <= c <= span[1] for c in item.missing):
                is_code = _is_code(x, item.missing)
                if declared:
                    is_code |= self.raw.declared_missing(item.column, numbers).to_numpy(bool)
                found = int(np.count_nonzero(is_code))
                if found:
                    x = np.where(is_code, np.nan, x)
                    numbers, span = pd.Series(x, index=numbers.index, copy=False), _span(x)
            self.dont_know[item.column] = found
        if item.recode:
            numbers = _recoded(numbers, item.recode)
            x, whole = numbers.to_numpy(), False
            span = _span(x)
        if item.scale.low <= span[0] and span[1] <= item.scale.high and (whole or _whole(x)):
            return numbers
        with np.errstate(invalid="ignore"):
            bad = (x < item.scale.low) | (x > item.scale.high) | (np.trunc(x) != x)
        outside = pd.Series(~np.isnan(x) & bad, index=numbers.index)
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

    def weights(self, values: pd.Series) -> pd.Series:
        """Survey weights: positive finite numbers, none more than a million
        times another. The spread is recorded: the largest over the smallest
        weight and Kish's effective sample size ``(sum w)^2 / sum w^2``
        (computed on ``w / max w``, which leaves it unchanged and cannot overflow);
        a ratio above 100 or an effective size under half the respondents is a
        warning in the quality record."""
        column = self.codebook.weight
        numbers = self.numeric(self.blank_na_like(values, column), column)
        bad = numbers.isna() | ~np.isfinite(numbers.fillna(0)) | (numbers <= 0)
        if bad.any():
            self.fail_rows(column, "survey weights must be positive numbers, never blank", bad)
            return numbers
        ratio = float(numbers.max() / numbers.min())
        if ratio > MAX_WEIGHT_RATIO:
            median = numbers.median()
            extreme = (numbers > median * 1000) | (numbers < median / 1000)
            self.fail_rows(
                column,
                f"the largest weight is {ratio:.3g} times the smallest: weights more than "
                "1,000 times the median weight (or under 1/1,000 of it) make a few "
                "respondents the whole study; check the weighting",
                extreme,
            )
            return numbers
        scaled = numbers / numbers.max()
        self.weight_ratio = ratio
        self.effective_n = float(scaled.sum() ** 2 / (scaled**2).sum())
        if ratio > WARN_WEIGHT_RATIO or self.effective_n < len(numbers) / 2:
            self.warnings.append(
                f"extreme weights: the largest is {ratio:,.0f} times the smallest and the "
                f"effective sample size (Kish) is {self.effective_n:,.0f} of {len(numbers):,}: "
                "weighted results rest on fewer respondents than their bases say"
            )
        return numbers

    def ids(self, frame: pd.DataFrame) -> pd.Index:
        column = self.codebook.id
        if column is None:
            self.notes.append("the file has no id column: respondents are numbered by data row")
            return pd.Index(frame.index + 1, name="row")
        ids = frame[column].astype("string").str.strip()
        na_like = _na_like_text(ids)
        blank = ids.isna() | (ids == "") | na_like
        if blank.any():
            also = " (or text for no value, such as 'NA')" if na_like.any() else ""
            self.fail_rows(column, f"respondent ids are blank{also}", blank)
        index = pd.Index(ids, name=column)
        if not _strictly_increasing(ids) and not index.is_unique:
            duplicated = ids.duplicated(keep=False) & ~blank
            if duplicated.any():
                examples = ", ".join(repr(v) for v in ids[duplicated].unique()[:3])
                self.fail_rows(column, f"duplicate respondent ids: {examples}", duplicated)
        return index


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


def _na_like_mask(values: pd.Series) -> pd.Series | None:
    """Where a column holds "NA"-like text (:data:`~cxresearch.data.readers.NA_LIKE`),
    or None when it holds none (numeric columns never do). Decided once per
    distinct value."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    short = values[values.astype("string").str.len() <= _NA_LIKE_LONGEST]
    found = [
        v for v in pd.unique(short.dropna()) if isinstance(v, str) and v.strip().lower() in NA_LIKE
    ]
    return values.isin(found) if found else None


def _missing(values: pd.Series) -> int:
    """How many values of a column are missing."""
    return int(np.count_nonzero(values.isna().to_numpy(dtype=bool)))


def _is_code(x: np.ndarray, codes) -> np.ndarray:
    """Where ``x`` holds one of the ``codes`` (as ``Series.isin``: NaN matches NaN)."""
    found = np.zeros(len(x), dtype=bool)
    for code in codes:
        found |= np.isnan(x) if np.isnan(code) else (x == code)
    return found


def _span(x: np.ndarray) -> tuple[float, float]:
    """The smallest and largest number in ``x``, NaN aside (NaN, NaN when there is none)."""
    if not len(x):
        return np.nan, np.nan
    return float(np.fmin.reduce(x)), float(np.fmax.reduce(x))


def _whole(x: np.ndarray, step: int = 1 << 16) -> bool:
    """Whether every number in ``x`` (NaN aside) is a finite whole number:
    ``|x - trunc(x)|`` is 0, computed in slices that stay in the processor's cache."""
    buffer = np.empty(min(step, len(x)))
    for start in range(0, len(x), step):
        part = x[start : start + step]
        fraction = buffer[: len(part)]
        np.trunc(part, out=fraction)
        with np.errstate(invalid="ignore"):  # (inf - inf: NaN, so infinities apart)
            np.subtract(part, fraction, out=fraction)
        np.abs(fraction, out=fraction)
        if np.fmax.reduce(fraction) > 0 or np.isinf(part).any():
            return False
    return True


def _recoded(numbers: pd.Series, recode) -> pd.Series:
    """``numbers.map(lambda v: recode.get(v, v))``, the mapping asked once per
    distinct value (the result's type as ``map`` infers it from the same values)."""
    codes, distinct = pd.factorize(numbers.to_numpy(), use_na_sentinel=False)
    mapped = pd.Series(distinct).map(lambda v, m=recode: m.get(v, v)).to_numpy()
    return pd.Series(mapped[codes], index=numbers.index, copy=False)


def _na_like_text(text: pd.Series) -> pd.Series:
    """Where a text column holds "NA"-like text (after trimming, ignoring case)."""
    if isinstance(text.array, pd.arrays.ArrowStringArray):  # in Arrow, without copies
        arrow = pa.array(text.array)
        found = pc.is_in(pc.utf8_lower(arrow), value_set=pa.array(sorted(NA_LIKE)))
        found = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
        return pd.Series(found.astype(bool, copy=False), index=text.index, copy=False)
    return text.str.lower().isin(NA_LIKE).fillna(False).astype(bool)


def _strictly_increasing(text: pd.Series) -> bool:
    """Whether every value of a text column (none missing) sorts after the one
    before it, byte by byte: then no two are equal, known in one pass instead
    of a hash table of every value (ids exported in order)."""
    if not isinstance(text.array, pd.arrays.ArrowStringArray) or len(text) < 2:
        return False
    arrow = pa.array(text.array)
    if arrow.null_count:
        return False
    later = pc.greater(arrow.slice(1), arrow.slice(0, len(arrow) - 1))
    return bool(pc.all(later).as_py())


def _labels_once(dtype) -> bool:
    """Whether a column can be decided once per distinct value: text (each value
    one string) or a category. (Not object columns: there 1, 1.0 and True would be
    one distinct value but three texts.)"""
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    return pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)


def _spread(per_value: np.ndarray, codes: np.ndarray, missing, index: pd.Index) -> pd.Series:
    """Per-distinct-value results spread to the rows (``index``) by their factorize
    ``codes`` (``-1``, a missing value, gets ``missing``)."""
    with_missing = np.append(per_value, np.asarray([missing], dtype=per_value.dtype))
    return pd.Series(with_missing[codes], index=index, copy=False)


def _has_text(values: pd.Series) -> bool:
    """Whether a column has any non-blank value."""
    text = values.dropna().astype("string").str.strip()
    return bool((text != "").any())


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


def _without_na_like(values: pd.Series) -> pd.Series:
    mask = _na_like_mask(values)
    return values if mask is None else values.mask(mask)


def _as_number(values: pd.Series) -> pd.Series:
    """A numeric profile column: whole numbers as nullable integers, else floats."""
    numbers = values.astype("float64")
    return numbers.astype("Int64") if _whole(numbers.to_numpy()) else numbers


_INVISIBLE = (
    r"[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
"""Unicode format characters (category Cf) that show nothing: soft hyphen, zero-width
space and non-joiner (the joiner of emoji sequences stays), left-to-right and
right-to-left marks, embeddings, overrides and isolates, word joiners, byte-order mark."""


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
    frame = frame.assign(**{c: _without_na_like(frame[c]) for c in needed})
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
