"""cxresearch: customer-experience research with honest uncertainty.

``import cxresearch as cx``, then ``cx.load_study(...)``, ``cx.kpis(...)``,
``cx.make_demo_study(...)``, ``cx.render_report(...)``. Heavy libraries
(matplotlib, seaborn, papermill, nbconvert) are imported where they are used,
not here, so importing the package stays quick.
"""

from importlib.metadata import PackageNotFoundError, version

from .codebook import Codebook, Scale, Touchpoint
from .demo import make_demo_study
from .compare import Comparison, compare
from .drivers import Drivers, drivers
from .errors import StudyError
from .feedback import mask_contacts, quotes, reviews, smileys
from .funnel import Funnel, funnel
from .journey import Journey, journey, loyalty_links
from .operations import Operations, operations
from .gaps import GapTable, gaps
from .io import load_study
from .metrics import ces, csat, kpis, mean_score, nps, share, top_box
from .results import KpiTable
from .segments import Segmentation, assign_segments, for_segment, segment
from .stats import Estimate, kish_effective_n
from .strategy import Strategy, strategy
from .study import Study
from .trends import Trends, trends
from .validate import DataQuality

try:
    __version__ = version("cxresearch")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"


def render_report(study_path, out_dir, parameters=None, **options):
    """Render the HTML report of a study; see :func:`cxresearch.reporting.render_report`."""
    from .reporting import render_report as _render

    return _render(study_path, out_dir, parameters, **options)


__all__ = [
    "Codebook",
    "Strategy",
    "Trends",
    "strategy",
    "trends",
    "Funnel",
    "Journey",
    "Operations",
    "funnel",
    "journey",
    "loyalty_links",
    "mask_contacts",
    "operations",
    "quotes",
    "reviews",
    "smileys",
    "Comparison",
    "compare",
    "Segmentation",
    "assign_segments",
    "for_segment",
    "segment",
    "Drivers",
    "GapTable",
    "drivers",
    "gaps",
    "DataQuality",
    "Estimate",
    "KpiTable",
    "Scale",
    "Study",
    "StudyError",
    "Touchpoint",
    "__version__",
    "ces",
    "csat",
    "kish_effective_n",
    "kpis",
    "load_study",
    "make_demo_study",
    "mean_score",
    "nps",
    "render_report",
    "share",
    "top_box",
]
