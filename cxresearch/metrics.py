"""CX metrics with intervals: NPS, CSAT, CES, top-box shares and means, on arrays.

Each metric is computed from grouped sufficient statistics
(:class:`~cxresearch.stats.GroupedSums`), so a KPI table over a million
respondents (:func:`cxresearch.analyses.kpis.kpis`) is a handful of
``numpy.bincount`` passes, and the scalar functions here (:func:`nps`,
:func:`csat`, ...) are the one-group case of the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data.codebook import BinaryItem, ScaleItem
from .stats import (
    Estimate,
    GroupedAnswers,
    Groups,
    nps_interval,
    t_interval,
    wilson_interval,
)

NPS_METHOD = "adjusted Wald (Rocks 2016)"
SHARE_METHOD = "Wilson score (Wilson 1927)"
MEAN_METHOD = "Student t"


# -- grouped statistics: one row per group ------------------------------------
# Each takes one variable's answers in groups (:class:`~cxresearch.stats.GroupedAnswers`:
# the sums every statistic of the variable shares are computed once) and returns
# (value, low, high, n, n_eff), one array each, one entry per group.
def _nps_stats(answers: GroupedAnswers, confidence: float):
    promoters = answers.share(answers.values >= 9)
    detractors = answers.share(answers.values <= 6)
    p, d, n_eff = promoters.mean, detractors.mean, promoters.n_eff
    low, high = nps_interval(p, d, n_eff, confidence)
    return 100 * (p - d), 100 * low, 100 * high, promoters.count, n_eff


def _share_stats(answers: GroupedAnswers, confidence: float, condition: np.ndarray):
    """The share (%) of the answers meeting ``condition``, with its Wilson interval."""
    sums = answers.share(condition)
    low, high = wilson_interval(sums.mean, sums.n_eff, confidence)
    return 100 * sums.mean, 100 * low, 100 * high, sums.count, sums.n_eff


def _yes_share_stats(answers: GroupedAnswers, confidence: float):
    """The share of yes (1) among yes/no answers (1/0)."""
    return _share_stats(answers, confidence, answers.values == 1)


def _mean_stats(answers: GroupedAnswers, confidence: float):
    sums = answers.sums()
    low, high = t_interval(sums.mean, sums.variance, sums.n_eff, confidence)
    return sums.mean, low, high, sums.count, sums.n_eff


@dataclass(frozen=True)
class _Statistic:
    """One KPI statistic: how to compute it from an item's values."""

    kpi: str
    name: str
    method: str
    compute: Callable


def outcome_title(name: str, item: ScaleItem | BinaryItem) -> str:
    """How reports name an outcome: its codebook ``label:``, else from its name.

    >>> outcome_title("csat", ScaleItem("sat", None))
    'CSAT'
    >>> outcome_title("on_time", BinaryItem("flag"))
    'On time'
    """
    if item.label:
        return item.label
    known = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "loyalty": "Loyalty"}
    return known.get(name, name.replace("_", " ").capitalize())


def share_title(name: str, item: BinaryItem) -> str:
    """The name of a yes/no outcome's share: "Retention rate %", "On time %"."""
    if item.label:
        return f"{item.label} %"
    known = {"retained": "Retention rate %", "referral": "Referral rate %"}
    return known.get(name, f"{outcome_title(name, item)} %")


def outcome_name(name: str, item: ScaleItem | BinaryItem) -> str:
    """An outcome in a sentence: "NPS", "CSAT", "Retention rate", "Satisfied passengers".

    >>> outcome_name("retained", BinaryItem("stayed"))
    'Retention rate'
    """
    if isinstance(item, BinaryItem):
        return share_title(name, item).removesuffix(" %")
    return outcome_title(name, item)


def statistics_for(kpi: str, item: ScaleItem | BinaryItem) -> list[_Statistic]:
    """The statistics of an outcome in the KPI table, in their order."""
    label = outcome_title(kpi, item)
    if isinstance(item, BinaryItem):
        return [_Statistic(kpi, share_title(kpi, item), SHARE_METHOD, _yes_share_stats)]
    if kpi == "nps":
        return [_Statistic(kpi, label, NPS_METHOD, _nps_stats)]
    scale = item.scale
    top2 = _Statistic(
        kpi,
        f"{label} top-2-box %",
        SHARE_METHOD,
        lambda a, confidence: _share_stats(a, confidence, a.values >= scale.high - 1),
    )
    agree = _Statistic(
        kpi,
        f"{label} agree %",
        SHARE_METHOD,
        lambda a, confidence: _share_stats(a, confidence, a.values > scale.midpoint),
    )
    mean = _Statistic(kpi, f"{label} mean", MEAN_METHOD, _mean_stats)
    return [mean, agree] if kpi == "ces" else [top2, mean]


# -- scalar metrics ------------------------------------------------------------
def _one_group(statistic: _Statistic, values, weights, confidence: float) -> Estimate:
    values = np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=float)
    weighted = weights is not None
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != values.shape:
        raise ValueError(f"{len(w)} weights for {len(values)} scores")
    if weighted and (np.any(~np.isfinite(w)) or np.any(w <= 0)):
        raise ValueError("weights must be positive and finite")
    groups = Groups(np.zeros(len(values), dtype=np.intp), 1, w if weighted else None)
    value, low, high, n, n_eff = statistic.compute(groups.answers(values), confidence)
    method = statistic.method + (", weighted (Kish effective n)" if weighted else "")
    return Estimate(
        float(value[0]),
        float(low[0]),
        float(high[0]),
        int(n[0]),
        method,
        float(n_eff[0]),
        confidence,
    )


def _check_scale(values, low: float, high: float, what: str) -> None:
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=float)
    x = x[~np.isnan(x)]
    if np.any((x < low) | (x > high)):
        raise ValueError(f"{what} scores must lie within {low:g}-{high:g}")


def nps(scores, weights=None, confidence: float = 0.95) -> Estimate:
    """Net Promoter Score with its adjusted Wald interval.

    ``NPS = 100 * (share of promoters (9-10) - share of detractors (0-6))``
    on the 0-10 likelihood-to-recommend scale (Reichheld 2003, "The one
    number you need to grow", HBR). Missing scores (NaN) are ignored; the base
    ``n`` counts the answers. With ``weights``, shares are weighted and the
    interval uses Kish's effective n.

    Interval: :func:`cxresearch.stats.nps_interval` (Rocks 2016).

    Examples
    --------
    Five promoters and three detractors of ten: NPS = 50% - 30% = 20, and
    the adjusted Wald interval (5.75 and 3.75 of 13) runs from -30.3 to 61.1:

    >>> str(nps([10, 9, 8, 7, 6, 3, 10, 10, 9, 0]))
    '20.0 [-30.3, 61.1] (n=10)'
    """
    _check_scale(scores, 0, 10, "NPS")
    return _one_group(_Statistic("nps", "NPS", NPS_METHOD, _nps_stats), scores, weights, confidence)


def top_box(
    scores, scale: Sequence[float], boxes: int = 2, weights=None, confidence: float = 0.95
) -> Estimate:
    """Share (%) of answers in the top ``boxes`` points of ``scale``, Wilson interval.

    E.g. top-2-box on 1-5 counts 4 and 5. The scale is the codebook's, never assumed.

    >>> round(top_box([5, 4, 3, 2, 5], scale=(1, 5)).value, 1)
    60.0
    """
    low, high = scale
    _check_scale(scores, low, high, "top-box")
    threshold = high - (boxes - 1)
    stat = _Statistic(
        "top_box",
        f"top-{boxes}-box %",
        SHARE_METHOD,
        lambda a, confidence: _share_stats(a, confidence, a.values >= threshold),
    )
    return _one_group(stat, scores, weights, confidence)


def mean_score(scores, weights=None, confidence: float = 0.95) -> Estimate:
    """Mean with its Student t interval (``n_eff - 1`` degrees of freedom when weighted)."""
    return _one_group(
        _Statistic("mean", "mean", MEAN_METHOD, _mean_stats), scores, weights, confidence
    )


def share(flags, weights=None, confidence: float = 0.95) -> Estimate:
    """Share (%) of true values (retention, referral) with its Wilson interval."""
    values = (
        pd.Series(flags, dtype="boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    )
    stat = _Statistic("share", "share %", SHARE_METHOD, _yes_share_stats)
    return _one_group(stat, values, weights, confidence)


def csat(
    scores,
    scale: Sequence[float] = (1, 5),
    weights=None,
    stat: str = "top2",
    confidence: float = 0.95,
) -> Estimate:
    """Customer satisfaction: top-2-box share in % (``stat="top2"``, Wilson
    interval) or the mean score (``stat="mean"``, t interval)."""
    if stat == "top2":
        return top_box(scores, scale, 2, weights, confidence)
    if stat == "mean":
        _check_scale(scores, *scale, "CSAT")
        return mean_score(scores, weights, confidence)
    raise ValueError(f"stat must be 'top2' or 'mean', not {stat!r}")


def ces(
    scores,
    scale: Sequence[float] = (1, 7),
    weights=None,
    stat: str = "mean",
    confidence: float = 0.95,
) -> Estimate:
    """Customer effort score ("the company made it easy"): the mean (``stat="mean"``)
    or the share agreeing, above the scale midpoint (5-7 on 1-7; ``stat="agree"``).

    Dixon, Freeman & Toman (2010), "Stop trying to delight your customers", HBR.
    """
    _check_scale(scores, *scale, "CES")
    if stat == "mean":
        return mean_score(scores, weights, confidence)
    if stat == "agree":
        midpoint = (scale[0] + scale[1]) / 2
        values = np.asarray(scores, dtype=float)
        return share(pd.Series(values > midpoint).mask(np.isnan(values)), weights, confidence)
    raise ValueError(f"stat must be 'mean' or 'agree', not {stat!r}")
