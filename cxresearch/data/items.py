"""The parts of a codebook: scales, items, touchpoints, operational measures,
text, the codeframe's themes, events, feedback and benchmark specifications,
and the stages of the journey. :class:`~cxresearch.data.codebook.Codebook` holds them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STAGES: tuple[str, ...] = ("before", "during", "after")
ITEM_KINDS: tuple[str, ...] = ("experience", "expectation", "emotion", "importance")
SCALE_OUTCOMES: tuple[str, ...] = ("nps", "csat", "ces", "loyalty")
BINARY_OUTCOMES: tuple[str, ...] = ("retained", "referral")
DEFAULT_MIN_BASE = 30


@dataclass(frozen=True)
class Scale:
    """A rating scale from ``low`` to ``high`` (inclusive), e.g. 1-7 or 0-10."""

    low: float
    high: float

    @property
    def midpoint(self) -> float:
        return (self.low + self.high) / 2

    def __str__(self) -> str:
        return f"{self.low:g}-{self.high:g}"


@dataclass(frozen=True)
class ScaleItem:
    """A numeric survey item on a scale.

    ``recode`` maps stored codes to scale values (applied after the "don't
    know" codes in ``missing`` become missing values, before the scale check).
    """

    column: str
    scale: Scale
    missing: tuple[float, ...] = ()
    recode: Mapping[float, float] | None = None
    lower_is_better: bool = False
    label: str | None = None  # how reports name an outcome (default: from its name)


@dataclass(frozen=True)
class BinaryItem:
    """A yes/no item (retention, referral). ``true_values`` names the stored
    values that mean yes; by default 1/true/yes/y."""

    column: str
    true_values: tuple[str, ...] | None = None
    missing: tuple[float, ...] = ()
    lower_is_better: bool = False
    label: str | None = None  # how reports name an outcome (default: from its name)


@dataclass(frozen=True)
class Touchpoint:
    """A touchpoint on the journey, with its experience item and optional
    expectation and emotion items. ``catalog`` holds the catalog text
    (experience to deliver, behaviours, resources), overridden by the codebook."""

    id: str
    label: str
    stage: str
    experience: ScaleItem | None
    expectation: ScaleItem | None = None
    emotion: ScaleItem | None = None
    importance: ScaleItem | None = None
    target: float | None = None
    catalog: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operational:
    """An operational measure (wait time, response time, delivery days)."""

    column: str
    touchpoint: str | None
    target: float | None = None
    unit: str = ""
    lower_is_better: bool = True


@dataclass(frozen=True)
class TextField:
    """A free-text column (comments), optionally tied to a touchpoint."""

    column: str
    touchpoint: str | None = None


@dataclass(frozen=True)
class CodeframeTheme:
    """A theme of the codebook's ``codeframe:``: its name, keywords in any of
    the languages (``deliver*`` matches any ending) and, optionally, the
    touchpoint it belongs to (then it appears on the journey map)."""

    theme: str
    keywords: tuple[str, ...]
    touchpoint: str | None = None


@dataclass(frozen=True)
class EventsSpec:
    """The web events file: one row an event of a session."""

    file: str
    session: str
    step: str
    time: str | None = None
    funnel: tuple[str, ...] = ()
    device: str | None = None


@dataclass(frozen=True)
class FeedbackSpec:
    """Review or social-media records: a sentiment label, an optional reason
    (e.g. "Late Flight") and text; ``touchpoints`` maps reasons to touchpoint ids."""

    sentiment: str
    negative: tuple[str, ...] = ("negative",)
    positive: tuple[str, ...] = ("positive",)
    reason: str | None = None
    text: str | None = None
    touchpoints: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A file of competitors' aggregate scores: per brand and measure (a
    touchpoint id or an outcome name) the mean, standard deviation and base."""

    file: str
    brand: str
    measure: str
    mean: str
    sd: str
    n: str
