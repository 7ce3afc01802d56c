"""Expectations against experiences: the paired gap per touchpoint, stage or group.

``gap = experience - expectation`` for each respondent who answered both
(SERVQUAL's P - E; Parasuraman, Zeithaml & Berry 1988, *Journal of
Retailing* 64(1)). Negative: the brand falls short of what customers expect.
Because both scores come from the same respondent, the interval and the test
come from the paired differences, not from two separate means.

Studies that ask no expectations can measure the gap against a target score
declared per touchpoint in the codebook (``target: 6``), or against the best
competitor (``reference="best_competitor"``: the difference of two
independent means, Welch).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..data.codebook import STAGES
from ..plots import gap_bars, gap_profile
from ..results import Result
from ..stats import GroupedSums, adjust_pvalues, t_interval, t_test_p, z_value
from ..tables import Findings, format_p, suppressed_note
from ._common import group_codes, require, segment_labels, survey_weights

REFERENCES = ("expectation", "target", "best_competitor")


@dataclass(frozen=True)
class GapTable(Result):
    """Result of :func:`gaps`.

    ``table`` columns: the group columns, ``touchpoint`` (or ``stage``),
    ``label``, ``stage``, ``reference`` (what the experience is compared with),
    ``expectation``, ``experience``, ``gap``, ``low``, ``high``, ``n`` (pairs),
    ``n_eff``, ``p`` (paired t test), ``p_adjusted``, ``wilcoxon_p`` (signed
    rank), ``wilcoxon_p_adjusted``, ``significant`` and ``below_min_base``.
    """

    table: pd.DataFrame
    by: str
    brand: str | None
    min_base: int
    correction: str
    confidence: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)

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
                f"{row['reference']} {row['expectation']:.1f}, a gap of {row['gap']:.2f} "
                f"({self.interval} {row['low']:.2f} to {row['high']:.2f}; n={row['n']:,})"
            )
        return Findings(tuple(lines), "No touchpoint falls significantly short.")

    shortfalls = findings  # the name of 0.1

    def _group_columns(self) -> list[str]:
        return [] if self.by in ("touchpoint", "stage") else [self.by]

    def plot(self, ax=None):
        """Gap bars in journey order (one group), or the gap profile per group."""
        if self.by in ("touchpoint", "stage"):
            return gap_bars(self.table, self.by, self.min_base, ax=ax)
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
        gap_column = f"gap [{self.interval}]"
        shown[gap_column] = [
            f"{g:+.2f} [{lo:+.2f}, {hi:+.2f}]" + (" *" if sig else "")
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
        caption = (
            f"Gap = experience - reference; {self.interval} from the paired "
            f"differences; * = significant after {self.correction} correction across the table."
        )
        return " ".join([caption, *self.notes])


def gaps(
    study,
    *,
    by: str = "touchpoint",
    brand: str | None = "auto",
    reference: str = "expectation",
    segments=None,
    weighted: bool = True,
    correction: str = "holm",
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
        ``"holm"`` (default) or ``"fdr_bh"``, across every test in the table.

    Notes
    -----
    Per cell, with d the paired differences: ``gap = mean(d)``, interval
    ``gap +- t(n - 1) s_d / sqrt(n)``, paired t test of ``gap = 0`` (equal to
    ``scipy.stats.ttest_rel``) and the Wilcoxon signed-rank test (for ordinal
    scales; unweighted). Weighted: Kish effective n.
    """
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}, not {reference!r}")
    require(study, "gaps", "touchpoints")
    if reference != "best_competitor":
        require(study, f"gaps against the {reference}", "expectations")
    segments = segment_labels(segments)
    rows, brand = _select_brand(study, brand, reference)
    weights = survey_weights(study, rows, weighted)
    if reference == "best_competitor":
        table, notes = _against_best_competitor(study, rows, brand, weights, confidence)
    else:
        units, notes = _paired_units(study, rows, by, reference)
        columns = [] if by in ("touchpoint", "stage") else [_group_column(study, by, segments)]
        frame = _group_frame(study, rows, by, segments)
        codes, keys = group_codes(frame, columns)
        table = _paired_table(units, weights, codes, keys, confidence)
        table["wilcoxon_p"] = [_wilcoxon(d[codes == g]) for d, g in _cells(units, codes, keys)]
    table["p_adjusted"] = adjust_pvalues(table["p"], correction)
    if "wilcoxon_p" in table:
        table["wilcoxon_p_adjusted"] = adjust_pvalues(table["wilcoxon_p"], correction)
    table["significant"] = table["p_adjusted"] < 1 - confidence
    table["below_min_base"] = table["n"] < study.codebook.min_base
    return GapTable(
        table=table.reset_index(drop=True),
        by=_result_by(study, by, reference),
        brand=brand,
        min_base=study.codebook.min_base,
        correction=correction,
        confidence=confidence,
        notes=tuple(notes),
    )


def _result_by(study, by: str, reference: str) -> str:
    """The table's grouping: touchpoint, stage, or the resolved group column."""
    if reference == "best_competitor":
        return "touchpoint"
    if by in ("touchpoint", "stage", "segment"):
        return by
    return study.resolve_column(by)


def _select_brand(study, brand, reference):
    column = study.codebook.brand_column
    if brand == "auto":
        brand = study.brand if column is not None else None
    if reference == "best_competitor":
        if column is None or brand is None:
            raise ValueError("reference='best_competitor' needs a brand column and a brand")
        return study.responses, brand
    if brand is None or column is None:
        return study.responses, None
    rows = study.responses[study.responses[column] == brand]
    if rows.empty:
        known = ", ".join(map(str, study.responses[column].cat.categories))
        raise KeyError(f"no respondents rated brand {brand!r} (brands: {known})")
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


def _paired_units(study, rows, by, reference) -> tuple[list[_Unit], list[str]]:
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


def _group_column(study, by, segments) -> str:
    return "segment" if by == "segment" else study.resolve_column(by)


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


def _paired_table(units, weights, codes, keys, confidence) -> pd.DataFrame:
    k = len(keys)
    parts = []
    for unit in units:
        d = GroupedSums.of(unit.difference, weights, codes, k)
        e = GroupedSums.of(unit.expectation, weights, codes, k)
        x = GroupedSums.of(unit.experience, weights, codes, k)
        low, high = t_interval(d.mean, d.variance, d.n_eff, confidence)
        part = keys.copy() if len(keys.columns) else pd.DataFrame(index=range(k))
        for name, value in unit.key.items():
            part[name] = value
        part["expectation"], part["experience"], part["gap"] = e.mean, x.mean, d.mean
        part["low"], part["high"] = low, high
        part["n"], part["n_eff"] = d.count.astype(int), d.n_eff
        part["p"] = t_test_p(d.mean, d.variance, d.n_eff)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _wilcoxon(differences: np.ndarray) -> float:
    d = differences[~np.isnan(differences)]
    if len(d) < 2 or not np.any(d != 0):
        return np.nan
    return float(_st.wilcoxon(d, zero_method="wilcox").pvalue)


def _against_best_competitor(study, rows, brand, weights, confidence):
    """Brand mean minus the best competitor's mean (competitors at or above
    ``min_base`` only), Welch interval and test."""
    column = study.codebook.brand_column
    codes, keys = group_codes(rows, [column])
    brands = list(keys[column])
    own = brands.index(brand)
    records, notes = [], []
    for tp in study.codebook.touchpoints:
        if tp.experience is None:
            continue
        sums = GroupedSums.of(
            rows[tp.experience.column].to_numpy(dtype=float), weights, codes, len(brands)
        )
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
        diff = sums.mean[own] - sums.mean[best]
        se = np.sqrt(se2[own] + se2[best])
        df = (se2[own] + se2[best]) ** 2 / (
            se2[own] ** 2 / (sums.n_eff[own] - 1) + se2[best] ** 2 / (sums.n_eff[best] - 1)
        )
        t_crit = _st.t.ppf(0.5 + confidence / 2, df) if np.isfinite(df) else z_value(confidence)
        records.append(
            {
                "touchpoint": tp.id,
                "label": tp.label,
                "stage": tp.stage,
                "reference": f"best competitor ({brands[best]})",
                "expectation": sums.mean[best],
                "experience": sums.mean[own],
                "gap": diff,
                "low": diff - t_crit * se,
                "high": diff + t_crit * se,
                "n": int(sums.count[own]),
                "n_eff": sums.n_eff[own],
                "reference_n": int(sums.count[best]),
                "p": float(2 * _st.t.sf(abs(diff / se), df)),
            }
        )
    return pd.DataFrame.from_records(records), notes
