"""The sections of ``study.yaml``, one reader function each: outcomes,
touchpoints (with the catalog's defaults), operational measures, text, the
codeframe, events, feedback and benchmark, and the brand's colours. Each
takes the :class:`ValueReader` that collects the file's problems and returns
the parsed section (or an empty one when the section is wrong, so that every
problem is found in one pass).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._values import ValueReader, show, suggest
from .catalog import touchpoint_catalog
from .items import (
    BINARY_OUTCOMES,
    ITEM_KINDS,
    SCALE_OUTCOMES,
    STAGES,
    BenchmarkSpec,
    BinaryItem,
    CodeframeTheme,
    EventsSpec,
    FeedbackSpec,
    Operational,
    ScaleItem,
    TextField,
    Touchpoint,
)


def read_outcomes(reader: ValueReader, value: Any) -> dict[str, ScaleItem | BinaryItem]:
    """The outcomes by name: the known ones (``nps``, ``csat``, ``ces``,
    ``loyalty`` on a scale; ``retained``, ``referral`` yes/no) or names of the
    study's own (a rating when it has a ``scale``, yes/no otherwise). A name a
    letter or two away from a known one (``npss``) is refused as a typo."""
    outcomes: dict[str, ScaleItem | BinaryItem] = {}
    for name, spec in reader.mapping(value, "outcomes").items():
        key = f"outcomes.{name}"
        if not isinstance(name, str) or not name.strip():
            reader.fail(
                key, f"an outcome's name must be text, e.g. nps or satisfied, not {show(name)}"
            )
            continue
        known = near_miss(name, KNOWN_OUTCOMES)
        if known is not None:
            reader.fail(
                key,
                f"unknown outcome '{name}'; did you mean '{known}'? The known outcomes: "
                f"{', '.join(KNOWN_OUTCOMES)}; an outcome of your own needs a name "
                "that is not a near-miss of these",
            )
            continue
        is_binary = name in BINARY_OUTCOMES or (
            name not in SCALE_OUTCOMES and isinstance(spec, dict) and "scale" not in spec
        )
        item = reader.binary_item(spec, key) if is_binary else reader.scale_item(spec, key)
        if item is not None:
            outcomes[name] = item
    nps = outcomes.get("nps")
    if isinstance(nps, ScaleItem) and (nps.scale.low, nps.scale.high) != (0, 10):
        reader.fail("outcomes.nps.scale", "NPS is defined on 0-10; use recode: to map other codes")
    return outcomes


def read_touchpoints(reader: ValueReader, value: Any) -> tuple[Touchpoint, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.fail("touchpoints", "must be a list of touchpoints in journey order (- id: ...)")
        return ()
    catalog = touchpoint_catalog()
    parsed: list[Touchpoint] = []
    seen: set[str] = set()
    for i, spec in enumerate(value):
        if not isinstance(spec, dict):
            reader.fail(
                f"touchpoints[{i}]",
                f"must be a touchpoint (id: ..., experience: ...), not {show(spec)}",
            )
            continue
        tp_id = reader.name(spec.get("id"), f"touchpoints[{i}].id", "a touchpoint id, e.g. website")
        if tp_id is None:
            if spec.get("id") is None:
                reader.fail(f"touchpoints[{i}].id", "each touchpoint needs an id, e.g. id: website")
            continue
        key = f"touchpoints.{tp_id}"
        if tp_id in seen:
            reader.fail(
                f"{key}.id",
                f"the touchpoint id '{tp_id}' is used twice; give each touchpoint its own id",
            )
        seen.add(tp_id)
        reader.keys(spec, _TOUCHPOINT_KEYS, key)
        touchpoint = _touchpoint(reader, spec, tp_id, catalog.get(tp_id, {}))
        if touchpoint is not None:
            parsed.append(touchpoint)
    return tuple(parsed)


def _touchpoint(
    reader: ValueReader, spec: dict, tp_id: str, defaults: Mapping[str, Any]
) -> Touchpoint | None:
    key = f"touchpoints.{tp_id}"
    stage = reader.choice(spec.get("stage", defaults.get("stage")), f"{key}.stage", STAGES, "stage")
    label = reader.text(spec.get("label"), f"{key}.label") or defaults.get("label", tp_id)
    items = {
        kind: reader.scale_item(spec[kind], f"{key}.{kind}") if kind in spec else None
        for kind in ITEM_KINDS
    }
    experience = items["experience"]
    target = reader.number(
        spec.get("target"), f"{key}.target", None if experience is None else experience.scale
    )
    text = _catalog_text(defaults)
    text.update(_text_overrides(reader, spec, key))
    if stage is None:
        return None
    return Touchpoint(id=tp_id, label=str(label), stage=stage, catalog=text, target=target, **items)


def _text_overrides(reader: ValueReader, spec: dict, key: str) -> dict[str, Any]:
    """The catalog text a codebook overrides, each checked for its type."""
    text: dict[str, Any] = {}
    for name in ("channel", "dimension", "experience_to_deliver", "emotion_expected"):
        if name in spec and reader.text(spec[name], f"{key}.{name}") is not None:
            text[name] = spec[name]
    for name in ("resources", "measures"):
        if name in spec:
            text[name] = reader.text_list(spec[name], f"{key}.{name}")
    if "behaviours" in spec:
        behaviours = reader.section(spec["behaviours"], f"{key}.behaviours", _BEHAVIOURS)
        text["behaviours"] = {
            part: reader.text_list(behaviours.get(part), f"{key}.behaviours.{part}")
            for part in _BEHAVIOURS
        }
    return text


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
        spec = reader.section(spec, key, _OPERATIONAL_KEYS)
        column = reader.required_column(spec.get("column"), f"{key}.column")
        tp = _touchpoint_ref(reader, spec.get("touchpoint"), f"{key}.touchpoint", touchpoint_ids)
        target = reader.number(spec.get("target"), f"{key}.target")
        unit = reader.text(spec.get("unit"), f"{key}.unit") or ""
        lower = reader.boolean(spec.get("lower_is_better"), f"{key}.lower_is_better", True)
        if column is not None:
            parsed.append(Operational(column, tp, target, unit, lower))
    return tuple(parsed)


def read_text_fields(
    reader: ValueReader, value: Any, touchpoint_ids: set[str]
) -> tuple[TextField, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.fail("text", "must be a list of {column, touchpoint}")
        return ()
    fields = []
    for i, spec in enumerate(value):
        spec = reader.section(spec, f"text[{i}]", ("column", "touchpoint"))
        column = reader.required_column(spec.get("column"), f"text[{i}].column")
        tp = _touchpoint_ref(
            reader, spec.get("touchpoint"), f"text[{i}].touchpoint", touchpoint_ids
        )
        if column is not None:
            fields.append(TextField(column, tp))
    return tuple(fields)


def read_codeframe(
    reader: ValueReader, value: Any, touchpoint_ids: set[str]
) -> tuple[CodeframeTheme, ...]:
    """The codeframe: a list of themes, each ``{theme: name, keywords: [...],
    touchpoint: id}`` (touchpoint optional, and a declared one), names distinct."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        reader.fail(
            "codeframe",
            "must be a list of themes (- theme: delivery, keywords: [courier, parcel], "
            f"touchpoint: delivery), not {show(value)}",
        )
        return ()
    themes: list[CodeframeTheme] = []
    for i, spec in enumerate(value):
        theme = _codeframe_theme(reader, spec, f"codeframe[{i}]", touchpoint_ids)
        if theme is None:
            continue
        if any(t.theme == theme.theme for t in themes):
            reader.fail(
                f"codeframe.{theme.theme}.theme",
                f"the theme '{theme.theme}' is named twice; give each theme its own name",
            )
            continue
        themes.append(theme)
    return tuple(themes)


def _codeframe_theme(
    reader: ValueReader, spec: Any, key: str, touchpoint_ids: set[str]
) -> CodeframeTheme | None:
    if not isinstance(spec, dict):
        reader.fail(key, f"must be a theme (theme: ..., keywords: [...]), not {show(spec)}")
        return None
    name = reader.name(spec.get("theme"), f"{key}.theme", "a theme's name, e.g. delivery")
    if name is None and spec.get("theme") is None:
        reader.fail(f"{key}.theme", "each theme needs a name, e.g. theme: delivery")
    key = key if name is None else f"codeframe.{name}"
    reader.keys(spec, _CODEFRAME_KEYS, key)
    keywords = _keywords(reader, spec.get("keywords"), f"{key}.keywords")
    touchpoint = _touchpoint_ref(
        reader, spec.get("touchpoint"), f"{key}.touchpoint", touchpoint_ids
    )
    if name is None or not keywords:
        return None
    return CodeframeTheme(name, keywords, touchpoint)


def _keywords(reader: ValueReader, value: Any, key: str) -> tuple[str, ...]:
    """A theme's keywords: a non-empty list of words or phrases, each with a
    letter or digit (``*`` alone would match every comment)."""
    if value is None:
        reader.fail(key, "this key is required: the theme's keywords, e.g. [courier, parcel]")
        return ()
    if isinstance(value, str):
        reader.fail(key, f"must be a list of keywords; write it as a list: [{value}]")
        return ()
    if not isinstance(value, list) or not value:
        reader.fail(key, f"must be a list of keywords, e.g. [courier, parcel], not {show(value)}")
        return ()
    keywords = []
    for word in value:
        if not isinstance(word, str) or not any(ch.isalnum() for ch in word):
            reader.fail(key, f"a keyword must be a word or phrase with letters, not {show(word)}")
        else:
            keywords.append(word.strip())
    return tuple(keywords) if len(keywords) == len(value) else ()


def read_colours(reader: ValueReader, value: Any) -> tuple[str, ...]:
    """The brand's colours: 1 to :data:`MAX_COLOURS` hex colours ``#rrggbb``
    (quoted in YAML: an unquoted ``#`` starts a comment), kept in lower case."""
    if value is None:
        return ()
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_COLOURS:
        listed = f'a list of 1 to {MAX_COLOURS} colours, e.g. ["#003366", "#ff9900"]'
        reader.fail("colours", f"must be {listed}, not {show(value)}")
        return ()
    colours = []
    for i, colour in enumerate(value):
        if isinstance(colour, str) and _HEX_COLOUR.fullmatch(colour.strip()):
            colours.append(colour.strip().lower())
        else:
            reader.fail(f"colours[{i}]", _bad_colour(colour))
    return tuple(colours) if len(colours) == len(value) else ()


def _bad_colour(colour: Any) -> str:
    """Why ``colour`` is no ``#rrggbb``, with the likely meant colour."""
    if colour is None:
        return 'is empty: write colours in quotes, e.g. "#003366" (unquoted, # starts a comment)'
    text = str(colour).strip()
    meant = None
    if re.fullmatch(r"[0-9a-fA-F]{6}", text):
        meant = f"#{text}"
    elif re.fullmatch(r"#?[0-9a-fA-F]{3}", text):
        meant = "#" + "".join(ch * 2 for ch in text.lstrip("#"))
    hint = f"; did you mean '{meant.lower()}'?" if meant else ""
    return f'must be a colour written #rrggbb, e.g. "#003366", not {show(colour)}{hint}'


def _touchpoint_ref(reader: ValueReader, value: Any, key: str, declared: set[str]) -> str | None:
    """An optional reference to a declared touchpoint (with a did-you-mean)."""
    tp = reader.name(value, key, "a touchpoint id")
    if tp is not None and tp not in declared:
        reader.fail(key, f"names no declared touchpoint: {show(tp)}{suggest(tp, declared)}")
        return None
    return tp


def read_events(reader: ValueReader, value: Any) -> EventsSpec | None:
    if value is None:
        return None
    spec = reader.section(value, "events", _EVENTS_KEYS)
    file = reader.text(spec.get("file"), "events.file")
    if file is None and spec.get("file") is None:
        reader.fail("events.file", "this key is required: the events file, e.g. web_events.parquet")
    session = reader.required_column(spec.get("session"), "events.session")
    step = reader.required_column(spec.get("step"), "events.step")
    time = reader.column_name(spec.get("time"), "events.time")
    device = reader.column_name(spec.get("device"), "events.device")
    funnel = reader.labels(spec.get("funnel"), "events.funnel")
    if file is None or session is None or step is None:
        return None
    return EventsSpec(
        file=file, session=session, step=step, time=time, funnel=funnel, device=device
    )


def read_feedback(reader: ValueReader, value: Any) -> FeedbackSpec | None:
    if value is None:
        return None
    spec = reader.section(value, "feedback", _FEEDBACK_KEYS)
    sentiment = reader.required_column(spec.get("sentiment"), "feedback.sentiment")
    labels = {
        part: reader.labels(spec.get(part), f"feedback.{part}", single=True) or (part,)
        for part in ("negative", "positive")
    }
    reason = reader.column_name(spec.get("reason"), "feedback.reason")
    text = reader.column_name(spec.get("text"), "feedback.text")
    touchpoints = {}
    for reason_label, tp in reader.mapping(spec.get("touchpoints"), "feedback.touchpoints").items():
        tp_id = reader.name(tp, f"feedback.touchpoints.{reason_label}", "a touchpoint id")
        if tp_id is not None:
            touchpoints[str(reason_label)] = tp_id
    if sentiment is None:
        return None
    return FeedbackSpec(
        sentiment=sentiment,
        negative=labels["negative"],
        positive=labels["positive"],
        reason=reason,
        text=text,
        touchpoints=touchpoints,
    )


def read_benchmark(reader: ValueReader, value: Any) -> BenchmarkSpec | None:
    if value is None:
        return None
    spec = reader.section(value, "benchmark", _BENCHMARK_KEYS)
    file = reader.text(spec.get("file"), "benchmark.file")
    if file is None and spec.get("file") is None:
        reader.fail("benchmark.file", "this key is required: the benchmark file")
    columns = [reader.required_column(spec.get(k), f"benchmark.{k}") for k in _BENCHMARK_KEYS[1:]]
    if file is None or None in columns:
        return None
    return BenchmarkSpec(file, *columns)


def near_miss(name: str, known: tuple[str, ...]) -> str | None:
    """The known name that ``name`` misses by a typo, if any: a different case,
    or an edit distance (insert, delete, replace, swap two neighbours) of 1,
    or of 2 for known names longer than 4 letters."""
    if name in known:
        return None
    for candidate in known:
        limit = 1 if len(candidate) <= 4 else 2
        if name.lower() == candidate or edit_distance(name.lower(), candidate) <= limit:
            return candidate
    return None


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without
    repeated edits of a substring): the typos a person makes."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


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
_BEHAVIOURS = ("do", "dont", "do_differently")
_OPERATIONAL_KEYS = ("column", "touchpoint", "target", "unit", "lower_is_better")
_EVENTS_KEYS = ("file", "session", "step", "time", "funnel", "device")
_FEEDBACK_KEYS = ("sentiment", "negative", "positive", "reason", "text", "touchpoints")
_BENCHMARK_KEYS = ("file", "brand", "measure", "mean", "sd", "n")
_CODEFRAME_KEYS = ("theme", "keywords", "touchpoint")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_COLOURS = 12
KNOWN_OUTCOMES: tuple[str, ...] = SCALE_OUTCOMES + BINARY_OUTCOMES


def _catalog_text(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog entry's text under the codebook's names (the catalog says
    ``experience``/``emotion`` for text; the codebook uses those for items)."""
    renamed = {"experience": "experience_to_deliver", "emotion": "emotion_expected"}
    return {renamed.get(k, k): v for k, v in entry.items() if k not in ("id", "label", "stage")}
