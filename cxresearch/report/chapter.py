"""A chapter's set-up in one call, and the parameters every chapter shares.

Every chapter notebook starts the same way: load the study with the report's
overrides (``min_base``, ``brand``), restrict it to one segment when asked,
set the plot theme, and segment the respondents the way every other chapter
does. :func:`open_chapter` does all of it, so the notebooks stay thin and
the chapters (and the index page) agree about the personas: the
segmentation parameters (``k``, ``clustering``, ``features``) are notebook
parameters of every chapter, and :class:`ChapterSettings` carries them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..analyses.clustering import METHODS
from ..analyses.segments import Segmentation, for_segment, segment
from ..data.study import Study, load_study
from ..errors import ParameterError
from ..plots import set_theme


@dataclass(frozen=True)
class ChapterSettings:
    """The report parameters every chapter and the index page share.

    Attributes
    ----------
    min_base, brand : optional
        Override the codebook's minimum base and brand.
    segment : int, optional
        Report on one segment's respondents only.
    random_state : int
        The seed of every random step (segments, bootstraps, quotes).
    k, clustering, features, profile :
        How respondents are segmented, in every chapter alike: the number of
        segments (``"auto"``), the method (``"kmeans"``, ``"gmm"``,
        ``"agglomerative"``), the items (``"auto"``: expectations,
        experiences and emotions) and whether profile columns join them.
    outcome : str, optional
        The report's main outcome, whose drivers and strategy the report shows
        (None: nps, else csat, else loyalty, else the study's first outcome).
    """

    min_base: int | None = None
    brand: str | None = None
    segment: int | None = None
    random_state: int = 0
    k: int | str = "auto"
    clustering: str = "kmeans"
    features: Any = "auto"
    profile: bool = False
    outcome: str | None = None

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> ChapterSettings:
        """The shared settings among a report's parameters (others are ignored)."""
        names = {f.name for f in fields(cls)}
        chosen = {k: v for k, v in parameters.items() if k in names and v is not None}
        return cls(**chosen)

    def check(self) -> None:
        """Raise :class:`ParameterError` for a value no chapter could use, before any
        chapter runs."""
        if self.k != "auto" and not (isinstance(self.k, int) and self.k >= 2):
            raise ParameterError(f"k must be 'auto' or a whole number of 2 or more, not {self.k!r}")
        if self.clustering not in METHODS:
            raise ParameterError(
                f"clustering must be one of {', '.join(METHODS)}, not {self.clustering!r}"
            )
        if self.segment is not None and not isinstance(self.segment, int):
            raise ParameterError(f"segment must be a segment number, not {self.segment!r}")
        if self.min_base is not None and not (
            isinstance(self.min_base, int) and self.min_base >= 1
        ):
            raise ParameterError(
                f"min_base must be a whole number of 1 or more, not {self.min_base!r}"
            )

    def segmentation_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`cxresearch.segment` for these settings."""
        return {
            "k": self.k,
            "method": self.clustering,
            "features": self.features,
            "profile": self.profile,
            "random_state": self.random_state,
        }


def open_study(study: str | Path | Study, settings: ChapterSettings) -> Study:
    """The study as a chapter sees it: loaded (or given), with the settings'
    minimum base and brand, restricted to the settings' segment."""
    if isinstance(study, Study):
        codebook = study.codebook
        codebook = replace(
            codebook,
            min_base=codebook.min_base if settings.min_base is None else int(settings.min_base),
            brand=codebook.brand if settings.brand is None else str(settings.brand),
        )
        study = replace(study, codebook=codebook)
    else:
        study = load_study(study, min_base=settings.min_base, brand=settings.brand)
    options = settings.segmentation_options()
    random_state = options.pop("random_state")
    try:
        return for_segment(study, settings.segment, random_state=random_state, **options)
    except KeyError as exc:  # no such segment: a parameter the user can fix
        raise ParameterError(exc.args[0]) from None


@dataclass(frozen=True)
class OpenChapter:
    """What a chapter works with: the ``study`` and the shared ``settings``."""

    study: Study
    settings: ChapterSettings

    def segmentation(self, n_boot: int = 20) -> Segmentation:
        """The respondents' segments with the report's segmentation settings
        (the same labels in every chapter; ``n_boot`` refits only measure
        their stability)."""
        return segment(self.study, n_boot=n_boot, **self.settings.segmentation_options())


def open_chapter(
    study: str | Path | Study,
    *,
    min_base: int | None = None,
    brand: str | None = None,
    segment: int | None = None,
    random_state: int = 0,
    k: int | str = "auto",
    clustering: str = "kmeans",
    features: Any = "auto",
    profile: bool = False,
    outcome: str | None = None,
) -> OpenChapter:
    """Set up a chapter: load the study with the report's parameters, restrict it
    to a segment when asked, and set the plot theme.

    A notebook's first code cell::

        chapter = cx.open_chapter(study, min_base=min_base, brand=brand, segment=segment,
                                  random_state=random_state, k=k, clustering=clustering,
                                  features=features, profile=profile)
        study = chapter.study
    """
    settings = ChapterSettings(
        min_base, brand, segment, random_state, k, clustering, features, profile, outcome
    )
    settings.check()
    set_theme()
    return OpenChapter(open_study(study, settings), settings)
