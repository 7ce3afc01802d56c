"""Banner tables: every measure down the side, every category of the profile columns across.

The market researcher's crosstab (Displayr/Q, SPSS Custom Tables, Qualtrics):
each row a measure (NPS, a mean, a top-2-box share, the share answering each
point of a scale), each column a category of a banner column (age group,
region, brand, wave, segment) beside a "Total" column, and each cell its value
with its interval and base.

Letters: within one banner column, its categories get the letters A, B, C...
and a cell carries the letters of the categories of the same banner column
that it is significantly above, in the same row. The tests are two-sided, one
per pair of categories: Welch's t for means, the pooled two-proportion z test
for shares, a z test on the difference of two NPS (see
:mod:`cxresearch.analyses._banner_tests`); the categories of one banner column
are disjoint, so the samples are independent. Each row and banner column is
one family of comparisons, corrected by Holm's step-down procedure (Holm
1979) by default, or Bonferroni or Benjamini-Hochberg; a letter appears
exactly when the difference's interval at the family's level excludes zero
(the rule of :func:`cxresearch.stats.correct_family`). Weighted data use
Kish's effective n. The Total is not tested (it overlaps every column). Cells
with a base below the study's ``min_base`` are suppressed and never tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..data.codebook import BinaryItem, ScaleItem
from ..errors import Problem, StudyError
from ..metrics import outcome_name
from ..plots import COLOURS, literal_text, plt
from ..results import Result
from ..stats import CORRECTION_NAMES, CORRECTIONS, level_label
from ..tables import Findings, format_difference, format_estimate, suppressed_note
from ._banner_tests import KINDS, TESTS, TOTAL, Column, Row, compute
from ._common import item_values, segment_labels, segment_names, survey_weights
from ._engine import dask_aware

MAX_AUTO_CATEGORIES = 12  # columns="auto" leaves out profile columns with more categories
MAX_CATEGORIES = 60  # more is a continuous column, not a banner


@dataclass(frozen=True)
class Banner(Result):
    """Result of :func:`banner`.

    ``table``: one row per measure, statistic and banner cell: ``measure`` (an
    outcome name or ``touchpoint:experience``), ``label``, ``statistic``, ``kind``
    (mean, share, nps), ``banner`` (the banner column, ``Total`` for the total),
    ``category``, ``letter``, ``value``, ``low``, ``high`` (the cell's interval),
    ``n`` (answers), ``n_eff`` (Kish), ``below_min_base``, ``tested`` and
    ``above`` (the letters of the categories this cell is significantly above).
    ``tests``: one row per pair of categories tested: ``difference`` (category -
    other, in the measure's units) with ``low``/``high`` at the family's level,
    ``raw_low``/``raw_high`` at ``confidence``, ``p``, ``p_adjusted``,
    ``significant``, ``family_size``, ``family_level``, ``test`` and ``effect``
    (the difference in standard deviations of the Total).
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    columns: tuple[str, ...]
    min_base: int
    correction: str
    weighted: bool
    respondents: str
    confidence: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)

    def display(self) -> pd.DataFrame:
        """The people's table: rows (measure, statistic), columns (banner column,
        category with its letter); cells ``value [low, high] n=... BC``."""
        t = self.table
        headers = _headers(t)
        if t.empty:
            return pd.DataFrame(columns=pd.MultiIndex.from_tuples(headers))
        k = len(headers)
        text = [_cell_text(row, self.min_base) for row in t.itertuples()]
        rows = t[["label", "statistic"]].to_numpy()[::k]
        index = pd.MultiIndex.from_arrays(rows.T, names=["measure", "statistic"])
        columns = pd.MultiIndex.from_tuples(headers, names=["banner", "category"])
        return pd.DataFrame(np.asarray(text, dtype=object).reshape(-1, k), index, columns)

    def caption(self) -> str:
        """What the cells and the letters mean, which tests and which correction."""
        weighting = "; weighted (Kish effective n)" if self.weighted else ""
        kinds = [k for k in KINDS if (self.table["kind"] == k).any()] if len(self.table) else []
        tests = "; ".join(f"{k}s: {TESTS[k]}" if k != "nps" else f"NPS: {TESTS[k]}" for k in kinds)
        alpha = level_label(1 - self.confidence)
        return (
            f"Each cell: value [{self.interval}] and base n{weighting}. Letters after a value "
            "name the categories of the same banner column that the cell is significantly "
            f"above (two-sided, {alpha} level; {tests}). "
            f"{CORRECTION_NAMES[self.correction]} correction within each row and banner column. "
            f"The Total is not tested; cells with fewer than {self.min_base} answers are "
            f"suppressed and not tested. Respondents: {self.respondents}."
        )

    def findings(self, top: int = 3) -> Findings:
        """The biggest significant differences (in standard deviations of the Total),
        in words, one per measure and banner column."""
        t = self.tests
        found = t[t["significant"]] if len(t) else t
        found = found.assign(size=found["effect"].abs()) if len(found) else found
        if len(found):
            found = found.sort_values("size", ascending=False, kind="stable")
            found = found.drop_duplicates(["measure", "statistic", "banner"])
        lines = [self._sentence(row) for row in found.head(top).to_dict("records")]
        return Findings(
            tuple(lines), "No category differs significantly from another of its banner column."
        )

    def _sentence(self, row: dict) -> str:
        """``label (statistic): banner higher (X) value (n=..) is above lower (Y) ...``."""
        flip = row["difference"] < 0
        high_side, low_side = ("other_", "") if flip else ("", "other_")
        sign = -1 if flip else 1
        low, high = (-row["high"], -row["low"]) if flip else (row["low"], row["high"])
        digits = 2 if row["kind"] == "mean" else 1
        return (
            f"{_name(row['label'], row['statistic'])}: {row['banner']} "
            f"{_side(row, high_side, digits)} is above {_side(row, low_side, digits)}: "
            f"difference {format_difference(sign * row['difference'], low, high, digits)}, a "
            f"{level_label(row['family_level'])} interval allowing for the "
            f"{row['family_size']} comparisons between {row['banner']} categories in this row "
            f"({CORRECTION_NAMES[self.correction]} correction)."
        )

    def plot(self, ax=None, measure: str | None = None, statistic: str | None = None):
        """One measure across the banner (default: the first row): each cell's value
        with its interval, the letters it is above, the Total as a dashed line."""
        t = self.table
        if t.empty:
            raise KeyError("the banner has no rows to plot")
        measure = t["measure"].iloc[0] if measure is None else measure
        rows = t[(t["measure"] == measure) | (t["label"] == measure)]
        if rows.empty:
            raise KeyError(f"no measure {measure!r} in the banner")
        statistic = rows["statistic"].iloc[0] if statistic is None else statistic
        rows = rows[rows["statistic"] == statistic]
        if rows.empty:
            raise KeyError(f"no statistic {statistic!r} for {measure!r}")
        return _banner_dots(rows.reset_index(drop=True), self.min_base, self.interval, ax=ax)

    def _repr_html_(self) -> str:
        if self.table.empty:
            return "<p class='cx-note'>The banner has no measures to show.</p>"
        return _html(self)


def _name(label: str, statistic: str) -> str:
    """A row in words: ``Website experience (mean)``, ``NPS`` (not ``NPS (NPS)``)."""
    return label if statistic == label else f"{label} ({statistic})"


def _side(row: dict, prefix: str, digits: int) -> str:
    """One side of a test in words: ``18-29 (A) 5.84 (n=102)`` (``prefix`` "" or "other_")."""
    category = row["category" if not prefix else "other"]
    return (
        f"{category} ({row[f'{prefix}letter']}) {row[f'{prefix}value']:.{digits}f} "
        f"(n={int(row[f'{prefix}n']):,})"
    )


def _headers(t: pd.DataFrame) -> list[tuple[str, str]]:
    cells = t.drop_duplicates(["banner", "category"])[["banner", "category", "letter"]]
    return [
        (b, c if b == TOTAL else f"{c} ({letter})")
        for b, c, letter in cells.itertuples(index=False)
    ]


def _cell_text(row, min_base: int) -> str:
    if row.below_min_base and row.n > 0:
        return suppressed_note(int(row.n), min_base)
    digits = 2 if row.kind == "mean" else 1
    text = format_estimate(row.value, row.low, row.high, int(row.n), digits)
    return text + (" " + "".join(row.above) if row.above else "")


def _html(result: Banner) -> str:
    t = result.table
    headers = _headers(t)
    groups = list(dict.fromkeys(b for b, _ in headers))
    top = "<th rowspan='2'>measure</th><th rowspan='2'>statistic</th>"
    top += "".join(
        f"<th colspan='{sum(b == g for b, _ in headers)}'>{escape(str(g))}</th>" for g in groups
    )
    second = "".join(f"<th>{escape(str(c))}</th>" for _, c in headers)
    body, suppressed = [], False
    measures = t["measure"].to_numpy()[:: len(headers)]
    for i, start in enumerate(range(0, len(t), len(headers))):
        part = t.iloc[start : start + len(headers)]
        first = part.iloc[0]
        cells = ""
        if i == 0 or measures[i] != measures[i - 1]:
            span = int(np.argmax(np.r_[measures[i:] != measures[i], True]))
            cells += f"<th rowspan='{span}'>{escape(str(first['label']))}</th>"
        cells += f"<th>{escape(str(first['statistic']))}</th>"
        for row in part.itertuples():
            if row.below_min_base and row.n > 0:
                suppressed = True
                note = escape(suppressed_note(int(row.n), result.min_base))
                cells += f"<td class='cx-suppressed'>{note}</td>"
                continue
            cells += f"<td>{_html_cell(row)}</td>"
        body.append(f"<tr>{cells}</tr>")
    notes = [result.caption(), *result.notes]
    if suppressed:
        notes.append(
            f"Cells based on fewer than {result.min_base} answers are suppressed: too few to "
            "report reliably, and never tested."
        )
    legend = "".join(f"<p class='cx-note'>{escape(n)}</p>" for n in notes)
    return (
        "<div class='cx-scroll'><table class='cx-table cx-banner'>"
        f"<thead><tr>{top}</tr><tr>{second}</tr></thead><tbody>{''.join(body)}</tbody>"
        f"</table></div>{legend}"
    )


def _html_cell(row) -> str:
    if row.n == 0 or pd.isna(row.value):
        return "no answers"
    digits = 2 if row.kind == "mean" else 1
    letters = f"<sup>{escape(''.join(row.above))}</sup>" if row.above else ""
    interval = (
        "[no interval]" if pd.isna(row.low) else f"[{row.low:.{digits}f}, {row.high:.{digits}f}]"
    )
    return f"{row.value:.{digits}f}{letters} <small>{interval} n={int(row.n):,}</small>"


@literal_text
def _banner_dots(rows: pd.DataFrame, min_base: int, interval: str, ax=None):
    """Dots with intervals, one row per banner cell (Total first), letters beside."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, max(2.0, 0.42 * len(rows) + 1.2)))
    y = np.arange(len(rows))[::-1]
    shown = ~rows["below_min_base"].to_numpy() & rows["value"].notna().to_numpy()
    value, low, high = (rows[c].to_numpy(dtype=float) for c in ("value", "low", "high"))
    total = rows["banner"] == TOTAL
    for mask, colour in ((shown & total, COLOURS[7]), (shown & ~total, COLOURS[0])):
        if mask.any():
            ax.errorbar(
                value[mask], y[mask], xerr=[(value - low)[mask], (high - value)[mask]],
                fmt="o", color=colour, ecolor=colour, capsize=3,
            )  # fmt: skip
    if total.any() and shown[total.to_numpy()].any():
        ax.axvline(value[total.to_numpy()][0], color=COLOURS[7], linestyle="--", linewidth=1)
    for yi, hi, above, ok in zip(y, high, rows["above"], shown, strict=True):
        if ok and above:
            ax.text(hi, yi, "  > " + ", ".join(above), va="center", fontsize=9, color=COLOURS[3])
    for yi in y[~shown]:
        ax.text(0.5, yi, f"suppressed: base below {min_base}", transform=ax.get_yaxis_transform(),
                ha="center", va="center", color="grey", fontsize=9)  # fmt: skip
    labels = [
        f"{TOTAL}  (n={n:,})" if b == TOTAL else f"{b}: {c} ({letter})  (n={n:,})"
        for b, c, letter, n in zip(rows["banner"], rows["category"], rows["letter"], rows["n"],
                                   strict=True)
    ]  # fmt: skip
    ax.set_yticks(y, labels)
    name = _name(rows["label"].iloc[0], rows["statistic"].iloc[0])
    ax.set_xlabel(f"{name} (dot: estimate; bar: {interval})")
    ax.set_title(
        f"{name} by banner column\n"
        "> letters: significantly above those categories of the same column"
    )
    return ax


# -- the measures down the side ----------------------------------------------------------
def _item_rows(
    key: str, label: str, item, values: np.ndarray, distributions: bool, points=None
) -> list[Row]:
    """The rows of one item: NPS; a share of yes; or top-2-box (agree for CES) and mean,
    then with ``distributions`` the share answering each point of the scale
    (``points``; default :func:`scale_points`)."""
    answered = ~np.isnan(values)

    def share(condition) -> np.ndarray:
        return np.where(answered, condition, np.nan)

    if isinstance(item, BinaryItem):
        return [Row(key, label, "%", "share", values)]
    if key == "nps":
        rows = [Row(key, label, "NPS", "nps", values)]
        if distributions:
            rows += [
                Row(key, label, "% promoters (9-10)", "share", share(values >= 9)),
                Row(key, label, "% passives (7-8)", "share", share((values >= 7) & (values < 9))),
                Row(key, label, "% detractors (0-6)", "share", share(values <= 6)),
            ]
        return rows
    scale = item.scale
    mean = Row(key, label, "mean", "mean", values)
    if key == "ces":
        rows = [mean, Row(key, label, "agree %", "share", share(values > scale.midpoint))]
    else:
        rows = [Row(key, label, "top-2-box %", "share", share(values >= scale.high - 1)), mean]
    if distributions:
        rows += [
            Row(key, label, f"% answering {point:g}", "share", share(values == point))
            for point in (scale_points(scale, values) if points is None else points)
        ]
    return rows


def whole_scale(scale) -> bool:
    """Whether a scale's ends are whole numbers (its points are then known in advance)."""
    return float(scale.low).is_integer() and float(scale.high).is_integer()


def scale_points(scale, values: np.ndarray) -> list[float]:
    """The points of a scale: every whole number from low to high, else the values seen."""
    if whole_scale(scale):
        return list(np.arange(scale.low, scale.high + 1))
    return sorted(np.unique(values[~np.isnan(values)]))


def _items(study, rows) -> list[tuple[str, str, ScaleItem | BinaryItem]]:
    """``(measure key, label, item)`` for ``rows``: ``"auto"`` (every outcome, then every
    touchpoint's experience and expectation) or a list of outcome names, touchpoint ids
    or item columns."""
    cb = study.codebook
    outcomes = [(name, outcome_name(name, item), item) for name, item in cb.outcomes.items()]
    touch = []
    for tp in cb.touchpoints:
        for kind in ("experience", "expectation", "emotion", "importance"):
            item = getattr(tp, kind)
            if item is not None:
                touch.append((tp.id, f"{tp.id}:{kind}", f"{tp.label} {kind}", item))
    if isinstance(rows, str) and rows == "auto":
        return outcomes + [
            (key, label, item)
            for _, key, label, item in touch
            if key.endswith((":experience", ":expectation"))
        ]
    chosen = []
    for name in [rows] if isinstance(rows, str) else list(rows):
        found = [o for o in outcomes if name in (o[0], o[2].column)]
        found += [
            (key, label, item)
            for tp, key, label, item in touch
            if item.column == name or (tp == name and key.endswith((":experience", ":expectation")))
        ]
        if not found:
            known = [o[0] for o in outcomes] + list(dict.fromkeys(t[0] for t in touch))
            raise KeyError(
                f"banner rows: {name!r} is neither an outcome, a touchpoint nor an item column "
                f"of the codebook (outcomes and touchpoints: {', '.join(known) or 'none'})"
            )
        chosen += [f for f in found if f not in chosen]
    return chosen


def measure_rows(study, rows_, items, distributions: bool, points=None) -> list[Row]:
    """The rows down the side for the respondents ``rows_`` (``points``: item
    column -> the points of its scale, for scales without whole-numbered ends)."""
    out = []
    for key, label, item in items:
        values = item_values(study, item)[study.responses.index.get_indexer(rows_.index)]
        chosen = None if points is None else points.get(item.column)
        out += _item_rows(key, label, item, values, distributions, chosen)
    return out


# -- the banner columns across -------------------------------------------------------------
def auto_columns(study, nunique=None) -> tuple[list[str], list[str]]:
    """The profile columns with 2 to 12 categories; else the wave, else the brand
    (``nunique``: column -> its number of distinct values; default: counted)."""
    chosen, notes = [], []
    for column in study.codebook.profile:
        k = study.responses[column].nunique() if nunique is None else nunique[column]
        if 2 <= k <= MAX_AUTO_CATEGORIES:
            chosen.append(column)
        else:
            notes.append(
                f"Profile column {column} ({k} categories) is not in the banner: columns='auto' "
                f"takes those with 2 to {MAX_AUTO_CATEGORIES}; name it in columns= to show it."
            )
    if not chosen and study.supports("waves"):
        chosen = ["wave"]
    elif not chosen and study.codebook.brand_column is not None and study.supports("brands"):
        chosen = ["brand"]
    if not chosen:
        notes.append("The study has no profile, wave or brand column to split the banner by.")
    return chosen, notes


def _column(study, rows: pd.DataFrame, name: str, segments) -> tuple[Column, str | None]:
    """One banner column over ``rows``, and a note when some respondents have no category."""
    if name == "segment":
        shown, series = "segment", segment_categories(rows.index, segments)
    else:
        shown = study.resolve_column(name)
        series = column_categories(study, shown, rows[shown])
    categories = checked_categories(name, series.categories)
    codes = np.asarray(series.codes, dtype=np.intp)
    return Column(shown, codes, categories), missing_note(shown, int((codes < 0).sum()))


def segment_categories(index: pd.Index, segments) -> pd.Categorical:
    """The segment names of the respondents ``index`` (categories: every segment)."""
    labels = segment_labels(segments)
    if labels is None:
        raise ValueError("columns with 'segment' need segments= (e.g. cx.segment(study))")
    names = segment_names(segments)
    series = labels.reindex(index).map(lambda v: names.get(v, v) if pd.notna(v) else v)
    order = [names.get(v, v) for v in sorted(pd.unique(labels.dropna()))]
    return pd.Categorical(series, categories=list(dict.fromkeys(order)))


def column_categories(study, shown: str, series: pd.Series) -> pd.Categorical:
    """A banner column's values as categories: those that occur, in the column's
    category order (else sorted), the study's brand first."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    series = series.cat.remove_unused_categories()
    if shown == study.codebook.brand_column and study.brand in series.cat.categories:
        rest = [c for c in series.cat.categories if c != study.brand]
        series = series.cat.reorder_categories([study.brand, *rest])
    return pd.Categorical(series)


def checked_categories(name: str, categories) -> list[str]:
    """The categories as text, at most :data:`MAX_CATEGORIES` of them."""
    categories = [str(c) for c in categories]
    if len(categories) > MAX_CATEGORIES:
        raise ValueError(
            f"banner column {name!r} has {len(categories)} categories (at most "
            f"{MAX_CATEGORIES}): band a continuous column into groups first"
        )
    return categories


def missing_note(shown: str, missing: int) -> str | None:
    """The note on respondents without a category (None when every one has one)."""
    if not missing:
        return None
    return f"{shown}: {missing:,} respondents without a category are in the Total only."


def respondents(study, brand, columns: list[str]) -> tuple[str | None, str]:
    """``brand="auto"``: the study's brand's respondents, unless the brand is a banner
    column (then every brand's); None: everyone; a name: that brand's. Returns the
    brand whose respondents are taken (None: every respondent) and their description."""
    column = study.codebook.brand_column
    if column is None:
        return None, "all respondents"
    if brand == "auto":
        splits = any(c in ("brand", column) for c in columns)
        brand = None if splits else study.brand
    if brand is None:
        return None, "all respondents (every brand)"
    return brand, f"respondents who rated {brand}"


def no_respondents(brand, known) -> KeyError:
    """The error for a brand nobody rated (``known``: the brands in the data)."""
    return KeyError(f"no respondents rated brand {brand!r} (brands: {', '.join(map(str, known))})")


def _respondents(study, brand, columns: list[str]) -> tuple[pd.DataFrame, str]:
    brand, text = respondents(study, brand, columns)
    if brand is None:
        return study.responses, text
    column = study.codebook.brand_column
    rows = study.responses[study.responses[column] == brand]
    if rows.empty:
        raise no_respondents(brand, study.responses[column].dropna().unique())
    return rows, text


# -- the analysis ------------------------------------------------------------------------------
@memoised(parts=SURVEY_PARTS)
@dask_aware
def banner(
    study,
    *,
    rows="auto",
    columns="auto",
    segments=None,
    brand: str | None = "auto",
    distributions: bool = False,
    weighted: bool = True,
    correction: str = "holm",
    confidence: float = 0.95,
) -> Banner:
    """The banner table: every measure by every category of the banner columns, with letters.

    Parameters
    ----------
    study : Study
    rows : "auto" or list of str
        ``"auto"``: every outcome, then every touchpoint's experience and expectation
        item. Or outcome names (``"nps"``), touchpoint ids (its experience and
        expectation) and item columns (``"perf_store"``, ``"feel_store"``).
    columns : "auto", str or list of str
        The banner columns: profile columns, ``"brand"``, ``"wave"``, ``"segment"``
        (with ``segments=``) or any column of the responses. ``"auto"``: the profile
        columns with 2 to 12 categories (else the wave, else the brand).
    segments : Segmentation or Series, optional
        The segments for a ``"segment"`` column (added to ``"auto"`` when given).
    brand : str or None
        ``"auto"``: the study's brand's respondents, or every brand's when the brand
        is a banner column; None: every respondent; a name: that brand's.
    distributions : bool
        Add the share answering each point of every scale (promoters, passives and
        detractors for NPS).
    weighted : bool
        Use survey weights (Kish effective n) when the study has them.
    correction : str
        ``"holm"`` (default), ``"bonferroni"`` or ``"fdr_bh"``: within each row and
        banner column (one family: every pair of its categories with a base).
    confidence : float
        The cells' interval level; ``1 - confidence`` is the family's alpha.

    Notes
    -----
    Cell: NPS with the adjusted Wald interval (Rocks 2016), shares with the Wilson
    interval, means with the t interval. Letters: see the module's docstring and
    :mod:`cxresearch.analyses._banner_tests`.
    """
    names, notes = banner_names(study, columns, segments, correction)
    rows_, respondents_text = _respondents(study, brand, names)
    items = banner_items(study, rows)
    banner_columns: list[Column] = []
    for name in names:
        column, note = _column(study, rows_, name, segments)
        if column.name in [c.name for c in banner_columns]:
            continue  # the same column named twice ("brand" and its column)
        banner_columns.append(column)
        notes += [note] if note else []
    weights = survey_weights(study, rows_, weighted)
    measure_rows_ = measure_rows(study, rows_, items, distributions)
    table, tests = compute(
        measure_rows_, banner_columns, weights, study.codebook.min_base, confidence, correction
    )
    return Banner(
        table=table,
        tests=tests,
        columns=tuple(c.name for c in banner_columns),
        min_base=study.codebook.min_base,
        correction=correction,
        weighted=weighted and study.codebook.weight is not None,
        respondents=respondents_text,
        confidence=confidence,
        notes=tuple(notes),
    )


def banner_names(study, columns, segments, correction, nunique=None):
    """The banner columns asked for (``"auto"``: :func:`auto_columns`, with the
    segments when given) and the notes on profile columns left out."""
    check_correction(correction)
    if isinstance(columns, str) and columns == "auto":
        names, notes = auto_columns(study, nunique)
        return names + (["segment"] if segments is not None else []), notes
    return ([columns] if isinstance(columns, str) else list(columns)), []


def check_correction(correction: str) -> None:
    """A :class:`ValueError` naming the corrections when ``correction`` is none of them."""
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")


def banner_items(study, rows):
    """The items down the side (:func:`_items`); a :class:`StudyError` when there are none."""
    items = _items(study, rows)
    if not items:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                "banner tables need outcomes or touchpoint items to show; this study has none",
            )
        )
    return items
