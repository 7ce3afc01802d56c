"""What moved since the previous wave: every KPI and touchpoint, with the change's
interval and test.

The brand's measures in the last wave are compared with the previous wave
(waves in the order of their labels, e.g. 2026-Q2 < 2026-Q3), with the same
tests as competitor comparisons (:mod:`cxresearch.analyses.measures`: Welch t for means,
two-proportion z with Newcombe's interval for shares, z on the NPS
difference), treating the two waves as independent samples. The table is one
family of comparisons: verdicts corrected for all of them (Bonferroni by
default) and each change shown with the interval that matches its verdict
(:func:`cxresearch.stats.correct_family`). A wave's value whose base is below
the study's ``min_base`` is suppressed, and its change is left out of the family.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..plots import change_dots
from ..results import Result
from ..stats import (
    CORRECTIONS,
    correct_family,
    family_interval_label,
    family_note,
    level_label,
    z_value,
)
from ..tables import SUPPRESSED, Findings, format_difference, suppressed_note
from ._common import MISSING_GROUP, group_codes, require, survey_weights
from ._engine import dask_aware
from .measures import difference_test, measures, summarise


@dataclass(frozen=True)
class Trends(Result):
    """Result of :func:`trends`: ``table`` has one row per measure: ``previous``
    and ``last`` values with their bases, ``change`` (last - previous) with
    ``low``/``high`` (the interval matching the corrected verdict, at
    ``family_level``), ``raw_low``/``raw_high`` (the change on its own), ``p``,
    ``p_adjusted``, ``significant`` and ``below_min_base``.

    :meth:`intervals_at` recomputes the changes' intervals at another level, for
    another family (the report's headline cards are a family of their own)."""

    table: pd.DataFrame
    previous: str
    last: str
    brand: str | None
    correction: str
    min_base: int = 30
    confidence: float = 0.95
    family_size: int = 0
    family_level: float = 0.95
    pairs: tuple = field(default=(), repr=False, compare=False)

    def findings(self, top: int | None = None) -> Findings:
        """The significant changes, in words (the ``top`` largest by their
        p-value order; None: all)."""
        lines = []
        moved = self.table[self.table["significant"]] if not self.table.empty else self.table
        if top is not None:
            moved = moved.nsmallest(top, "p_adjusted")
        for row in moved.itertuples():
            direction = "rose" if row.change > 0 else "fell"
            lines.append(
                f"{row.label} {direction} from {row.previous_value:.1f} in {self.previous} to "
                f"{row.last_value:.1f} in {self.last} "
                f"({format_difference(row.change, row.low, row.high, _digits(row.kind))}, a "
                f"{level_label(self.family_level)} interval allowing for "
                f"the {self.family_size} changes in the table; n={row.previous_n:,} and "
                f"{row.last_n:,})."
            )
        return Findings(
            tuple(lines), f"Nothing moved significantly between {self.previous} and {self.last}."
        )

    moved = findings  # the name of 0.1

    def plot(self, ax=None):
        """Every measure's change with its interval; significant changes stand out."""
        return change_dots(self, ax=ax)

    def change_of(self, label: str) -> pd.Series | None:
        rows = self.table[self.table["label"] == label]
        return None if rows.empty else rows.iloc[0]

    def intervals_at(self, level: float, labels=None) -> tuple[np.ndarray, np.ndarray]:
        """The changes' intervals at confidence ``level`` (rows of ``labels``, or all)."""
        if labels is None:
            labels = list(self.table["label"])
        position = {label: i for i, label in enumerate(self.table["label"])}
        z = z_value(level)
        bounds = [difference_test(*self.pairs[position[label]], z, level)[1:3] for label in labels]
        if not bounds:
            return np.array([]), np.array([])
        low, high = zip(*bounds, strict=True)
        return np.asarray(low, dtype=float), np.asarray(high, dtype=float)

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["label"], name="measure"))
        shown[self.previous] = [
            self._value(v, n) for v, n in zip(t["previous_value"], t["previous_n"], strict=True)
        ]
        shown[self.last] = [
            self._value(v, n) for v, n in zip(t["last_value"], t["last_n"], strict=True)
        ]
        change = (
            f"change [{family_interval_label(self.correction, self.family_level, self.confidence)}]"
        )
        shown[change] = [
            format_difference(c, lo, hi, _digits(kind)) + (" *" if s else "")
            for c, lo, hi, s, kind in zip(
                t["change"], t["low"], t["high"], t["significant"], t["kind"], strict=True
            )
        ]
        small = ((t["previous_n"] < self.min_base) | (t["last_n"] < self.min_base)).to_numpy()
        shown.loc[small, change] = f"{SUPPRESSED} (a base below {self.min_base})"
        return shown

    def _value(self, value: float, n: int) -> str:
        """One wave's value with its base; suppressed below ``min_base``."""
        return suppressed_note(n, self.min_base) if n < self.min_base else f"{value:.1f} (n={n:,})"

    def caption(self) -> str:
        family = family_note(
            self.correction,
            self.family_size,
            self.family_level,
            self.confidence,
            f"changes {self.last} - {self.previous} in this table",
        )
        who = f" for {self.brand}" if self.brand else ""
        return f"Change {self.last} - {self.previous}{who}. {family}"


@memoised(parts=SURVEY_PARTS)
@dask_aware
def trends(
    study,
    *,
    brand: str | None = "auto",
    weighted: bool = True,
    correction: str = "bonferroni",
    confidence: float = 0.95,
) -> Trends:
    """Every KPI and touchpoint of the brand: the last wave against the previous one.

    ``correction``: ``"bonferroni"`` (default: simultaneous intervals), ``"holm"``
    or ``"fdr_bh"``, across the changes whose bases reach ``min_base``; the
    intervals shown follow it (:func:`cxresearch.stats.family_level`)."""
    check_correction(correction)
    require(study, "trends", "waves", "measures")
    wave = study.codebook.wave
    r = study.responses
    codes, keys = group_codes(r, [wave])
    waves = list(keys[wave])
    previous, last = last_two_waves(waves)
    column = study.codebook.brand_column
    chosen = study.brand if brand == "auto" else brand
    if column is not None and chosen is not None:
        codes = np.where((r[column] == chosen).to_numpy(), codes, -1)
    w = survey_weights(study, r, weighted)
    by_wave = [
        {s["brand"]: s for s in summarise(m, codes, waves, w, confidence)} for m in measures(study)
    ]
    return trend_result(
        study,
        by_wave,
        previous,
        last,
        chosen if column else None,
        correction=correction,
        confidence=confidence,
    )


def check_correction(correction: str) -> None:
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")


def last_two_waves(waves: list[str]) -> tuple[str, str]:
    """The previous and the last wave (in the order of the wave codes), or a
    ValueError when the data hold fewer than two."""
    present = [w for w in waves if w != MISSING_GROUP]
    if len(present) < 2:
        raise ValueError(f"trends need two waves; the study has {len(present)}")
    return present[-2], present[-1]


def trend_result(
    study,
    by_wave: list[dict],
    previous: str,
    last: str,
    brand: str | None,
    *,
    correction: str,
    confidence: float,
) -> Trends:
    """The :class:`Trends` from each measure's summaries by wave (wave -> the dict
    of :func:`~cxresearch.analyses.measures.summarise`), in the order of the
    measures; shared by the in-memory and the Dask engine."""
    z = z_value(confidence)
    rows, pairs = [], []
    for summaries in by_wave:
        a, b = pd.Series(summaries[last]), summaries[previous]
        if a["n"] < 2 or b["n"] < 2:
            continue
        change, low, high, p, test = difference_test(a, _AsRow(b), z, confidence)
        pairs.append((a, _AsRow(b)))
        rows.append(
            {
                "measure": a["measure"],
                "label": a["label"],
                "kind": a["kind"],
                "previous_value": b["value"],
                "previous_n": b["n"],
                "last_value": a["value"],
                "last_n": a["n"],
                "change": change,
                "low": low,
                "high": high,
                "p": p,
                "test": test,
            }
        )
    table = pd.DataFrame(rows)
    table["raw_low"], table["raw_high"] = table["low"], table["high"]
    table["below_min_base"] = (table["previous_n"] < study.codebook.min_base) | (
        table["last_n"] < study.codebook.min_base
    )
    trend = Trends(
        table,
        previous,
        last,
        brand,
        correction,
        study.codebook.min_base,
        confidence,
        pairs=tuple(pairs),
    )
    family = correct_family(
        table["p"].to_numpy(dtype=float),
        trend.intervals_at,
        confidence=confidence,
        method=correction,
        include=~table["below_min_base"],
    )
    table["low"], table["high"] = family.low, family.high
    table["p_adjusted"], table["significant"] = family.p_adjusted, family.significant
    table["family_level"] = family.level
    return replace(trend, family_size=family.size, family_level=family.level)


def _digits(kind: str) -> int:
    """Decimals of a change: two for means on a rating scale, one for shares and NPS."""
    return 2 if kind == "mean" else 1


class _AsRow:
    """A summary dict read with attribute access, as ``difference_test`` reads competitors."""

    def __init__(self, values: dict):
        self.__dict__.update(values)
        self.brand = values["brand"]
