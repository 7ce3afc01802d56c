"""From experience to business outcomes: retention, referral and repurchase
intention of promoters, passives and detractors (and of each segment).

Customers are grouped by their likelihood to recommend (promoter 9-10,
passive 7-8, detractor 0-6; Reichheld 2003) and the business KPIs of the
codebook (``retained``, ``referral``, ``loyalty``) are computed per group
with their intervals (:func:`cxresearch.kpis`). A promoter who stays and
refers more than a detractor is the business case for better experiences.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..plots import estimate_dots
from ..results import Result
from ..tables import Findings, html_table
from ._common import require, segment_labels
from ._engine import dask_aware
from .kpis import KpiTable, kpis

BUSINESS_KPIS = ("retained", "referral", "loyalty")
NPS_GROUPS = ("detractor", "passive", "promoter")


@dataclass(frozen=True)
class LoyaltyLinks(Result):
    """Result of :func:`loyalty_links`: the business KPIs ``by_nps_group``
    (a :class:`KpiTable`) and ``by_segment`` (None without segments).
    ``table`` stacks both, with ``grouping`` ("nps_group" or "segment")."""

    by_nps_group: KpiTable
    by_segment: KpiTable | None
    brand: str | None
    min_base: int
    confidence: float = 0.95

    @property
    def table(self) -> pd.DataFrame:
        parts = [self.by_nps_group.table.assign(grouping="nps_group")]
        if self.by_segment is not None:
            parts.append(self.by_segment.table.assign(grouping="segment"))
        return pd.concat(parts, ignore_index=True)

    def display(self) -> pd.DataFrame:
        return self.by_nps_group.display()

    def findings(self, top: int = 3) -> Findings:
        """Per business KPI: promoters against detractors."""
        t = self.by_nps_group.table
        lines = []
        for statistic in self.by_nps_group.statistics()[:top]:
            rows = t[(t["statistic"] == statistic) & ~t["below_min_base"]].set_index("nps_group")
            if not {"promoter", "detractor"} <= set(rows.index):
                continue
            p, d = rows.loc["promoter"], rows.loc["detractor"]
            lines.append(
                f"{statistic}: promoters {p['value']:.1f} [{p['low']:.1f}, {p['high']:.1f}] "
                f"(n={int(p['n']):,}) against detractors {d['value']:.1f} "
                f"[{d['low']:.1f}, {d['high']:.1f}] (n={int(d['n']):,})."
            )
        return Findings(tuple(lines), "No business KPI with a base large enough by NPS group.")

    def __iter__(self):
        """Unpack as ``by_nps_group, by_segment`` (the tuple of 0.1)."""
        return iter((self.by_nps_group, self.by_segment))

    def plot(self, ax=None, statistic: str | None = None):
        """One business KPI (default: the first) for detractors, passives and promoters
        (``plot("Retention rate %")`` works too)."""
        if isinstance(ax, str):
            ax, statistic = statistic, ax
        statistic = statistic or self.by_nps_group.statistics()[0]
        return estimate_dots(
            self.by_nps_group.table,
            statistic,
            ["nps_group"],
            self.min_base,
            ax=ax,
            confidence=self.confidence,
        )

    def caption(self) -> str:
        return f"Business KPIs by NPS group: value [{self.interval}] and base n."

    def _repr_html_(self) -> str:
        html = html_table(self.display(), self.min_base, self.caption())
        if self.by_segment is not None:
            html += self.by_segment._repr_html_()
        return html


@dask_aware
def loyalty_links(
    study, *, segments=None, brand: str | None = "auto", confidence: float = 0.95
) -> LoyaltyLinks:
    """Retention, referral and repurchase intention by NPS group, and by segment.

    Parameters
    ----------
    study : Study
        Needs an ``nps`` outcome and at least one of ``retained``,
        ``referral`` or ``loyalty``.
    segments : Segmentation or Series, optional
        Also give the business KPIs per segment.
    brand : str or None
        ``"auto"``: the study's brand's customers (when the study rates
        several brands); a brand; None: every respondent.
    """
    require(study, "the loyalty links", "loyalty")
    business = [k for k in BUSINESS_KPIS if k in study.codebook.outcomes]
    scores = study.outcome("nps")
    group = pd.cut(scores, [-0.5, 6.5, 8.5, 10.5], labels=list(NPS_GROUPS))
    responses = study.responses.assign(nps_group=group)
    labels = segment_labels(segments)
    if labels is not None:
        responses = responses.assign(segment=labels.reindex(responses.index).astype("category"))
    linked = replace(study, responses=responses)
    rows, chosen = linked.brand_rows(brand)
    linked = replace(linked, responses=rows)
    by_group = _business_only(kpis(linked, by="nps_group", confidence=confidence), business)
    by_segment = None
    if labels is not None:
        by_segment = _business_only(kpis(linked, by="segment", confidence=confidence), business)
    return LoyaltyLinks(by_group, by_segment, chosen, study.codebook.min_base, confidence)


def _business_only(result: KpiTable, business: list[str]) -> KpiTable:
    table = result.table[result.table["kpi"].isin(business)].reset_index(drop=True)
    return replace(result, table=table)
