"""The study codebook (``study.yaml``): parse it and check it against the data contract.

The codebook maps the user's own column names to roles (id, brand, weight,
wave, profile, outcomes, touchpoints, operational measures, text), so real
data never has to be renamed. DESIGN.md section 3 is the contract; this module
is its reference implementation. Every problem found is reported at once as a
:class:`~cxresearch.errors.StudyError` naming the file and the codebook key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, StudyError

STAGES: tuple[str, ...] = ("before", "during", "after")
ITEM_KINDS: tuple[str, ...] = ("experience", "expectation", "emotion", "importance")
SCALE_OUTCOMES: tuple[str, ...] = ("nps", "csat", "ces", "loyalty")
BINARY_OUTCOMES: tuple[str, ...] = ("retained", "referral")
DEFAULT_MIN_BASE = 30

_TOP_KEYS = {
    "name",
    "brand",
    "min_base",
    "responses",
    "columns",
    "outcomes",
    "touchpoints",
    "missing",
    "operational",
    "text",
    "events",
    "feedback",
    "benchmark",
    "description",
}
_COLUMN_ROLES = {"id", "brand", "weight", "wave", "profile"}


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


@dataclass(frozen=True)
class BinaryItem:
    """A yes/no item (retention, referral). ``true_values`` names the stored
    values that mean yes; by default 1/true/yes/y."""

    column: str
    true_values: tuple[str, ...] | None = None
    missing: tuple[float, ...] = ()
    lower_is_better: bool = False


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


@dataclass(frozen=True)
class Codebook:
    """A parsed, checked ``study.yaml``. Build it with :meth:`from_yaml`."""

    path: Path
    name: str
    brand: str | None
    min_base: int
    responses: str
    id: str | None = None
    brand_column: str | None = None
    weight: str | None = None
    wave: str | None = None
    profile: tuple[str, ...] = ()
    outcomes: Mapping[str, ScaleItem | BinaryItem] = field(default_factory=dict)
    touchpoints: tuple[Touchpoint, ...] = ()
    missing: tuple[float, ...] = ()
    operational: tuple[Operational, ...] = ()
    text: tuple[TextField, ...] = ()
    events: EventsSpec | None = None
    feedback: FeedbackSpec | None = None
    benchmark: BenchmarkSpec | None = None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Read and check a codebook; raise :class:`StudyError` listing every problem."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StudyError(Problem(str(path), "the codebook file does not exist")) from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise StudyError(Problem(str(path), f"the codebook is not valid YAML: {exc}")) from None
        return _CodebookParser(path, raw).parse()

    @property
    def folder(self) -> Path:
        """The study folder: data file paths are relative to it."""
        return self.path.parent

    @property
    def responses_path(self) -> Path:
        return self.folder / self.responses

    @property
    def events_path(self) -> Path | None:
        return None if self.events is None else self.folder / self.events.file

    @property
    def benchmark_path(self) -> Path | None:
        return None if self.benchmark is None else self.folder / self.benchmark.file

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == touchpoint_id:
                return tp
        raise KeyError(f"no touchpoint '{touchpoint_id}' in {self.path}")

    def scale_items(self) -> dict[str, ScaleItem]:
        """Every numeric scale item by column: outcomes and touchpoint items."""
        items = {i.column: i for i in self.outcomes.values() if isinstance(i, ScaleItem)}
        for tp in self.touchpoints:
            for item in (tp.experience, tp.expectation, tp.emotion, tp.importance):
                if item is not None:
                    items[item.column] = item
        return items

    def binary_items(self) -> dict[str, BinaryItem]:
        return {i.column: i for i in self.outcomes.values() if isinstance(i, BinaryItem)}

    def column_roles(self) -> list[tuple[str, str]]:
        """``(codebook key, column)`` for every column the codebook names."""
        roles: list[tuple[str, str]] = []
        for role in ("id", "brand_column", "weight", "wave"):
            column = getattr(self, role)
            if column is not None:
                roles.append((f"columns.{role.replace('_column', '')}", column))
        roles += [("columns.profile", c) for c in self.profile]
        roles += [(f"outcomes.{name}", item.column) for name, item in self.outcomes.items()]
        for tp in self.touchpoints:
            for kind in ITEM_KINDS:
                item = getattr(tp, kind)
                if item is not None:
                    roles.append((f"touchpoints.{tp.id}.{kind}", item.column))
        roles += [(f"operational.{op.column}", op.column) for op in self.operational]
        roles += [(f"text.{t.column}", t.column) for t in self.text]
        if self.feedback is not None:
            for part in ("sentiment", "reason", "text"):
                column = getattr(self.feedback, part)
                if column is not None:
                    roles.append((f"feedback.{part}", column))
        return roles


@lru_cache(maxsize=1)
def touchpoint_catalog() -> dict[str, dict[str, Any]]:
    """The default touchpoint library (``cxresearch/catalog/touchpoints.yaml``) by id."""
    text = resources.files("cxresearch").joinpath("catalog/touchpoints.yaml").read_text("utf-8")
    return {tp["id"]: tp for tp in yaml.safe_load(text)["touchpoints"]}


class _CodebookParser:
    """Turns the YAML mapping into a :class:`Codebook`, collecting every problem."""

    def __init__(self, path: Path, raw: Any):
        self.path = path
        self.file = str(path)
        self.raw = raw
        self.problems: list[Problem] = []

    def fail(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, message, key))

    def parse(self) -> Codebook:
        if not isinstance(self.raw, dict):
            raise StudyError(Problem(self.file, "the codebook must be a YAML mapping of keys"))
        raw = self.raw
        for key in sorted(set(raw) - _TOP_KEYS):
            self.fail(key, f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
        for key in ("name", "responses"):
            if not raw.get(key):
                self.fail(key, "this key is required")
        self.default_missing = self.codes(raw.get("missing"), "missing")
        columns = self.mapping(raw.get("columns"), "columns")
        for key in sorted(set(columns) - _COLUMN_ROLES):
            self.fail(
                f"columns.{key}", f"unknown role; expected {', '.join(sorted(_COLUMN_ROLES))}"
            )
        touchpoints = self.touchpoints(raw.get("touchpoints"))
        codebook = Codebook(
            path=self.path,
            name=str(raw.get("name", "")),
            brand=None if raw.get("brand") is None else str(raw["brand"]),
            min_base=self.min_base(raw.get("min_base", DEFAULT_MIN_BASE)),
            responses=str(raw.get("responses", "")),
            id=self.column_name(columns.get("id"), "columns.id"),
            brand_column=self.column_name(columns.get("brand"), "columns.brand"),
            weight=self.column_name(columns.get("weight"), "columns.weight"),
            wave=self.column_name(columns.get("wave"), "columns.wave"),
            profile=tuple(self.column_list(columns.get("profile"), "columns.profile")),
            outcomes=self.outcomes(raw.get("outcomes")),
            touchpoints=touchpoints,
            missing=self.default_missing,
            operational=self.operational(raw.get("operational"), {t.id for t in touchpoints}),
            text=self.text_fields(raw.get("text")),
            events=self.events(raw.get("events")),
            feedback=self.feedback(raw.get("feedback")),
            benchmark=self.benchmark(raw.get("benchmark")),
        )
        if not (codebook.outcomes or codebook.touchpoints or codebook.feedback):
            self.fail(None, "the codebook declares no outcomes, touchpoints or feedback")
        self.check_columns_named_once(codebook)
        if codebook.feedback is not None:
            known = {tp.id for tp in codebook.touchpoints} | set(touchpoint_catalog())
            for reason, tp_id in codebook.feedback.touchpoints.items():
                if tp_id not in known:
                    self.fail(
                        f"feedback.touchpoints.{reason}",
                        f"names no touchpoint of the study or the catalog: {tp_id!r}",
                    )
        if self.problems:
            raise StudyError(self.problems)
        return codebook

    # -- small typed readers -------------------------------------------------
    def mapping(self, value: Any, key: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping of keys to values")
            return {}
        return value

    def column_name(self, value: Any, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
            self.fail(key, f"must be a column name, not {value!r}")
            return None
        return str(value)

    def column_list(self, value: Any, key: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, "must be a list of column names")
            return []
        names = [self.column_name(v, key) for v in value]
        return [n for n in names if n is not None]

    def codes(self, value: Any, key: str) -> tuple[float, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(_is_number(v) for v in value):
            self.fail(key, f"must be a list of numeric codes, not {value!r}")
            return ()
        return tuple(float(v) for v in value)

    def min_base(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.fail("min_base", f"must be a whole number of at least 1, not {value!r}")
            return DEFAULT_MIN_BASE
        return value

    def scale(self, value: Any, key: str) -> Scale | None:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_is_number(v) for v in value)
            or not value[0] < value[1]
        ):
            self.fail(key, f"a scale must be [low, high] with low < high, not {value!r}")
            return None
        return Scale(float(value[0]), float(value[1]))

    def scale_item(self, value: Any, key: str) -> ScaleItem | None:
        spec = self.mapping(value, key)
        if not spec:
            if value is not None:
                return None
            self.fail(key, "needs {column: ..., scale: [low, high]}")
            return None
        allowed = {"column", "scale", "missing", "recode", "lower_is_better"}
        for extra in sorted(set(spec) - allowed, key=str):
            self.fail(f"{key}.{extra}", f"unknown key; expected {', '.join(sorted(allowed))}")
        column = self.column_name(spec.get("column"), f"{key}.column")
        if column is None:
            self.fail(f"{key}.column", "this key is required")
        scale = self.scale(spec.get("scale"), f"{key}.scale")
        missing = self.codes(spec["missing"], f"{key}.missing") if "missing" in spec else None
        recode = self.recode(spec.get("recode"), f"{key}.recode")
        if column is None or scale is None:
            return None
        return ScaleItem(
            column,
            scale,
            self.default_missing if missing is None else missing,
            recode,
            bool(spec.get("lower_is_better", False)),
        )

    def recode(self, value: Any, key: str) -> dict[float, float] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            _is_number(k) and _is_number(v) for k, v in value.items()
        ):
            self.fail(key, "must map stored codes to scale values, e.g. {1: 0, 2: 1}")
            return None
        return {float(k): float(v) for k, v in value.items()}

    def binary_item(self, value: Any, key: str) -> BinaryItem | None:
        spec = dict(self.mapping(value, key))
        if True in spec:  # YAML reads an unquoted `true:` key as the boolean True
            spec["true"] = spec.pop(True)
        allowed = {"column", "true", "missing", "lower_is_better"}
        for extra in sorted(set(spec) - allowed, key=str):
            self.fail(f"{key}.{extra}", f"unknown key; expected {', '.join(sorted(allowed))}")
        column = self.column_name(spec.get("column"), f"{key}.column")
        if column is None:
            self.fail(f"{key}.column", "this key is required")
            return None
        true_values = spec.get("true")
        if true_values is not None:
            listed = true_values if isinstance(true_values, list) else [true_values]
            true_values = tuple(v for item in listed for v in _spellings(item))
        missing = self.codes(spec.get("missing"), f"{key}.missing")
        return BinaryItem(column, true_values, missing, bool(spec.get("lower_is_better", False)))

    # -- sections --------------------------------------------------------------
    def outcomes(self, value: Any) -> dict[str, ScaleItem | BinaryItem]:
        outcomes: dict[str, ScaleItem | BinaryItem] = {}
        for name, spec in self.mapping(value, "outcomes").items():
            key = f"outcomes.{name}"
            is_binary = name in BINARY_OUTCOMES or (
                name not in SCALE_OUTCOMES and isinstance(spec, dict) and "scale" not in spec
            )
            item = self.binary_item(spec, key) if is_binary else self.scale_item(spec, key)
            if item is not None:
                outcomes[str(name)] = item
        nps = outcomes.get("nps")
        if isinstance(nps, ScaleItem) and (nps.scale.low, nps.scale.high) != (0, 10):
            self.fail(
                "outcomes.nps.scale", "NPS is defined on 0-10; use recode: to map other codes"
            )
        return outcomes

    def touchpoints(self, value: Any) -> tuple[Touchpoint, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("touchpoints", "must be a list of touchpoints in journey order")
            return ()
        catalog = touchpoint_catalog()
        parsed: list[Touchpoint] = []
        seen: set[str] = set()
        for i, spec in enumerate(value):
            key = f"touchpoints[{i}]"
            if not isinstance(spec, dict) or not spec.get("id"):
                self.fail(key, "each touchpoint needs at least an id")
                continue
            tp_id = str(spec["id"])
            key = f"touchpoints.{tp_id}"
            if tp_id in seen:
                self.fail(key, "touchpoint id used twice")
            seen.add(tp_id)
            defaults = catalog.get(tp_id, {})
            stage = spec.get("stage", defaults.get("stage"))
            if stage not in STAGES:
                self.fail(
                    f"{key}.stage", f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}"
                )
            items = {
                kind: self.scale_item(spec[kind], f"{key}.{kind}") if kind in spec else None
                for kind in ITEM_KINDS
            }
            text = _catalog_text(defaults)
            text.update({k: v for k, v in spec.items() if k in _CATALOG_TEXT_KEYS})
            target = spec.get("target")
            if target is not None and not _is_number(target):
                self.fail(
                    f"{key}.target", f"must be a score on the experience scale, not {target!r}"
                )
                target = None
            for extra in sorted(set(spec) - _TOUCHPOINT_KEYS):
                self.fail(f"{key}.{extra}", "unknown key for a touchpoint")
            parsed.append(
                Touchpoint(
                    id=tp_id,
                    label=str(spec.get("label", defaults.get("label", tp_id))),
                    stage=str(stage),
                    catalog=text,
                    target=None if target is None else float(target),
                    **items,
                )
            )
        return tuple(parsed)

    def operational(self, value: Any, touchpoint_ids: set[str]) -> tuple[Operational, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("operational", "must be a list of {column, touchpoint, target, unit}")
            return ()
        parsed = []
        for i, spec in enumerate(value):
            key = f"operational[{i}]"
            spec = self.mapping(spec, key)
            column = self.column_name(spec.get("column"), f"{key}.column")
            tp = spec.get("touchpoint")
            if tp is not None and str(tp) not in touchpoint_ids:
                self.fail(f"{key}.touchpoint", f"names no declared touchpoint: {tp!r}")
            target = spec.get("target")
            if target is not None and not _is_number(target):
                self.fail(f"{key}.target", f"must be a number, not {target!r}")
                target = None
            if column is None:
                self.fail(f"{key}.column", "this key is required")
                continue
            parsed.append(
                Operational(
                    column,
                    None if tp is None else str(tp),
                    None if target is None else float(target),
                    str(spec.get("unit", "")),
                    bool(spec.get("lower_is_better", True)),
                )
            )
        return tuple(parsed)

    def text_fields(self, value: Any) -> tuple[TextField, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("text", "must be a list of {column, touchpoint}")
            return ()
        fields = []
        for i, spec in enumerate(value):
            spec = self.mapping(spec, f"text[{i}]")
            column = self.column_name(spec.get("column"), f"text[{i}].column")
            if column is None:
                self.fail(f"text[{i}].column", "this key is required")
                continue
            tp = spec.get("touchpoint")
            fields.append(TextField(column, None if tp is None else str(tp)))
        return tuple(fields)

    def events(self, value: Any) -> EventsSpec | None:
        if value is None:
            return None
        spec = self.mapping(value, "events")
        missing = [k for k in ("file", "session", "step") if not spec.get(k)]
        for k in missing:
            self.fail(f"events.{k}", "this key is required")
        if missing:
            return None
        funnel = spec.get("funnel") or []
        if not isinstance(funnel, list):
            self.fail("events.funnel", "must be the list of funnel steps in order")
            funnel = []
        return EventsSpec(
            file=str(spec["file"]),
            session=str(spec["session"]),
            step=str(spec["step"]),
            time=None if spec.get("time") is None else str(spec["time"]),
            funnel=tuple(str(s) for s in funnel),
            device=None if spec.get("device") is None else str(spec["device"]),
        )

    def feedback(self, value: Any) -> FeedbackSpec | None:
        if value is None:
            return None
        spec = self.mapping(value, "feedback")
        allowed = {"sentiment", "negative", "positive", "reason", "text", "touchpoints"}
        for extra in sorted(set(spec) - allowed, key=str):
            self.fail(f"feedback.{extra}", f"unknown key; expected {', '.join(sorted(allowed))}")
        sentiment = self.column_name(spec.get("sentiment"), "feedback.sentiment")
        if sentiment is None:
            self.fail("feedback.sentiment", "this key is required")
            return None
        labels = {
            part: tuple(str(v) for v in (spec.get(part) or [part]))
            for part in ("negative", "positive")
        }
        touchpoints = self.mapping(spec.get("touchpoints"), "feedback.touchpoints")
        return FeedbackSpec(
            sentiment=sentiment,
            negative=labels["negative"],
            positive=labels["positive"],
            reason=self.column_name(spec.get("reason"), "feedback.reason"),
            text=self.column_name(spec.get("text"), "feedback.text"),
            touchpoints={str(k): str(v) for k, v in touchpoints.items()},
        )

    def benchmark(self, value: Any) -> BenchmarkSpec | None:
        if value is None:
            return None
        spec = self.mapping(value, "benchmark")
        keys = ("file", "brand", "measure", "mean", "sd", "n")
        missing = [k for k in keys if not spec.get(k)]
        for k in missing:
            self.fail(f"benchmark.{k}", "this key is required (file, brand, measure, mean, sd, n)")
        if missing:
            return None
        return BenchmarkSpec(*(str(spec[k]) for k in keys))

    def check_columns_named_once(self, codebook: Codebook) -> None:
        by_column: dict[str, list[str]] = {}
        for role, column in codebook.column_roles():
            by_column.setdefault(column, []).append(role)
        for column, roles in by_column.items():
            if len(roles) > 1:
                self.fail(column, f"the codebook names this column twice: {' and '.join(roles)}")


_CATALOG_TEXT_KEYS = {
    "channel",
    "dimension",
    "experience_to_deliver",
    "emotion_expected",
    "behaviours",
    "resources",
    "measures",
}
_TOUCHPOINT_KEYS = {"id", "label", "stage", "target", *ITEM_KINDS} | _CATALOG_TEXT_KEYS


def _catalog_text(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog entry's text under the codebook's names (the catalog says
    ``experience``/``emotion`` for text; the codebook uses those for items)."""
    renamed = {"experience": "experience_to_deliver", "emotion": "emotion_expected"}
    return {renamed.get(k, k): v for k, v in entry.items() if k not in ("id", "label", "stage")}


def _spellings(value: Any) -> tuple[str, ...]:
    """YAML 1.1 reads unquoted yes/no/on/off as booleans: accept every spelling."""
    if value is True:
        return ("yes", "true", "y", "on")
    if value is False:
        return ("no", "false", "n", "off")
    return (str(value),)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
