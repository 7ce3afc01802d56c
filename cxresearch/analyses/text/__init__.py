"""What customers write: sentiment, themes, theme drivers and follow-up, offline,
in Polish, Russian, Bulgarian, Romanian and English (see :mod:`.language`)."""

from .comments import has_comments
from .followup import FollowUp, follow_up
from .language import LANGUAGES, detect_languages
from .sentiment import Sentiment, sentiment
from .theme_drivers import ThemeDrivers, fightin_words, theme_drivers
from .themes import Themes, themes

__all__ = [
    "LANGUAGES",
    "FollowUp",
    "Sentiment",
    "ThemeDrivers",
    "Themes",
    "detect_languages",
    "fightin_words",
    "follow_up",
    "has_comments",
    "sentiment",
    "theme_drivers",
    "themes",
]
