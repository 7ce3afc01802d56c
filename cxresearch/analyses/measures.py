"""What can be compared between brands or waves: every KPI, touchpoint
experience and feedback share of a study as a measure, its per-group
summaries, and the test of a difference between two groups.

Shared by :func:`cxresearch.compare` (brand against competitors) and
:func:`cxresearch.trends` (last wave against the previous one):

- means: Welch's t (Welch 1947), unequal variances;
- shares: the two-proportion z test with the pooled proportion (as
  ``statsmodels.stats.proportion.proportions_ztest``) and Newcombe's hybrid
  score interval for the difference (Newcombe 1998, method 10);
- NPS: a z test on the difference of two independent NPS, with each NPS's
  trinomial variance ``(p_P + p_D - (p_P - p_D)^2) / n`` (Rocks 2016).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._lazy import LazyModule
from ..data.codebook import BinaryItem
from ..metrics import outcome_title, share_title
from ..stats import GroupedSums, nps_interval, t_interval, wilson_interval

_st = LazyModule("scipy.stats")  # loaded when a test is first computed


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    kind: str  # "mean" | "share" | "nps"
    values: np.ndarray | None  # per respondent; None when only the benchmark has it
    lower_is_better: bool = False
    touchpoint: str | None = None
    stage: str | None = None


def measures(study) -> list[Measure]:
    """The KPIs and touchpoint experiences the study can compare."""
    r = study.responses
    out: list[Measure] = []
    for name, item in study.codebook.outcomes.items():
        if isinstance(item, BinaryItem):
            values = r[item.column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            out.append(
                Measure(name, share_title(name, item), "share", values, item.lower_is_better)
            )
            continue
        x = r[item.column].to_numpy(dtype=float)
        if name == "nps":
            out.append(Measure("nps", outcome_title(name, item), "nps", x))
            continue
        title = outcome_title(name, item)
        if name == "ces":  # the share agreeing: above the scale midpoint, as in kpis()
            top, share_label = x > item.scale.midpoint, f"{title} agree %"
        else:
            top, share_label = x >= item.scale.high - 1, f"{title} top-2-box %"
        top = np.where(np.isnan(x), np.nan, top)
        out.append(Measure(f"{name}_share", share_label, "share", top, item.lower_is_better))
        out.append(Measure(name, f"{title} mean", "mean", x, item.lower_is_better))
    for tp in study.codebook.touchpoints:
        if tp.experience is not None:
            x = r[tp.experience.column].to_numpy(dtype=float)
            out.append(Measure(tp.id, tp.label, "mean", x, touchpoint=tp.id, stage=tp.stage))
    out += _feedback_measures(study)
    return out


def _feedback_measures(study) -> list[Measure]:
    """Share of negative records, and of each reason, when the study has feedback."""
    spec = study.codebook.feedback
    if spec is None:
        return []
    sentiment = study.responses[spec.sentiment].astype("string")
    answered = sentiment.notna().to_numpy()
    negative = np.where(answered, sentiment.isin(spec.negative).to_numpy(), np.nan)
    out = [Measure("negative_share", "Negative feedback %", "share", negative, True)]
    if spec.reason is not None:
        reasons = study.responses[spec.reason].astype("string")
        counts = reasons.value_counts()
        for reason in counts[counts >= study.codebook.min_base].index:
            share = np.where(answered, (reasons == reason).fillna(False).to_numpy(), np.nan)
            out.append(
                Measure(
                    f"reason:{reason}",
                    f"Reason: {reason}, % of all records",
                    "share",
                    share,
                    True,
                    touchpoint=spec.touchpoints.get(reason),
                )
            )
    return out


def sum_names(m: Measure) -> tuple[str, ...]:
    """The names of the :class:`~cxresearch.stats.GroupedSums` a measure's summary
    needs (the keys of :func:`measure_sums`): the NPS's promoters and detractors,
    any other measure's own values."""
    return ("promoters", "detractors") if m.kind == "nps" else ("values",)


def measure_sums(m: Measure, codes, w, k: int) -> dict[str, GroupedSums]:
    """The sums a measure's summary needs, per group (``codes`` in ``0..k-1``,
    ``-1`` for rows in no group; ``w`` the survey weights), named as
    :func:`sum_names`. NPS: promoters (``x >= 9``) and detractors (``x <= 6``)
    among the answered rows; else the measure's values. Sums of several parts of
    the data add up field by field to the sums of the whole."""
    if m.kind == "nps":
        valid = ~np.isnan(m.values)
        return {
            "promoters": GroupedSums.of(np.where(valid, m.values >= 9, np.nan), w, codes, k),
            "detractors": GroupedSums.of(np.where(valid, m.values <= 6, np.nan), w, codes, k),
        }
    return {"values": GroupedSums.of(m.values, w, codes, k)}


def summary_rows(m: Measure, sums: dict[str, GroupedSums], groups, confidence: float) -> list[dict]:
    """One row per group of a measure's summary, from its :func:`measure_sums`
    (the only place where sums become estimates, for both engines).

    Each row: ``value`` with its interval ``low``/``high`` (x100 for shares and
    NPS), the base ``n``, Kish's effective base ``n_eff``, the unscaled
    estimate ``p_raw`` and the per-respondent ``variance`` the tests use.

    - mean: weighted mean, t interval on ``n_eff - 1`` df, weighted variance;
    - share: Wilson's score interval (Wilson 1927), variance ``p (1 - p)``;
    - NPS: ``p_P - p_D`` with the adjusted Wald interval, trinomial variance
      ``p_P + p_D - (p_P - p_D)^2`` (Rocks 2016).
    """
    base = {
        "measure": m.key,
        "label": m.label,
        "kind": m.kind,
        "touchpoint": m.touchpoint,
        "stage": m.stage,
        "lower_is_better": m.lower_is_better,
    }
    if m.kind == "nps":
        promoters, detractors = sums["promoters"], sums["detractors"]
        pp, pd_, n_eff = promoters.mean, detractors.mean, promoters.n_eff
        low, high = nps_interval(pp, pd_, n_eff, confidence)
        value, variance = pp - pd_, (pp + pd_ - (pp - pd_) ** 2)
        scale, count = 100, promoters.count
    else:
        values = sums["values"]
        value, n_eff, count = values.mean, values.n_eff, values.count
        if m.kind == "share":
            low, high = wilson_interval(value, n_eff, confidence)
            variance, scale = value * (1 - value), 100
        else:
            variance, scale = values.variance, 1
            low, high = t_interval(value, variance, n_eff, confidence)
    return [
        {
            **base,
            "brand": group,
            "value": scale * value[i],
            "low": scale * low[i],
            "high": scale * high[i],
            "n": int(count[i]),
            "n_eff": n_eff[i],
            "p_raw": value[i],
            "variance": variance[i],
        }
        for i, group in enumerate(groups)
    ]


def summarise(m: Measure, codes, brands, w, confidence) -> list[dict]:
    """A measure's summary rows per group (brand or wave) of an in-memory study:
    :func:`summary_rows` of :func:`measure_sums`."""
    return summary_rows(m, measure_sums(m, codes, w, len(brands)), brands, confidence)


def difference_test(a, b, z: float, confidence: float):
    """Difference a - b with interval, p-value and the test's name."""
    n1, n2 = a["n_eff"], b.n_eff
    if a["kind"] == "mean":
        v1, v2 = a["variance"] / n1, b.variance / n2
        d = a["value"] - b.value
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        t = _st.t.ppf(0.5 + confidence / 2, df)
        return d, d - t * se, d + t * se, float(2 * _st.t.sf(abs(d / se), df)), "Welch t"
    p1, p2 = a["p_raw"], b.p_raw
    if a["kind"] == "share":
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(2 * _st.norm.sf(abs((p1 - p2) / se0))) if se0 > 0 else 1.0
        (l1, u1), (l2, u2) = (
            wilson_interval(p1, n1, confidence),
            wilson_interval(p2, n2, confidence),
        )
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        return 100 * d, 100 * low, 100 * high, p, "two-proportion z (pooled); Newcombe interval"
    d = p1 - p2
    se = np.sqrt(a["variance"] / n1 + b.variance / n2)
    p = float(2 * _st.norm.sf(abs(d / se))) if se > 0 else 1.0
    return 100 * d, 100 * (d - z * se), 100 * (d + z * se), p, "z on the NPS difference"
