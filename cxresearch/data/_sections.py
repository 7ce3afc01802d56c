"""The sections of ``study.yaml``, one reader function each: outcomes,
touchpoints (with the catalog's defaults), operational measures, text,
events, feedback and benchmark. Each takes the :class:`ValueReader` that
collects the file's problems and returns the parsed section (or an empty
one when the section is wrong, so that every problem is found in one pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._values import ValueReader, is_number
from .catalog import touchpoint_catalog
from .items import (
    BINARY_OUTCOMES,
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


def read_outcomes(reader: ValueReader, value: Any) -> dict[str, ScaleItem | BinaryItem]:
    outcomes: dict[str, ScaleItem | BinaryItem] = {}
    for name, spec in reader.mapping(value, "outcomes").items():
        key = f"outcomes.{name}"
        is_binary = name in BINARY_OUTCOMES or (
            name not in SCALE_OUTCOMES and isinstance(spec, dict) and "scale" not in spec
        )
        item = reader.binary_item(spec, key) if is_binary else reader.scale_item(spec, key)
        if item is not None:
            outcomes[str(name)] = item
    nps = outcomes.get("nps")
    if isinstance(nps, ScaleItem) and (nps.scale.low, nps.scale.high) != (0, 10):
        reader.fail("outcomes.nps.scale", "NPS is defined on 0-10; use recode: to map other codes")
    return outcomes


def read_touchpoints(reader: ValueReader, value: Any) -> tuple[Touchpoint, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.fail("touchpoints", "must be a list of touchpoints in journey order")
        return ()
    catalog = touchpoint_catalog()
    parsed: list[Touchpoint] = []
    seen: set[str] = set()
    for i, spec in enumerate(value):
        key = f"touchpoints[{i}]"
        if not isinstance(spec, dict) or not spec.get("id"):
            reader.fail(key, "each touchpoint needs at least an id")
            continue
        tp_id = str(spec["id"])
        key = f"touchpoints.{tp_id}"
        if tp_id in seen:
            reader.fail(key, "touchpoint id used twice")
        seen.add(tp_id)
        defaults = catalog.get(tp_id, {})
        stage = spec.get("stage", defaults.get("stage"))
        if stage not in STAGES:
            reader.fail(
                f"{key}.stage", f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}"
            )
        items = {
            kind: reader.scale_item(spec[kind], f"{key}.{kind}") if kind in spec else None
            for kind in ITEM_KINDS
        }
        text = _catalog_text(defaults)
        text.update({k: v for k, v in spec.items() if k in _CATALOG_TEXT_KEYS})
        target = spec.get("target")
        if target is not None and not is_number(target):
            reader.fail(f"{key}.target", f"must be a score on the experience scale, not {target!r}")
            target = None
        for extra in sorted(set(spec) - _TOUCHPOINT_KEYS):
            reader.fail(f"{key}.{extra}", "unknown key for a touchpoint")
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


def read_operational(
    reader: ValueReader, value: Any, touchpoint_ids: set[str]
) -> tuple[Operational, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.fail("operational", "must be a list of {column, touchpoint, target, unit}")
        return ()
    parsed = []
    for i, spec in enumerate(value):
        key = f"operational[{i}]"
        spec = reader.mapping(spec, key)
        column = reader.column_name(spec.get("column"), f"{key}.column")
        tp = spec.get("touchpoint")
        if tp is not None and str(tp) not in touchpoint_ids:
            reader.fail(f"{key}.touchpoint", f"names no declared touchpoint: {tp!r}")
        target = spec.get("target")
        if target is not None and not is_number(target):
            reader.fail(f"{key}.target", f"must be a number, not {target!r}")
            target = None
        if column is None:
            reader.fail(f"{key}.column", "this key is required")
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


def read_text_fields(reader: ValueReader, value: Any) -> tuple[TextField, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.fail("text", "must be a list of {column, touchpoint}")
        return ()
    fields = []
    for i, spec in enumerate(value):
        spec = reader.mapping(spec, f"text[{i}]")
        column = reader.column_name(spec.get("column"), f"text[{i}].column")
        if column is None:
            reader.fail(f"text[{i}].column", "this key is required")
            continue
        tp = spec.get("touchpoint")
        fields.append(TextField(column, None if tp is None else str(tp)))
    return tuple(fields)


def read_events(reader: ValueReader, value: Any) -> EventsSpec | None:
    if value is None:
        return None
    spec = reader.mapping(value, "events")
    missing = [k for k in ("file", "session", "step") if not spec.get(k)]
    for k in missing:
        reader.fail(f"events.{k}", "this key is required")
    if missing:
        return None
    funnel = spec.get("funnel") or []
    if not isinstance(funnel, list):
        reader.fail("events.funnel", "must be the list of funnel steps in order")
        funnel = []
    return EventsSpec(
        file=str(spec["file"]),
        session=str(spec["session"]),
        step=str(spec["step"]),
        time=None if spec.get("time") is None else str(spec["time"]),
        funnel=tuple(str(s) for s in funnel),
        device=None if spec.get("device") is None else str(spec["device"]),
    )


def read_feedback(reader: ValueReader, value: Any) -> FeedbackSpec | None:
    if value is None:
        return None
    spec = reader.mapping(value, "feedback")
    allowed = {"sentiment", "negative", "positive", "reason", "text", "touchpoints"}
    for extra in sorted(set(spec) - allowed, key=str):
        reader.fail(f"feedback.{extra}", f"unknown key; expected {', '.join(sorted(allowed))}")
    sentiment = reader.column_name(spec.get("sentiment"), "feedback.sentiment")
    if sentiment is None:
        reader.fail("feedback.sentiment", "this key is required")
        return None
    labels = {
        part: tuple(str(v) for v in (spec.get(part) or [part])) for part in ("negative", "positive")
    }
    touchpoints = reader.mapping(spec.get("touchpoints"), "feedback.touchpoints")
    return FeedbackSpec(
        sentiment=sentiment,
        negative=labels["negative"],
        positive=labels["positive"],
        reason=reader.column_name(spec.get("reason"), "feedback.reason"),
        text=reader.column_name(spec.get("text"), "feedback.text"),
        touchpoints={str(k): str(v) for k, v in touchpoints.items()},
    )


def read_benchmark(reader: ValueReader, value: Any) -> BenchmarkSpec | None:
    if value is None:
        return None
    spec = reader.mapping(value, "benchmark")
    keys = ("file", "brand", "measure", "mean", "sd", "n")
    missing = [k for k in keys if not spec.get(k)]
    for k in missing:
        reader.fail(f"benchmark.{k}", "this key is required (file, brand, measure, mean, sd, n)")
    if missing:
        return None
    return BenchmarkSpec(*(str(spec[k]) for k in keys))


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
