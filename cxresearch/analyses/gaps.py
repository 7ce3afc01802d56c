"""Expectations against experiences: the paired gap per touchpoint, stage or group.

``gap = experience - expectation`` for each respondent who answered both
(SERVQUAL's P - E; Parasuraman, Zeithaml & Berry 1988, *Journal of
Retailing* 64(1)). Negative: the brand falls short of what customers expect.
Because both scores come from the same respondent, the interval and the test
come from the paired differences, not from two separate means.

Studies that ask no expectations can measure the gap against a target score
declared per touchpoint in the codebook (``target: 6``), or against the best
competitor (``reference="best_competitor"``: Welch differences of independent
means, corrected for picking the best of several rivals; see
:func:`against_best_competitor`).

A table is one family of comparisons: verdicts corrected for all of them
(Bonferroni by default) and each gap shown with the interval that matches its
verdict (:func:`cxresearch.stats.correct_family`). Cells below ``min_base`` are
suppressed and left out of the family.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..cache import SURVEY_PARTS, memoised
from ..data.codebook import STAGES
from ..errors import Problem, StudyError
from ..plots import gap_bars, gap_profile
from ..results import Result
from ..stats import (
    CORRECTIONS,
    GroupedSums,
    adjust_pvalues,
    correct_family,
    family_interval_label,
    family_note,
    level_label,
    t_interval,
    t_test_p,
)
from ..tables import Findings, format_difference, format_p, suppressed_note
from ._common import group_codes, require, segment_labels, survey_weights
from ._engine import dask_aware

_st = LazyModule("scipy.stats")  # loaded when a test is first computed

REFERENCES = ("expectation", "target", "best_competitor")


@dataclass(frozen=True)
class GapTable(Result):
    """Result of :func:`gaps`.

    ``table`` columns: the group columns, ``touchpoint`` (or ``stage``),
    ``label``, ``stage``, ``reference`` (what the experience is compared with),
    ``expectation``, ``experience``, ``gap``, ``low``, ``high`` (the interval
    matching the corrected verdict, at ``family_level``), ``raw_low``/``raw_high``
    (the cell on its own), ``n`` (pairs), ``n_eff``, ``p`` (paired t test),
    ``p_adjusted``, ``wilcoxon_p`` (signed rank), ``wilcoxon_p_adjusted``,
    ``significant`` (the interval excludes zero) and ``below_min_base``.
    """

    table: pd.DataFrame
    by: str
    brand: str | None
    min_base: int
    correction: str
    confidence: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)
    family_size: int = 0
    family_level: float = 0.95

    def findings(self, top: int = 3) -> Findings:
        """The biggest significant shortfalls, in plain language (a list of lines)."""
        t = self.table
        t = t[t["significant"] & (t["gap"] < 0) & ~t["below_min_base"]].nsmallest(top, "gap")
        lines = []
        for row in t.to_dict("records"):
            where = row.get("label", row.get("stage"))
            group = "".join(f"{row[c]}, " for c in self._group_columns())
            lines.append(
                f"{group}{where}: experience {row['experience']:.1f} against "
                f"{row['reference']} {row['expectation']:.1f}, a gap of "
                f"{format_difference(row['gap'], row['low'], row['high'], 2)} (a "
                f"{level_label(self.family_level)} interval allowing for the "
                f"{self.family_size} gaps in the table; n={row['n']:,})"
            )
        return Findings(tuple(lines), "No touchpoint falls significantly short.")

    shortfalls = findings  # the name of 0.1

    def _group_columns(self) -> list[str]:
        return [] if self.by in ("touchpoint", "stage") else [self.by]

    def plot(self, ax=None):
        """Gap bars in journey order (one group), or the gap profile per group."""
        if self.by in ("touchpoint", "stage"):
            label = family_interval_label(self.correction, self.family_level, self.confidence)
            return gap_bars(self.table, self.by, self.min_base, ax=ax, interval=label)
        return gap_profile(self.table, self.by, self.min_base, ax=ax)

    def display(self) -> pd.DataFrame:
        """The people's view: text cells, small bases suppressed."""
        t = self.table
        unit = "stage" if self.by == "stage" else "label"
        index = [*self._group_columns(), unit]
        shown = pd.DataFrame(index=pd.MultiIndex.from_frame(t[index].astype(str)))
        if unit == "label":
            shown["stage"] = t["stage"].to_numpy()
        shown["compared with"] = t["reference"].to_numpy()
        shown["reference"] = t["expectation"].map("{:.2f}".format).to_numpy()
        shown["experience"] = t["experience"].map("{:.2f}".format).to_numpy()
        label = family_interval_label(self.correction, self.family_level, self.confidence)
        gap_column = f"gap [{label}]"
        shown[gap_column] = [
            format_difference(g, lo, hi, 2) + (" *" if sig else "")
            for g, lo, hi, sig in zip(t["gap"], t["low"], t["high"], t["significant"], strict=True)
        ]
        shown["n"] = t["n"].map("{:,}".format).to_numpy()
        shown[f"p ({self.correction})"] = t["p_adjusted"].map(format_p).to_numpy()
        small = t["below_min_base"].to_numpy()
        note = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        for column in ("reference", "experience", gap_column, f"p ({self.correction})"):
            shown.loc[small, column] = note
        return shown

    def caption(self) -> str:
        if self.table.empty or not self.table["reference"].str.startswith("best").any():
            how = f"Gap = experience - reference; {self.interval}s from the paired differences."
        else:
            how = (
                "Gap = the brand's experience - the best competitor's (Welch); each interval "
                "allows for picking the best of the rivals (Bonferroni over the rivals): below "
                "zero, the brand trails at least one rival; above zero, it leads them all."
            )
        family = family_note(
            self.correction, self.family_size, self.family_level, self.confidence,
            "gaps in this table",
        )  # fmt: skip
        return " ".join([how, family, *self.notes])


@memoised(parts=SURVEY_PARTS)
@dask_aware
def gaps(
    study,
    *,
    by: str = "touchpoint",
    brand: str | None = "auto",
    reference: str = "expectation",
    segments=None,
    weighted: bool = True,
    correction: str = "bonferroni",
    confidence: float = 0.95,
) -> GapTable:
    """Expectations against experiences, with paired intervals and tests.

    Parameters
    ----------
    study : Study
    by : str
        ``"touchpoint"``, ``"stage"`` (each respondent's mean gap over the
        stage's touchpoints; stages in journey order), ``"brand"``, ``"wave"``,
        a profile column or ``"segment"`` (then pass ``segments``): one row
        per group and touchpoint.
    brand : str or None
        ``"auto"``: the study's brand when the study rates several brands;
        a brand name; None pools every respondent.
    reference : str
        ``"expectation"`` (touchpoints without an expectation item fall back to
        their codebook ``target``), ``"target"``, or ``"best_competitor"``.
    segments : Segmentation or Series, optional
        The segments for ``by="segment"``: a :class:`Segmentation` or its
        labels indexed by respondent id.
    weighted : bool
        Use survey weights (Kish effective n) when the study has them.
    correction : str
        ``"bonferroni"`` (default: simultaneous intervals), ``"holm"`` or ``"fdr_bh"``,
        across every cell of the table with a base of at least ``min_base``; the
        intervals shown follow it (:func:`cxresearch.stats.family_level`).

    Notes
    -----
    Per cell, with d the paired differences: ``gap = mean(d)``, interval
    ``gap +- t(n - 1) s_d / sqrt(n)``, paired t test of ``gap = 0`` (equal to
    ``scipy.stats.ttest_rel``) and the Wilcoxon signed-rank test (for ordinal
    scales; unweighted). Weighted: Kish effective n.
    """
    check_arguments(study, reference, correction)
    segments = segment_labels(segments)
    rows, brand = _select_brand(study, brand, reference)
    weights = survey_weights(study, rows, weighted)
    if reference == "best_competitor":
        brands, sums = brand_experiences(study, rows, weights)
        table, interval_at, notes = against_best_competitor(study, brands, sums, brand, confidence)
    else:
        units, notes = paired_units(study, rows, by, reference)
        columns = group_columns(study, by, segments)
        frame = _group_frame(study, rows, by, segments)
        codes, keys = group_codes(frame, columns)
        table = paired_table(unit_sums(units, weights, codes, len(keys)), keys, confidence)
        table["wilcoxon_p"] = [_wilcoxon(d[codes == g]) for d, g in _cells(units, codes, keys)]
        interval_at = paired_intervals(table)
    return gap_table(
        study, table, interval_at, notes,
        by=by, reference=reference, brand=brand, correction=correction, confidence=confidence,
    )  # fmt: skip


def check_arguments(study, reference: str, correction: str) -> None:
    """The checks :func:`gaps` makes before any computation (both engines)."""
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}, not {reference!r}")
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    require(study, "gaps", "touchpoints")
    if reference != "best_competitor":
        require(study, f"gaps against the {reference}", "expectations")
    touchpoints = [tp for tp in study.codebook.touchpoints if tp.experience is not None]
    if reference == "target" and all(tp.target is None for tp in touchpoints):
        raise StudyError(
            Problem(
                str(study.codebook.path),
                "gaps against the target need a target: score on a touchpoint with an "
                "experience: item; this study has none (compare with the expectations instead)",
            )
        )


def gap_table(
    study, table, interval_at, notes, *, by, reference, brand, correction, confidence
) -> GapTable:
    """The :class:`GapTable` from the table of cells (with ``p`` and, for paired
    gaps, ``wilcoxon_p``): bases, the family's correction and intervals."""
    table["below_min_base"] = table["n"] < study.codebook.min_base
    table["raw_low"], table["raw_high"] = table["low"], table["high"]
    family = correct_family(
        table["p"].to_numpy(dtype=float),
        interval_at,
        confidence=confidence,
        method=correction,
        include=~table["below_min_base"].to_numpy(dtype=bool),
    )
    table["low"], table["high"] = family.low, family.high
    table["p_adjusted"], table["significant"] = family.p_adjusted, family.significant
    table["family_level"] = family.level
    if "wilcoxon_p" in table:
        tested = ~table["below_min_base"]
        table["wilcoxon_p_adjusted"] = np.nan
        table.loc[tested, "wilcoxon_p_adjusted"] = adjust_pvalues(
            table.loc[tested, "wilcoxon_p"].to_numpy(dtype=float), correction
        )
    return GapTable(
        table=table.reset_index(drop=True),
        by=_result_by(study, by, reference),
        brand=brand,
        min_base=study.codebook.min_base,
        correction=correction,
        confidence=confidence,
        notes=tuple(notes),
        family_size=family.size,
        family_level=family.level,
    )


def _result_by(study, by: str, reference: str) -> str:
    """The table's grouping: touchpoint, stage, or the resolved group column."""
    if reference == "best_competitor":
        return "touchpoint"
    if by in ("touchpoint", "stage", "segment"):
        return by
    return study.resolve_column(by)


def chosen_brand(study, brand, reference) -> str | None:
    """The brand whose respondents :func:`gaps` takes (None: everyone)."""
    column = study.codebook.brand_column
    if brand == "auto":
        brand = study.brand if column is not None else None
    if reference == "best_competitor":
        if column is None or brand is None:
            raise ValueError("reference='best_competitor' needs a brand column and a brand")
        return brand
    return None if column is None else brand


def no_respondents(brand, categories) -> KeyError:
    """The error for a brand nobody rated."""
    known = ", ".join(map(str, categories))
    return KeyError(f"no respondents rated brand {brand!r} (brands: {known})")


def _select_brand(study, brand, reference):
    brand = chosen_brand(study, brand, reference)
    if reference == "best_competitor" or brand is None:
        return study.responses, brand
    column = study.codebook.brand_column
    rows = study.responses[study.responses[column] == brand]
    if rows.empty:
        raise no_respondents(brand, study.responses[column].cat.categories)
    return rows, brand


@dataclass
class _Unit:
    """One row family of the table: a touchpoint or a stage, with per-respondent arrays."""

    key: dict
    expectation: np.ndarray
    experience: np.ndarray

    @property
    def difference(self) -> np.ndarray:
        return self.experience - self.expectation


def paired_units(study, rows, by, reference) -> tuple[list[_Unit], list[str]]:
    notes, per_touchpoint = [], []
    for tp in study.codebook.touchpoints:
        if tp.experience is None:
            continue
        experience = rows[tp.experience.column].to_numpy(dtype=float)
        if reference == "expectation" and tp.expectation is not None:
            expected, kind = rows[tp.expectation.column].to_numpy(dtype=float), "expectation"
        elif tp.target is not None:
            expected, kind = np.full(len(rows), tp.target), "target"
        else:
            notes.append(f"{tp.label}: no {reference} to compare with, left out.")
            continue
        both = ~np.isnan(experience) & ~np.isnan(expected)
        key = {"touchpoint": tp.id, "label": tp.label, "stage": tp.stage, "reference": kind}
        per_touchpoint.append(
            _Unit(key, np.where(both, expected, np.nan), np.where(both, experience, np.nan))
        )
    if by != "stage":
        return per_touchpoint, notes
    stages = []
    for stage in STAGES:
        members = [u for u in per_touchpoint if u.key["stage"] == stage]
        if not members:
            continue
        with warnings.catch_warnings():  # an all-missing row's mean is missing: say nothing
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmean(np.column_stack([u.expectation for u in members]), axis=1)
            experience = np.nanmean(np.column_stack([u.experience for u in members]), axis=1)
        references = sorted({u.key["reference"] for u in members})
        key = {"stage": stage, "label": stage, "reference": "/".join(references)}
        stages.append(_Unit(key, expected, experience))
    return stages, notes


def group_columns(study, by, segments) -> list[str]:
    """The group columns of a paired table: none by touchpoint or stage."""
    if by in ("touchpoint", "stage"):
        return []
    return ["segment" if by == "segment" else study.resolve_column(by)]


def _group_frame(study, rows, by, segments) -> pd.DataFrame:
    if by in ("touchpoint", "stage"):
        return rows
    if by == "segment":
        if segments is None:
            raise ValueError("by='segment' needs segments= (e.g. cx.segment(study).labels)")
        labels = segments.reindex(rows.index)
        return pd.DataFrame({"segment": labels.astype("category")}, index=rows.index)
    return rows


def _cells(units, codes, keys):
    for unit in units:
        for g in range(len(keys)):
            yield unit.difference, g


@dataclass(frozen=True)
class UnitSums:
    """One unit's sums per group: the paired differences ``d``, the
    expectations ``e`` and the experiences ``x`` (of the pairs)."""

    key: dict
    d: GroupedSums
    e: GroupedSums
    x: GroupedSums


def unit_sums(units, weights, codes, k) -> list[UnitSums]:
    """Each unit's :class:`UnitSums` over ``k`` groups."""
    return [
        UnitSums(
            unit.key,
            GroupedSums.of(unit.difference, weights, codes, k),
            GroupedSums.of(unit.expectation, weights, codes, k),
            GroupedSums.of(unit.experience, weights, codes, k),
        )
        for unit in units
    ]


def paired_table(sums: list[UnitSums], keys: pd.DataFrame, confidence) -> pd.DataFrame:
    """One row per unit and group: means, the paired gap, its t interval and test."""
    k = len(keys)
    parts = []
    for unit in sums:
        d, e, x = unit.d, unit.e, unit.x
        low, high = t_interval(d.mean, d.variance, d.n_eff, confidence)
        part = keys.copy() if len(keys.columns) else pd.DataFrame(index=range(k))
        for name, value in unit.key.items():
            part[name] = value
        part["expectation"], part["experience"], part["gap"] = e.mean, x.mean, d.mean
        part["low"], part["high"] = low, high
        part["n"], part["n_eff"], part["sd"] = d.count.astype(int), d.n_eff, np.sqrt(d.variance)
        part["p"] = t_test_p(d.mean, d.variance, d.n_eff)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def paired_intervals(table: pd.DataFrame):
    """``level -> (low, high)``: every paired gap's t interval at that level."""
    gap, variance = table["gap"].to_numpy(dtype=float), table["sd"].to_numpy(dtype=float) ** 2
    n_eff = table["n_eff"].to_numpy(dtype=float)
    return lambda level: t_interval(gap, variance, n_eff, level)


def _wilcoxon(differences: np.ndarray) -> float:
    d = differences[~np.isnan(differences)]
    if len(d) < 2 or not np.any(d != 0):
        return np.nan
    return float(_st.wilcoxon(d, zero_method="wilcox").pvalue)


EXACT_WILCOXON = 50  # scipy's wilcoxon(method="auto") is asymptotic above 50 differences


def wilcoxon_from_counts(values: np.ndarray, counts: np.ndarray) -> float:
    """The p-value of :func:`_wilcoxon` from the distribution of the differences:
    each distinct difference ``values[i]`` and how often it occurs ``counts[i]``.

    The signed-rank test depends on the differences only through that
    histogram: zeros are dropped (Wilcoxon's method), the ``m`` others ranked by
    ``|d|``, each tie of ``t_j`` equal ``|d|`` values taking the mean rank
    ``c_j + (t_j + 1) / 2`` (``c_j``: the count of smaller ``|d|``). Above
    :data:`EXACT_WILCOXON` differences (zeros included) scipy's default is the
    normal approximation without continuity correction, computed here from the
    counts: ``R+ = sum_j rank_j t_j+`` (``t_j+``: the positive ones of the tie),
    ``z = (R+ - m (m + 1) / 4) / sqrt((m (m + 1) (2m + 1) - sum_j (t_j^3 - t_j) / 2) / 24)``,
    ``p = 2 (1 - Phi(|z|))`` (Hollander, Wolfe & Chicken 2014, *Nonparametric
    Statistical Methods*, 3rd ed., section 3.1, ties). Up to that size the
    differences themselves (at most 50 numbers) go to scipy, whose exact or
    permutation distribution then applies as in memory.
    """
    values, counts = np.asarray(values, dtype=float), np.asarray(counts, dtype=np.int64)
    values, counts = values[counts > 0], counts[counts > 0]
    n = int(counts.sum())
    if n < 2 or not np.any(values != 0):
        return np.nan
    if n <= EXACT_WILCOXON:
        return _wilcoxon(np.repeat(values, counts))
    nonzero = values != 0
    size, index = np.unique(np.abs(values[nonzero]), return_inverse=True)
    tied = np.bincount(index, counts[nonzero], len(size))
    positive = np.bincount(index, counts[nonzero] * (values[nonzero] > 0), len(size))
    rank = np.cumsum(tied) - tied + (tied + 1) / 2
    m = tied.sum()
    se = np.sqrt((m * (m + 1) * (2 * m + 1) - np.sum(tied**3 - tied) / 2) / 24)
    z = (np.sum(rank * positive) - m * (m + 1) / 4) / se
    return float(2 * _st.norm.sf(abs(z)))


@dataclass(frozen=True)
class _Rivals:
    """The brand's Welch differences with each rival on one touchpoint."""

    difference: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p: np.ndarray

    def interval(self, level: float) -> tuple[float, float]:
        """An interval for ``brand - best rival``, allowing for choosing the best.

        Each difference gets a Welch interval at ``1 - (1 - level) / k`` (k rivals);
        with probability at least ``level`` all k hold together (Bonferroni), and
        then ``brand - max(rivals) = min_j (brand - rival_j)`` lies between the
        smallest lower bound and the smallest upper bound.
        """
        k = len(self.difference)
        t = _st.t.ppf(1 - (1 - level) / (2 * k), self.df)
        half = t * self.se
        return float(np.min(self.difference - half)), float(np.min(self.difference + half))

    def p_value(self) -> float:
        """The p-value that matches :meth:`interval`: the interval excludes zero at
        level ``1 - alpha`` exactly when this is below alpha. Behind some rival:
        ``k`` times the smallest p among the rivals ahead; ahead of every rival:
        ``k`` times the largest p (Bonferroni; intersection-union for "ahead of all")."""
        k = len(self.difference)
        behind = self.difference < 0
        p = self.p[behind].min() if behind.any() else self.p.max()
        return float(min(1.0, k * p))


def _welch(mean, se2, n_eff, own: int, other: int):
    """Welch difference, standard error, degrees of freedom and p-value (own - other)."""
    difference = mean[own] - mean[other]
    se = np.sqrt(se2[own] + se2[other])
    df = (se2[own] + se2[other]) ** 2 / (
        se2[own] ** 2 / (n_eff[own] - 1) + se2[other] ** 2 / (n_eff[other] - 1)
    )
    df = df if np.isfinite(df) else np.inf
    return difference, se, df, float(2 * _st.t.sf(abs(difference / se), df))


def brand_experiences(study, rows, weights) -> tuple[list[str], dict[str, GroupedSums]]:
    """The brands (as :func:`group_codes` labels them) and, per touchpoint id,
    its experience's sums per brand."""
    column = study.codebook.brand_column
    codes, keys = group_codes(rows, [column])
    sums = {
        tp.id: GroupedSums.of(
            rows[tp.experience.column].to_numpy(dtype=float), weights, codes, len(keys)
        )
        for tp in study.codebook.touchpoints
        if tp.experience is not None
    }
    return list(keys[column]), sums


def against_best_competitor(study, brands, experiences, brand, confidence):
    """Brand mean minus the best competitor's mean (competitors at or above
    ``min_base`` only), corrected for picking the best; ``experiences``: per
    touchpoint, its sums per brand (:func:`brand_experiences`).

    Picking the rival with the highest point estimate and testing against it
    as if it had been chosen in advance finds the brand "behind" too often
    (the winner's curse: with four equal rivals, about one run in eight at
    alpha = 0.05). Here the gap to the best rival gets the interval of
    :meth:`_Rivals.interval` (Bonferroni over the ``k`` rivals) and the
    matching p-value: "behind" means behind at least one rival, "ahead" ahead
    of every one. Returns the table, ``level -> (low, high)`` and notes.
    """
    own = brands.index(brand)
    records, notes, found = [], [], []
    for tp in study.codebook.touchpoints:
        if tp.experience is None:
            continue
        sums = experiences[tp.id]
        rivals = [
            i for i in range(len(brands)) if i != own and sums.count[i] >= study.codebook.min_base
        ]
        if not rivals:
            notes.append(
                f"{tp.label}: no competitor with a base of {study.codebook.min_base}, left out."
            )
            continue
        best = max(rivals, key=lambda i: sums.mean[i])
        se2 = sums.variance / sums.n_eff
        tests = [_welch(sums.mean, se2, sums.n_eff, own, i) for i in rivals]
        comparison = _Rivals(*(np.array(column) for column in zip(*tests, strict=True)))
        low, high = comparison.interval(confidence)
        found.append(comparison)
        records.append(
            {
                "touchpoint": tp.id,
                "label": tp.label,
                "stage": tp.stage,
                "reference": f"best competitor ({brands[best]})",
                "expectation": sums.mean[best],
                "experience": sums.mean[own],
                "gap": sums.mean[own] - sums.mean[best],
                "low": low,
                "high": high,
                "n": int(sums.count[own]),
                "n_eff": sums.n_eff[own],
                "reference_n": int(sums.count[best]),
                "rivals": len(rivals),
                "p": comparison.p_value(),
            }
        )

    def interval_at(level: float):
        bounds = [c.interval(level) for c in found]
        return np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])

    return pd.DataFrame.from_records(records, columns=list(_BEST_COLUMNS)), interval_at, notes


_BEST_COLUMNS = (
    "touchpoint", "label", "stage", "reference", "expectation", "experience", "gap", "low",
    "high", "n", "n_eff", "reference_n", "rivals", "p",
)  # fmt: skip
