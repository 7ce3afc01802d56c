"""The analyses: a :class:`~cxresearch.data.Study` in, a result out.

One module per analysis; each function takes the study first and
keyword-only options after (``brand="auto"``, ``confidence=0.95``,
``segments=`` a Segmentation or labels), and returns a frozen dataclass that
honours the result contract of :mod:`cxresearch.results`.
"""

from . import on_dask  # noqa: F401  (registers the Dask versions)
from .banner import Banner, banner
from .compare import Comparison, compare
from .drivers import Drivers, drivers
from .feedback import Reviews, Smileys, reviews, smileys
from .funnel import Funnel, funnel
from .gaps import GapTable, gaps
from .journey import Journey, journey
from .kpis import KpiTable, kpis
from .loyalty import LoyaltyLinks, loyalty_links
from .operations import Operations, operations
from .quotes import Quotes, mask_contacts, quotes
from .scorecard import Scorecard, scorecard
from .segments import Segmentation, assign_segments, for_segment, segment
from .strategy import Strategy, strategy
from .text import (
    FollowUp,
    Sentiment,
    ThemeDrivers,
    Themes,
    detect_languages,
    fightin_words,
    follow_up,
    sentiment,
    theme_drivers,
    themes,
)
from .trends import Trends, trends

__all__ = [
    "Banner",
    "banner",
    "Comparison",
    "Drivers",
    "Funnel",
    "GapTable",
    "Journey",
    "KpiTable",
    "LoyaltyLinks",
    "Operations",
    "Quotes",
    "Scorecard",
    "Reviews",
    "Segmentation",
    "Smileys",
    "Strategy",
    "Trends",
    "FollowUp",
    "Sentiment",
    "ThemeDrivers",
    "Themes",
    "assign_segments",
    "compare",
    "drivers",
    "for_segment",
    "funnel",
    "gaps",
    "journey",
    "kpis",
    "loyalty_links",
    "mask_contacts",
    "operations",
    "quotes",
    "reviews",
    "scorecard",
    "segment",
    "smileys",
    "strategy",
    "trends",
    "detect_languages",
    "fightin_words",
    "follow_up",
    "sentiment",
    "theme_drivers",
    "themes",
]
