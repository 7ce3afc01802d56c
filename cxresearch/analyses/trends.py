"""What moved since the previous wave: every KPI and touchpoint, with the change's
interval and test.

The brand's measures in the last wave are compared with the previous wave
(waves in the order of their labels, e.g. 2026-Q2 < 2026-Q3), with the same
tests as competitor comparisons (:mod:`cxresearch.analyses.measures`: Welch t for means,
two-proportion z with Newcombe's interval for shares, z on the NPS
difference), treating the two waves as independent samples, and Holm's
correction across the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..plots import change_dots
from ..results import Result
from ..stats import adjust_pvalues, z_value
from ..tables import SUPPRESSED, Findings
from ._common import MISSING_GROUP, group_codes, require, survey_weights
from .measures import difference_test, measures, summarise


@dataclass(frozen=True)
class Trends(Result):
    """Result of :func:`trends`: ``table`` has one row per measure: ``previous``
    and ``last`` values with their bases, ``change`` (last - previous) with
    ``low``/``high``, ``p``, ``p_adjusted`` and ``significant``."""

    table: pd.DataFrame
    previous: str
    last: str
    brand: str | None
    correction: str
    min_base: int = 30
    confidence: float = 0.95

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
                f"{row.last_value:.1f} in {self.last} ({row.change:+.1f} [{row.low:+.1f}, "
                f"{row.high:+.1f}]; n={row.previous_n:,} and {row.last_n:,})."
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

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["label"], name="measure"))
        shown[self.previous] = [
            f"{v:.1f} (n={n:,})" for v, n in zip(t["previous_value"], t["previous_n"], strict=True)
        ]
        shown[self.last] = [
            f"{v:.1f} (n={n:,})" for v, n in zip(t["last_value"], t["last_n"], strict=True)
        ]
        change = f"change [{self.interval}]"
        shown[change] = [
            f"{c:+.1f} [{lo:+.1f}, {hi:+.1f}]" + (" *" if s else "")
            for c, lo, hi, s in zip(t["change"], t["low"], t["high"], t["significant"], strict=True)
        ]
        small = ((t["previous_n"] < self.min_base) | (t["last_n"] < self.min_base)).to_numpy()
        shown.loc[small, change] = f"{SUPPRESSED} (a base below {self.min_base})"
        return shown

    def caption(self) -> str:
        return (
            f"Change {self.last} - {self.previous}{' for ' + self.brand if self.brand else ''}; "
            f"* = significant after {self.correction} correction across the table."
        )


def trends(
    study,
    *,
    brand: str | None = "auto",
    weighted: bool = True,
    correction: str = "holm",
    confidence: float = 0.95,
) -> Trends:
    """Every KPI and touchpoint of the brand: the last wave against the previous one."""
    require(study, "trends", "waves", "measures")
    wave = study.codebook.wave
    r = study.responses
    codes, keys = group_codes(r, [wave])
    waves = list(keys[wave])
    waves_present = [w for w in waves if w != MISSING_GROUP]
    if len(waves_present) < 2:
        raise ValueError(f"trends need two waves; the study has {len(waves_present)}")
    previous, last = waves_present[-2], waves_present[-1]
    column = study.codebook.brand_column
    chosen = study.brand if brand == "auto" else brand
    if column is not None and chosen is not None:
        codes = np.where((r[column] == chosen).to_numpy(), codes, -1)
    w = survey_weights(study, r, weighted)
    z = z_value(confidence)
    rows = []
    for m in measures(study):
        by_wave = {s["brand"]: s for s in summarise(m, codes, waves, w, confidence)}
        a, b = pd.Series(by_wave[last]), by_wave[previous]
        if a["n"] < 2 or b["n"] < 2:
            continue
        change, low, high, p, test = difference_test(a, _AsRow(b), z, confidence)
        rows.append(
            {
                "measure": m.key,
                "label": m.label,
                "kind": m.kind,
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
    table["p_adjusted"] = adjust_pvalues(table["p"], correction)
    table["significant"] = table["p_adjusted"] < 1 - confidence
    table["below_min_base"] = (table["previous_n"] < study.codebook.min_base) | (
        table["last_n"] < study.codebook.min_base
    )
    table["significant"] &= ~table["below_min_base"]
    return Trends(
        table,
        previous,
        last,
        chosen if column else None,
        correction,
        study.codebook.min_base,
        confidence,
    )


class _AsRow:
    """A summary dict read with attribute access, as ``difference_test`` reads competitors."""

    def __init__(self, values: dict):
        self.__dict__.update(values)
        self.brand = values["brand"]
