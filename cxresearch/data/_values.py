"""Typed readers of codebook values that collect problems instead of raising.

:class:`ValueReader` reads one value of ``study.yaml`` (a mapping, a column
name, a list of codes, a scale, a scale or yes/no item) and, when it is
wrong, records a problem naming the codebook key and carries on, so that
one :class:`~cxresearch.errors.StudyError` can list every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problem
from .items import DEFAULT_MIN_BASE, BinaryItem, Scale, ScaleItem


class ValueReader:
    """Reads values of one codebook file; ``problems`` collects what is wrong."""

    def __init__(self, path: Path):
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = []
        self.default_missing: tuple[float, ...] = ()

    def fail(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, message, key))

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

    def labels(self, value: Any, key: str) -> tuple[str, ...]:
        """A list of distinct labels (text or numbers), e.g. the order of waves."""
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
        ):
            self.fail(key, f"must be a list of labels, e.g. [Wave 1, Wave 2], not {value!r}")
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
            or not all(is_number(v) for v in value)
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
        allowed = {"column", "scale", "missing", "recode", "lower_is_better", "label"}
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
            self.text(spec.get("label"), f"{key}.label"),
        )

    def recode(self, value: Any, key: str) -> dict[float, float] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            is_number(k) and is_number(v) for k, v in value.items()
        ):
            self.fail(key, "must map stored codes to scale values, e.g. {1: 0, 2: 1}")
            return None
        return {float(k): float(v) for k, v in value.items()}

    def binary_item(self, value: Any, key: str) -> BinaryItem | None:
        spec = dict(self.mapping(value, key))
        if True in spec:  # YAML reads an unquoted `true:` key as the boolean True
            spec["true"] = spec.pop(True)
        allowed = {"column", "true", "missing", "lower_is_better", "label"}
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
        # the study's "don't know" codes apply to yes/no items too (a 98 is not a "no")
        missing = (
            self.codes(spec["missing"], f"{key}.missing")
            if "missing" in spec
            else self.default_missing
        )
        return BinaryItem(
            column,
            true_values,
            missing,
            bool(spec.get("lower_is_better", False)),
            self.text(spec.get("label"), f"{key}.label"),
        )

    def text(self, value: Any, key: str) -> str | None:
        """An optional piece of text, e.g. a label."""
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be text, not {value!r}")
            return None
        return value.strip()


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
    return isinstance(value, (int, float)) and not isinstance(value, bool)
