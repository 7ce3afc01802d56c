"""The demo study: synthetic, seeded, with a planted and known truth.

:func:`make_demo_study` writes the study (the embedded default of
``make report``); :mod:`.planted` holds the truth it is drawn from.
"""

from .study import make_demo_study

__all__ = ["make_demo_study"]
