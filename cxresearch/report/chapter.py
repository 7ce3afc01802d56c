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

from ..analyses._engine import on_dask
from ..analyses.clustering import METHODS
from ..analyses.segments import Segmentation, feature_columns, for_segment, segment
from ..data.study import Study, load_study
from ..errors import ParameterError
from ..plots import set_theme
from ..stats import CORRECTIONS
from ..tables import Findings
from .engines import memory_note, runs

MAX_K = 20
"""The most segments a report shows: beyond it, personas are too many to read."""
MAX_SEED = 2**32 - 1
"""The largest seed numpy's generators take."""
MAX_BOOT = 10_000
"""The most bootstrap resamples a chapter runs: beyond it intervals barely move
while a report takes hours."""


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
    centre : str, optional
        ``"respondent"``: segment on each respondent's own profile (ratings
        minus the respondent's mean), which removes a halo; None: as rated.
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
    centre: str | None = None

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> ChapterSettings:
        """The shared settings among a report's parameters (others are ignored)."""
        names = {f.name for f in fields(cls)}
        chosen = {k: v for k, v in parameters.items() if k in names and v is not None}
        return cls(**chosen)

    def check(self) -> None:
        """Raise :class:`ParameterError` for a value no chapter could use (a wrong
        type, a number out of range), before any chapter runs."""
        if self.k != "auto":
            _whole("k", self.k, 2, MAX_K, "'auto' or a whole number")
        if self.clustering not in METHODS:
            raise ParameterError(
                f"clustering must be one of {', '.join(METHODS)}, not {self.clustering!r}"
            )
        _whole("segment", self.segment, 1, None, "a segment number")
        _whole("min_base", self.min_base, 1, None, "a whole number")
        _whole("random_state", self.random_state, 0, MAX_SEED, "a seed, a whole number")
        if self.brand is not None and not isinstance(self.brand, str | int):
            raise ParameterError(f"brand must be a brand's name, not {self.brand!r}")
        if not isinstance(self.profile, bool):
            raise ParameterError(f"profile must be true or false, not {self.profile!r}")
        if self.centre not in CENTRES:
            raise ParameterError(f"centre must be none or 'respondent', not {self.centre!r}")
        if self.outcome is not None and not isinstance(self.outcome, str):
            raise ParameterError(f"outcome must be an outcome's name, not {self.outcome!r}")
        features = [self.features] if isinstance(self.features, str) else self.features
        if not isinstance(features, list | tuple) or not all(isinstance(f, str) for f in features):
            raise ParameterError(
                "features must be 'auto', a kind (expectation, experience, emotion) "
                f"or column names, not {self.features!r}"
            )

    def check_against(self, study: Study) -> None:
        """Raise :class:`ParameterError` for a value this study cannot take: a
        brand or an outcome it does not have, more segments than it can hold,
        features that are not its columns."""
        codebook = study.codebook
        if self.brand is not None and codebook.brand_column is not None:
            brands = _brands(study, codebook.brand_column)
            if str(self.brand) not in brands:
                raise ParameterError(
                    f"the study has no brand {str(self.brand)!r} in its column "
                    f"'{codebook.brand_column}'; its brands: {', '.join(brands) or 'none'}"
                )
        if self.outcome is not None and self.outcome not in codebook.outcomes:
            raise ParameterError(
                f"the study has no outcome {self.outcome!r}; "
                f"its outcomes: {', '.join(codebook.outcomes) or 'none'}"
            )
        if self.k != "auto" and self.k > study.n // 2:
            raise ParameterError(
                f"k = {self.k} segments is too many for {study.n:,} respondents "
                f"(at most {study.n // 2}: two respondents a segment on average)"
            )
        try:
            feature_columns(study, self.features)
        except KeyError as exc:
            raise ParameterError(f"features: {exc.args[0]}") from None

    def segmentation_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`cxresearch.segment` for these settings."""
        return {
            "k": self.k,
            "method": self.clustering,
            "features": self.features,
            "profile": self.profile,
            "centre": self.centre,
            "random_state": self.random_state,
        }


def _brands(study, column: str) -> list[str]:
    """The brands rated in the study, as text, sorted (a Dask study found them while loading)."""
    if on_dask(study):
        return sorted(map(str, study.distinct.get(column, ())))
    return sorted(map(str, study.responses[column].dropna().unique()))


CENTRES = (None, "respondent")
"""How segmentation features are centred: as rated, or per respondent."""


def _whole(name: str, value, low: int, high: int | None, what: str) -> None:
    """Raise :class:`ParameterError` unless ``value`` is None or a whole number
    (not true/false) from ``low`` to ``high``."""
    if value is None:
        return
    span = f"from {low} to {high:,}" if high is not None else f"of {low} or more"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{name} must be {what} {span}, not {value!r}")
    if value < low or (high is not None and value > high):
        raise ParameterError(f"{name} must be {what} {span}, not {value}")


def check_chapter_parameters(parameters: Mapping[str, Any], study: Study | None = None) -> None:
    """Check the parameters only some chapters take (``n_boot``,
    ``stability_n_boot``, ``correction``, ``device``) before any chapter runs;
    with a ``study``, also what depends on it (``device`` must be a column of its
    events)."""
    for name in ("n_boot", "stability_n_boot"):
        _whole(name, parameters.get(name), 0, MAX_BOOT, "a whole number of resamples")
    correction = parameters.get("correction")
    if correction is not None and correction not in CORRECTIONS:
        raise ParameterError(
            f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}"
        )
    device = parameters.get("device")
    if device is not None and not isinstance(device, str):
        raise ParameterError(f"device must be a column of the events, or none, not {device!r}")
    if device is not None and study is not None and study.events is not None:
        if device not in study.events.columns:
            raise ParameterError(
                f"device: the events have no column {device!r}; "
                f"their columns: {', '.join(map(str, study.events.columns))}"
            )


def open_study(
    study: str | Path | Study,
    settings: ChapterSettings,
    *,
    engine: str | None = None,
    scheduler: str | None = None,
) -> Study:
    """The study as a chapter sees it: loaded (or given), with the settings'
    minimum base and brand, restricted to the settings' segment; read with
    ``engine`` (``"dask"``: lazily, computed on ``scheduler``) when loaded here.

    Raises :class:`ParameterError` when the settings do not fit the study
    (see :meth:`ChapterSettings.check_against`) or it has no such segment."""
    if isinstance(study, Study) or on_dask(study):
        codebook = study.codebook
        codebook = replace(
            codebook,
            min_base=codebook.min_base if settings.min_base is None else int(settings.min_base),
            brand=codebook.brand if settings.brand is None else str(settings.brand),
        )
        study = replace(study, codebook=codebook)
    else:
        study = load_study(
            study,
            min_base=settings.min_base,
            brand=settings.brand,
            engine=engine,
            scheduler=scheduler,
        )
    settings.check_against(study)
    if settings.segment is not None and on_dask(study):
        raise ParameterError(
            f"segment {settings.segment}: a report on one segment's respondents needs the "
            "responses in memory; the study is read with the Dask engine"
        )
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

    def runs(self, *analyses: str) -> bool:
        """Whether the chapter's study runs every one of ``analyses`` (by name:
        ``"banner"``): always in memory; on the Dask engine when each has a
        Dask version. A chapter shows :meth:`memory_note` instead of a section
        whose analysis does not run."""
        return runs(self.study, *analyses)

    def memory_note(self, what: str, *analyses: str) -> Findings:
        """The note shown instead of the section ``what``, whose ``analyses`` do
        not run on the Dask engine."""
        return Findings((), empty=memory_note(self.study, what, *analyses))


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
    centre: str | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
) -> OpenChapter:
    """Set up a chapter: load the study with the report's parameters, restrict it
    to a segment when asked, and set the plot theme.

    With ``engine="dask"`` the study is read lazily and computed on
    ``scheduler`` (a ``distributed`` scheduler's address, to which the chapter
    connects a client, or a local scheduler's name); ``engine=None`` leaves it
    to the codebook. A notebook's first code cell::

        chapter = cx.open_chapter(study, min_base=min_base, brand=brand, segment=segment,
                                  random_state=random_state, k=k, clustering=clustering,
                                  features=features, profile=profile, centre=centre,
                                  engine=engine, scheduler=scheduler)
        study = chapter.study
    """
    settings = ChapterSettings(
        min_base, brand, segment, random_state, k, clustering, features, profile, outcome, centre
    )
    settings.check()
    set_theme()
    return OpenChapter(open_study(study, settings, engine=engine, scheduler=scheduler), settings)
