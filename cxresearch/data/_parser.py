"""Parse ``study.yaml`` for :meth:`~cxresearch.data.codebook.Codebook.from_yaml`, strictly.

Every problem found (unknown keys, wrong types, scales that are not
``[low, high]``, touchpoints that name no stage, a column named twice) is
collected and reported at once as one :class:`~cxresearch.errors.StudyError`
naming the file and the codebook key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import Problem, StudyError
from ._values import ValueReader, is_number
from .catalog import touchpoint_catalog
from .items import (
    BINARY_OUTCOMES,
    DEFAULT_MIN_BASE,
    ITEM_KINDS,
    SCALE_OUTCOMES,
    STAGES,
    BenchmarkSpec,
    BinaryItem,
    EventsSpec,
    FeedbackSpec,
    Operational,
    ScaleItem,
    TextField,
    Touchpoint,
)

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


class CodebookParser(ValueReader):
    """Turns the YAML mapping of ``study.yaml`` into the fields of a
    :class:`~cxresearch.data.codebook.Codebook` (:meth:`fields`), then checks
    the whole (:meth:`check`), collecting every problem."""

    def __init__(self, path: Path, raw: Any):
        super().__init__(path)
        self.raw = raw

    def fields(self) -> dict[str, Any]:
        """The codebook's fields, section by section (problems collected, not raised)."""
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
        return dict(
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

    def check(self, codebook) -> None:
        """Checks across sections; raise one :class:`StudyError` with every
        problem found while reading or here."""
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
            if target is not None and not is_number(target):
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
            if target is not None and not is_number(target):
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

    def check_columns_named_once(self, codebook) -> None:
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
