"""Typed readers of codebook values that collect problems instead of raising.

:class:`ValueReader` reads one value of ``study.yaml`` (a mapping and its
allowed keys, a column name, a list of codes, a scale, a yes/no flag, a scale
or yes/no item) and, when it is wrong, records a problem naming the codebook
key and carries on, so that one :class:`~cxresearch.errors.StudyError` can
list every problem at once. An unknown key is named with the closest allowed
key (``difflib.get_close_matches``) and the list of allowed keys.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import Problem
from .items import DEFAULT_MIN_BASE, SCALE_OUTCOMES, BinaryItem, Scale, ScaleItem

SCALE_ITEM_KEYS = ("column", "scale", "missing", "recode", "lower_is_better", "label")
BINARY_ITEM_KEYS = ("column", "true", "missing", "lower_is_better", "label")
_SHOWN_CHARS = 60
ENGINES = ("pandas", "dask")
"""The engines a study loads with: pandas (in memory, the default) or Dask (lazy)."""
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
"""Dask's schedulers on this machine, by name (``scheduler:``)."""
_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+")
_HOST_PORT = re.compile(r"[\w.\-\[\]:]+:\d+")


class ValueReader:
    """Reads values of one codebook file; ``problems`` collects what is wrong."""

    def __init__(self, path: Path, problems: Iterable[Problem] = ()):
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = list(problems)
        self.default_missing: tuple[float, ...] = ()

    def fail(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, message, key))

    def mapping(self, value: Any, key: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"must be a mapping of keys to values (key: value), not {show(value)}")
            return {}
        return value

    def keys(self, spec: dict, allowed: Iterable[str], key: str | None) -> None:
        """Record every key of ``spec`` that is not ``allowed``, with a did-you-mean."""
        allowed = sorted(allowed)
        for extra in sorted(set(spec) - set(allowed), key=str):
            where = str(extra) if key is None else f"{key}.{extra}"
            self.fail(where, unknown(extra, allowed, "key"))

    def section(self, value: Any, key: str, allowed: Iterable[str]) -> dict:
        """A mapping whose keys must be among ``allowed``."""
        spec = self.mapping(value, key)
        self.keys(spec, allowed, key)
        return spec

    def column_name(self, value: Any, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
            self.fail(key, f"must be a column name, not {show(value)}")
            return None
        return str(value)

    def required_column(self, value: Any, key: str) -> str | None:
        if value is None:
            self.fail(key, "this key is required: the name of a column")
            return None
        return self.column_name(value, key)

    def column_list(self, value: Any, key: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be a list of column names, e.g. [age, region], not {show(value)}")
            return []
        names = [self.column_name(v, key) for v in value]
        return [n for n in names if n is not None]

    def labels(self, value: Any, key: str, *, single: bool = False) -> tuple[str, ...]:
        """A list of distinct labels (text or numbers), e.g. the order of waves;
        with ``single``, one label alone stands for a list of one."""
        if value is None:
            return ()
        if single and is_label(value):
            value = [value]
        if not isinstance(value, list) or not all(is_label(v) for v in value):
            self.fail(key, f"must be a list of labels, e.g. [Wave 1, Wave 2], not {show(value)}")
            return ()
        labels = tuple(_label(v) for v in value)
        twice = sorted({v for v in labels if labels.count(v) > 1})
        if twice:
            self.fail(key, f"lists a label twice: {', '.join(twice)}")
        return labels

    def codes(self, value: Any, key: str) -> tuple[float, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(is_number(v) for v in value):
            self.fail(key, f"must be a list of numeric codes, e.g. [98, 99], not {show(value)}")
            return ()
        return tuple(float(v) for v in value)

    def min_base(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.fail(
                "min_base",
                f"must be a whole number of at least 1 (e.g. 30), not {show(value)}",
            )
            return DEFAULT_MIN_BASE
        return value

    def boolean(self, value: Any, key: str, default: bool) -> bool:
        """``true`` or ``false`` as YAML writes them; quoted text is refused
        (``"false"`` in quotes is text, and would read as true)."""
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        quoted = " without quotes (in quotes it is text)" if isinstance(value, str) else ""
        self.fail(key, f"must be true or false{quoted}, not {show(value)}")
        return default

    def text(self, value: Any, key: str) -> str | None:
        """An optional piece of text, e.g. a label."""
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be text, not {show(value)}")
            return None
        return value.strip()

    def name(self, value: Any, key: str, what: str) -> str | None:
        """A name that may be written as text or a whole number (a brand, an id)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            plural = " (one value, not a list)" if isinstance(value, (list, dict)) else ""
            self.fail(key, f"must be {what}{plural}, not {show(value)}")
            return None
        return str(value).strip()

    def text_list(self, value: Any, key: str) -> list[str]:
        """A list of short texts (catalog behaviours, resources, measures)."""
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a list of texts, not {show(value)}")
            return []
        return list(value)

    def number(self, value: Any, key: str, scale: Scale | None = None) -> float | None:
        """An optional finite number, within ``scale`` when one is given."""
        if value is None:
            return None
        if not is_number(value):
            where = f"a score on the scale {scale}" if scale is not None else "a number"
            self.fail(key, f"must be {where}, not {show(value)}")
            return None
        if scale is not None and not scale.low <= value <= scale.high:
            self.fail(key, f"{value:g} is outside the scale {scale}")
            return None
        return float(value)

    def choice(self, value: Any, key: str, options: Iterable[str], what: str) -> str | None:
        """One of ``options`` (e.g. a stage), or a problem with a did-you-mean."""
        options = list(options)
        if isinstance(value, str) and value in options:
            return value
        if value is None:
            self.fail(key, f"this key is required: one of {', '.join(options)}")
            return None
        self.fail(key, unknown(value, options, what, keep_order=True))
        return None

    def engine(self, value: Any, key: str) -> str | None:
        """``engine:`` pandas or dask (None: not given, the study loads with pandas)."""
        problem = engine_problem(value)
        if problem is not None:
            self.fail(key, problem)
            return None
        return value

    def scheduler(self, value: Any, key: str) -> str | None:
        """``scheduler:`` a local Dask scheduler's name or a distributed scheduler's address."""
        problem = scheduler_problem(value)
        if problem is not None:
            self.fail(key, problem)
            return None
        return None if value is None else value.strip()

    def scale(self, value: Any, key: str) -> Scale | None:
        if value is None:
            self.fail(key, "this key is required: the scale as [low, high], e.g. [1, 7]")
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(is_number(v) for v in value)
            or not value[0] < value[1]
        ):
            hint = ""
            written = re.fullmatch(
                r"\s*(-?\d+(?:\.\d+)?)\s*(?:-|to|\.\.)\s*(-?\d+(?:\.\d+)?)\s*", str(value)
            )
            if isinstance(value, str) and written:
                hint = f"; write it as a list: [{written[1]}, {written[2]}]"
            self.fail(key, f"a scale must be [low, high] with low < high, not {show(value)}{hint}")
            return None
        return Scale(float(value[0]), float(value[1]))

    def scale_item(self, value: Any, key: str) -> ScaleItem | None:
        if value is None or value == {}:
            self.fail(key, "needs {column: ..., scale: [low, high]}")
            return None
        spec = self.section(value, key, SCALE_ITEM_KEYS)
        if not spec:
            return None
        column = self.required_column(spec.get("column"), f"{key}.column")
        scale = self.scale(spec.get("scale"), f"{key}.scale")
        missing = self.codes(spec["missing"], f"{key}.missing") if "missing" in spec else None
        recode = self.recode(spec.get("recode"), f"{key}.recode", scale)
        lower_is_better = self.boolean(spec.get("lower_is_better"), f"{key}.lower_is_better", False)
        label = self.text(spec.get("label"), f"{key}.label")
        if column is None or scale is None:
            return None
        return ScaleItem(
            column,
            scale,
            self.default_missing if missing is None else missing,
            recode,
            lower_is_better,
            label,
        )

    def recode(self, value: Any, key: str, scale: Scale | None) -> dict[float, float] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            is_number(k) and is_number(v) for k, v in value.items()
        ):
            self.fail(
                key,
                f"must map stored codes to scale values, e.g. {{1: 0, 2: 1}}, not {show(value)}",
            )
            return None
        outside = [
            v for v in value.values() if scale is not None and not scale.low <= v <= scale.high
        ]
        if outside:
            shown = ", ".join(f"{v:g}" for v in outside[:5])
            self.fail(key, f"recodes to values outside the scale {scale}: {shown}")
        return {float(k): float(v) for k, v in value.items()}

    def binary_item(self, value: Any, key: str) -> BinaryItem | None:
        spec = dict(self.mapping(value, key))
        if True in spec:  # YAML reads an unquoted `true:` key as the boolean True
            if "true" in spec:
                self.fail(f"{key}.true", 'is written twice (true: and "true":)')
            spec["true"] = spec.pop(True)
        if "scale" in spec:
            self.fail(
                f"{key}.scale",
                "a yes/no outcome takes no scale (give true: the values that mean yes); "
                f"a rating needs one of the rating names {', '.join(SCALE_OUTCOMES)} "
                "or a name of your own",
            )
            spec.pop("scale")
        self.keys(spec, BINARY_ITEM_KEYS, key)
        column = self.required_column(spec.get("column"), f"{key}.column")
        true_values = self.true_values(spec.get("true"), f"{key}.true")
        # the study's "don't know" codes apply to yes/no items too (a 98 is not a "no")
        missing = (
            self.codes(spec["missing"], f"{key}.missing")
            if "missing" in spec
            else self.default_missing
        )
        lower_is_better = self.boolean(spec.get("lower_is_better"), f"{key}.lower_is_better", False)
        label = self.text(spec.get("label"), f"{key}.label")
        if column is None:
            return None
        return BinaryItem(column, true_values, missing, lower_is_better, label)

    def true_values(self, value: Any, key: str) -> tuple[str, ...] | None:
        """The stored values that mean yes: one value or a list of them."""
        if value is None:
            return None
        listed = value if isinstance(value, list) else [value]
        if not listed or not all(is_label(v) or isinstance(v, bool) for v in listed):
            self.fail(
                key, f"must list the stored values that mean yes, e.g. [Yes, 1], not {show(value)}"
            )
            return None
        return tuple(v for item in listed for v in _spellings(item))


def engine_problem(value: Any) -> str | None:
    """Why ``value`` is no engine (None when it is one, or not given)."""
    if value is None or value in ENGINES:
        return None
    close = difflib.get_close_matches(str(value).strip().lower(), ENGINES, n=1, cutoff=0.6)
    return (
        "must be pandas (the rows in memory, the default) or dask (Parquet data read "
        f"lazily, partition by partition, for data larger than memory), not {show(value)}"
        + (f"; did you mean '{close[0]}'?" if close else "")
    )


def scheduler_problem(value: Any) -> str | None:
    """Why ``value`` is no Dask scheduler (None when it is one, or not given): a
    local scheduler's name (:data:`LOCAL_SCHEDULERS`) or a ``distributed``
    scheduler's address (``tcp://host:port``)."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else None
    if text in LOCAL_SCHEDULERS or (text and _SCHEDULER_ADDRESS.fullmatch(text)):
        return None
    hint = ""
    if text and _HOST_PORT.fullmatch(text):
        hint = f"; did you mean 'tcp://{text}'?"
    elif text:
        close = difflib.get_close_matches(text, LOCAL_SCHEDULERS, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
    return (
        f"must be a Dask scheduler: {', '.join(LOCAL_SCHEDULERS[:-1])} or "
        f"{LOCAL_SCHEDULERS[-1]} (on this machine), or the address of a distributed "
        f"scheduler such as tcp://127.0.0.1:8786, not {show(value)}{hint}"
    )


def unknown(value: Any, allowed: Iterable[str], what: str, *, keep_order: bool = False) -> str:
    """``unknown key 'taget'; did you mean 'target'? Allowed: ...`` in plain words."""
    return f"unknown {what} {show(value)}{suggest(value, allowed, keep_order=keep_order)}"


def suggest(value: Any, allowed: Iterable[str], *, keep_order: bool = False) -> str:
    """``; did you mean 'target'? Allowed: ...``: the closest allowed value
    (``difflib.get_close_matches``), if one is close, and every allowed value."""
    allowed = list(allowed)
    listed = ", ".join(allowed if keep_order else sorted(allowed))
    close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'? Allowed: {listed}"
    return f"; allowed: {listed}"


def show(value: Any) -> str:
    """A value as the user wrote it, cut short (a message never dumps a structure)."""
    text = repr(value) if not isinstance(value, (list, dict)) else _short_repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _short_repr(value: list | dict) -> str:
    """``repr`` of at most a few elements, one level deep (cheap on any structure)."""
    if isinstance(value, list):
        parts = [
            repr(v)
            if not isinstance(v, (list, dict))
            else "[...]"
            if isinstance(v, list)
            else "{...}"
            for v in value[:6]
        ]
        return "[" + ", ".join(parts) + (", ...]" if len(value) > 6 else "]")
    items = list(value.items())[:4]
    parts = [f"{k!r}: {'...' if isinstance(v, (list, dict)) else repr(v)}" for k, v in items]
    return "{" + ", ".join(parts) + (", ...}" if len(value) > 4 else "}")


def _label(value: Any) -> str:
    """A label as the data shows it: 2019 (not 2019.0) for a whole number."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _spellings(value: Any) -> tuple[str, ...]:
    """YAML 1.1 reads unquoted yes/no/on/off as booleans: accept every spelling."""
    if value is True:
        return ("yes", "true", "y", "on")
    if value is False:
        return ("no", "false", "n", "off")
    return (str(value),)


def is_number(value: Any) -> bool:
    """A finite number (not a boolean, not .nan or .inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_label(value: Any) -> bool:
    """Text or a finite number: something that can name a category."""
    return (isinstance(value, str) and value.strip() != "") or is_number(value)
