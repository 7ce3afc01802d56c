"""cxresearch: customer-experience research with honest uncertainty.

``import cxresearch as cx``, then ``cx.load_study(...)``, ``cx.kpis(...)``,
``cx.make_demo_study(...)``, ``cx.render_report(...)``. This module only
re-exports; the layers below it, lowest first, are :mod:`.errors`,
:mod:`.data` (files to a Study), :mod:`.stats`/:mod:`.importance`/
:mod:`.metrics` (numbers), :mod:`.tables`/:mod:`.results`/:mod:`.plots`
(showing), :mod:`.analyses` (Study in, result out), then :mod:`.demo` and
:mod:`.report`. matplotlib, seaborn, papermill and nbconvert are imported
where they are used, so importing the package stays quick.
"""

from . import cache
from ._version import __version__
from .analyses import (
    Banner,
    Comparison,
    Drivers,
    Funnel,
    GapTable,
    Journey,
    KpiTable,
    LoyaltyLinks,
    Operations,
    Quotes,
    Reviews,
    Scorecard,
    Segmentation,
    Smileys,
    Strategy,
    Trends,
    assign_segments,
    banner,
    compare,
    drivers,
    for_segment,
    funnel,
    gaps,
    journey,
    kpis,
    loyalty_links,
    mask_contacts,
    operations,
    quotes,
    reviews,
    scorecard,
    segment,
    smileys,
    strategy,
    trends,
)
from .cache import set_cache, use_cache
from .data import Codebook, DataQuality, Scale, Study, Touchpoint, load_study
from .demo import make_demo_study
from .errors import CxError, OutputFolderError, ParameterError, ReportError, StudyError
from .metrics import ces, csat, mean_score, nps, share, top_box
from .report import (
    ChapterSettings,
    deliverables,
    open_chapter,
    render_report,
    write_deck,
    write_pdf,
    write_workbook,
)
from .results import Result
from .stats import Estimate, kish_effective_n
from .tables import Findings

__all__ = [
    "deliverables",
    "write_deck",
    "write_pdf",
    "write_workbook",
    "Banner",
    "banner",
    "cache",
    "set_cache",
    "use_cache",
    "ChapterSettings",
    "Codebook",
    "Comparison",
    "CxError",
    "DataQuality",
    "Drivers",
    "Estimate",
    "Findings",
    "Funnel",
    "GapTable",
    "Journey",
    "KpiTable",
    "LoyaltyLinks",
    "Operations",
    "OutputFolderError",
    "ParameterError",
    "Quotes",
    "ReportError",
    "Result",
    "Reviews",
    "Scorecard",
    "Scale",
    "Segmentation",
    "Smileys",
    "Strategy",
    "Study",
    "StudyError",
    "Touchpoint",
    "Trends",
    "__version__",
    "assign_segments",
    "ces",
    "compare",
    "csat",
    "drivers",
    "for_segment",
    "funnel",
    "gaps",
    "journey",
    "kish_effective_n",
    "kpis",
    "load_study",
    "loyalty_links",
    "make_demo_study",
    "mask_contacts",
    "mean_score",
    "nps",
    "open_chapter",
    "operations",
    "quotes",
    "render_report",
    "reviews",
    "scorecard",
    "segment",
    "share",
    "smileys",
    "strategy",
    "top_box",
    "trends",
]
