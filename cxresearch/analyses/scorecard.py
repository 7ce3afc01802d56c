"""The scorecard: every rated item of the study, the first table a researcher reads.

For each scale item (outcomes, and each touchpoint's experience, expectation,
emotion and stated importance) and each yes/no outcome: the base, the mean
with its t interval, the top-2-box share with its Wilson interval (for a
yes/no item: the share of "yes"), and the full distribution over the scale
points; by brand, wave or profile group when asked. Weighted data use
Kish's effective n, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.codebook import ITEM_KINDS, BinaryItem
from ..metrics import outcome_title
from ..plots import distribution_bars
from ..results import Result
from ..stats import GroupedSums, t_interval, wilson_interval
from ..tables import Findings, suppressed_note
from ._common import as_list, group_codes, survey_weights
from ._engine import dask_aware


@dataclass(frozen=True)
class Scorecard(Result):
    """Result of :func:`scorecard`. ``table``: one row per item (and group):
    ``item`` (the column), ``label``, ``kind`` (outcome, experience, ...),
    ``touchpoint``, ``scale``, ``n``, ``mean`` with ``mean_low``/``mean_high``,
    ``top2`` (% in the top two points, or % yes) with ``top2_low``/``top2_high``,
    ``below_min_base``. ``distribution``: per item (and group) and scale point,
    the share (%) of answers."""

    table: pd.DataFrame
    distribution: pd.DataFrame
    by: tuple[str, ...]
    min_base: int
    weighted: bool
    confidence: float = 0.95

    def display(self) -> pd.DataFrame:
        t = self.table
        if t.empty:
            return pd.DataFrame(index=pd.Index([], name="label"))
        index = [*self.by, "label"]
        shown = pd.DataFrame(index=pd.MultiIndex.from_frame(t[index].astype(str)))
        shown["scale"] = t["scale"].to_numpy()
        shown["n"] = t["n"].map("{:,}".format).to_numpy()
        shown[f"mean [{self.interval}]"] = [
            "-" if np.isnan(m) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]"
            for m, lo, hi in zip(t["mean"], t["mean_low"], t["mean_high"], strict=True)
        ]
        shown[f"top-2-box or yes % [{self.interval}]"] = [
            "-" if np.isnan(p) else f"{p:.1f} [{lo:.1f}, {hi:.1f}]"
            for p, lo, hi in zip(t["top2"], t["top2_low"], t["top2_high"], strict=True)
        ]
        small = t["below_min_base"].to_numpy()
        for column in shown.columns[2:]:
            shown.loc[small, column] = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        return shown

    def findings(self, top: int = 3) -> Findings:
        """The lowest-rated experiences (by their mean, bases large enough)."""
        if self.table.empty:
            return Findings((), "The study has no rated items.")
        t = self.table[(self.table["kind"] == "experience") & ~self.table["below_min_base"]]
        lines = []
        for r in t.nsmallest(top, "mean").to_dict("records"):
            group = "".join(f"{r[c]}, " for c in self.by)
            lines.append(
                f"{group}{r['label']}: mean {r['mean']:.2f} [{r['mean_low']:.2f}, "
                f"{r['mean_high']:.2f}] on {r['scale']}, {r['top2']:.0f}% in the top two "
                f"points (n={r['n']:,})."
            )
        return Findings(tuple(lines), "No experience item with a base large enough.")

    def plot(self, ax=None):
        """The distribution of every item's answers as 100% stacked bars."""
        return distribution_bars(self, ax=ax)

    def caption(self) -> str:
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        return (
            f"Every rated item: mean with its t {self.interval}, top-2-box (or yes) share "
            f"with its Wilson {self.interval}; base n; {weighting}."
        )

    def _repr_html_(self) -> str:
        if self.table.empty:
            return "<p class='cx-note'>The study has no rated items.</p>"
        return super()._repr_html_()


def rated_items(study) -> list[dict]:
    """Every rated item of the codebook: outcomes first, then each touchpoint's items."""
    items = [
        {"item": i.column, "label": outcome_title(name, i), "kind": "outcome",
         "touchpoint": None, "spec": i}
        for name, i in study.codebook.outcomes.items()
    ]  # fmt: skip
    for tp in study.codebook.touchpoints:
        for kind in ITEM_KINDS:
            spec = getattr(tp, kind)
            if spec is not None:
                items.append(
                    {"item": spec.column, "label": f"{tp.label}: {kind}", "kind": kind,
                     "touchpoint": tp.id, "spec": spec}
                )  # fmt: skip
    return items


@dask_aware
def scorecard(
    study,
    *,
    by=None,
    brand: str | None = "auto",
    weighted: bool = True,
    confidence: float = 0.95,
) -> Scorecard:
    """Every rated item: base, mean, top-2-box and distribution, with intervals.

    Parameters
    ----------
    study : Study
    by : str or list of str, optional
        ``"brand"``, ``"wave"``, a profile column, or several (then every brand
        is shown: ``brand`` applies only without a brand grouping).
    brand : str or None
        ``"auto"``: the study's brand's customers; a brand; None: everyone.

    Notes
    -----
    Mean: weighted mean with the t interval on Kish's effective n. Top-2-box:
    the share of answers in the two highest points of the item's scale (for
    NPS, 9-10: the promoters), Wilson interval on the effective n.
    """
    columns = [study.resolve_column(b) for b in as_list(by)]
    rows, _ = study.brand_rows(chosen_brand(study, columns, brand))
    codes, keys = group_codes(rows, columns)
    w = survey_weights(study, rows, weighted)
    sums = [item_sums(rows[spec["spec"].column], spec["spec"], codes, len(keys), w)
            for spec in rated_items(study)]  # fmt: skip
    return scorecard_result(study, keys, columns, sums, weighted=weighted, confidence=confidence)


def chosen_brand(study, columns: list[str], brand: str | None) -> str | None:
    """The brand whose respondents the scorecard takes (None: everyone): nobody is
    left out when the rows are grouped by brand or the study has no brand column;
    ``"auto"`` is the study's brand."""
    column = study.codebook.brand_column
    if column is None or column in columns:
        return None
    return study.brand if brand == "auto" else brand


SUMS = ("count", "sw", "sw2", "swx", "swx2")
"""The fields of :class:`~cxresearch.stats.GroupedSums`, as :func:`item_sums` names them."""


def scale_points(item) -> np.ndarray:
    """The points of an item's scale (0 and 1 for a yes/no item)."""
    if isinstance(item, BinaryItem):
        return np.array([0.0, 1.0])
    return np.arange(item.scale.low, item.scale.high + 1)


def item_sums(values: pd.Series, item, codes: np.ndarray, k: int, w: np.ndarray) -> dict:
    """One item's sums per group, all of which add up over partitions of the rows:
    ``x|count``, ``x|sw``, ... (:class:`~cxresearch.stats.GroupedSums` of the
    answers), ``top|...`` (of the top-2 indicator, 1 when the answer is in the two
    highest points; scale items only) and ``points`` (``k x points``: the weighted
    count of answers at each scale point)."""
    binary = isinstance(item, BinaryItem)
    x = (
        values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if binary
        else values.to_numpy(dtype=float)
    )
    points = scale_points(item)
    out = _named("x", GroupedSums.of(x, w, codes, k))
    if not binary:
        top = np.where(np.isnan(x), np.nan, x >= points[-2])
        out |= _named("top", GroupedSums.of(top, w, codes, k))
    answered = ~np.isnan(x)
    at = [answered & (x == point) for point in points]
    out["points"] = np.stack([np.bincount(codes[hit], w[hit], minlength=k) for hit in at], 1)
    return out


def _named(prefix: str, sums: GroupedSums) -> dict:
    return {f"{prefix}|{field}": getattr(sums, field) for field in SUMS}


def _grouped(sums: dict, prefix: str) -> GroupedSums:
    return GroupedSums(*(sums[f"{prefix}|{field}"] for field in SUMS))


def scorecard_result(
    study, keys: pd.DataFrame, columns: list[str], sums: list[dict], *, weighted: bool,
    confidence: float,
) -> Scorecard:  # fmt: skip
    """The :class:`Scorecard` from each rated item's :func:`item_sums` (in the
    order of :func:`rated_items`) over groups ``keys``: the one builder of both
    engines.

    Mean: ``swx / sw`` with the t interval on Kish's ``n_eff = sw^2 / sw2``;
    top-2-box: the mean of the top-2 indicator (of the answer, for yes/no), Wilson
    interval on ``n_eff``; distribution: each point's weighted count over ``sw``.
    """
    k = len(keys)
    parts, distributions = [], []
    for spec, found in zip(rated_items(study), sums, strict=True):
        item = spec["spec"]
        answers = _grouped(found, "x")
        if isinstance(item, BinaryItem):
            scale, top = "yes/no", answers.mean
            mean = low_m = high_m = np.full(k, np.nan)
        else:
            scale, top = str(item.scale), _grouped(found, "top").mean
            mean = answers.mean
            low_m, high_m = t_interval(mean, answers.variance, answers.n_eff, confidence)
        low_t, high_t = wilson_interval(top, answers.n_eff, confidence)
        part = keys.copy() if columns else pd.DataFrame(index=range(k))
        for name in ("item", "label", "kind", "touchpoint"):
            part[name] = spec[name]
        part["scale"] = scale
        part["n"] = answers.count.astype(int)
        part["mean"], part["mean_low"], part["mean_high"] = mean, low_m, high_m
        part["top2"], part["top2_low"], part["top2_high"] = 100 * top, 100 * low_t, 100 * high_t
        parts.append(part)
        distributions.append(_distribution(found["points"], answers.sw, keys, columns, item, spec))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not table.empty:
        table["below_min_base"] = table["n"] < study.codebook.min_base
    distribution = pd.concat(distributions, ignore_index=True) if distributions else pd.DataFrame()
    return Scorecard(
        table,
        distribution,
        tuple(columns),
        study.codebook.min_base,
        weighted and study.codebook.weight is not None,
        confidence,
    )


def _distribution(at_points, total, keys, columns, item, spec) -> pd.DataFrame:
    """Weighted share (%) of each scale point per group: a row per point and group
    (points outer, groups inner), from the points' weighted counts (``k x points``)
    and the groups' answered weights ``total``."""
    k = len(keys)
    points = scale_points(item)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100 * at_points / total[:, None]
    repeat = np.tile(np.arange(k), len(points))
    part = keys.iloc[repeat].reset_index(drop=True) if columns else pd.DataFrame(index=repeat)
    part = part.reset_index(drop=True)
    part["item"], part["label"] = spec["item"], spec["label"]
    part["value"] = np.repeat(points.astype(float), k)
    part["share"] = share.T.reshape(-1)
    return part
