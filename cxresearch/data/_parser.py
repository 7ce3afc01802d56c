"""Parse ``study.yaml`` for :meth:`~cxresearch.data.codebook.Codebook.from_yaml`, strictly.

Three jobs in three modules: :mod:`._values` reads one typed value (and
records a problem when it is wrong), :mod:`._sections` reads each section,
and :class:`CodebookParser` here reads the top level, then checks the whole
(a column named twice, feedback reasons placed on unknown touchpoints).

Every problem found (unknown keys, wrong types, scales that are not
``[low, high]``, touchpoints that name no stage, a column named twice) is
collected and reported at once as one :class:`~cxresearch.errors.StudyError`
naming the file and the codebook key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problem, StudyError
from ._sections import (
    read_benchmark,
    read_events,
    read_feedback,
    read_operational,
    read_outcomes,
    read_text_fields,
    read_touchpoints,
)
from ._values import ValueReader
from .catalog import touchpoint_catalog
from .items import DEFAULT_MIN_BASE

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
    "waves",
}
_COLUMN_ROLES = {"id", "brand", "weight", "wave", "profile"}


class CodebookParser:
    """Turns the YAML mapping of ``study.yaml`` into the fields of a
    :class:`~cxresearch.data.codebook.Codebook` (:meth:`fields`), then checks
    the whole (:meth:`check`); ``reader`` collects every problem."""

    def __init__(self, path: Path, raw: Any):
        self.reader = ValueReader(path)
        self.raw = raw

    def fields(self) -> dict[str, Any]:
        """The codebook's fields, section by section (problems collected, not raised)."""
        if not isinstance(self.raw, dict):
            raise StudyError(
                Problem(self.reader.file, "the codebook must be a YAML mapping of keys")
            )
        raw = self.raw
        for key in sorted(set(raw) - _TOP_KEYS):
            self.reader.fail(key, f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
        for key in ("name", "responses"):
            if not raw.get(key):
                self.reader.fail(key, "this key is required")
        self.reader.default_missing = self.reader.codes(raw.get("missing"), "missing")
        columns = self.reader.mapping(raw.get("columns"), "columns")
        for key in sorted(set(columns) - _COLUMN_ROLES):
            self.reader.fail(
                f"columns.{key}", f"unknown role; expected {', '.join(sorted(_COLUMN_ROLES))}"
            )
        touchpoints = read_touchpoints(self.reader, raw.get("touchpoints"))
        return dict(
            name=str(raw.get("name", "")),
            brand=None if raw.get("brand") is None else str(raw["brand"]),
            min_base=self.reader.min_base(raw.get("min_base", DEFAULT_MIN_BASE)),
            responses=str(raw.get("responses", "")),
            id=self.reader.column_name(columns.get("id"), "columns.id"),
            brand_column=self.reader.column_name(columns.get("brand"), "columns.brand"),
            weight=self.reader.column_name(columns.get("weight"), "columns.weight"),
            wave=self.reader.column_name(columns.get("wave"), "columns.wave"),
            waves=self.reader.labels(raw.get("waves"), "waves"),
            profile=tuple(self.reader.column_list(columns.get("profile"), "columns.profile")),
            outcomes=read_outcomes(self.reader, raw.get("outcomes")),
            touchpoints=touchpoints,
            missing=self.reader.default_missing,
            operational=read_operational(
                self.reader, raw.get("operational"), {t.id for t in touchpoints}
            ),
            text=read_text_fields(self.reader, raw.get("text")),
            events=read_events(self.reader, raw.get("events")),
            feedback=read_feedback(self.reader, raw.get("feedback")),
            benchmark=read_benchmark(self.reader, raw.get("benchmark")),
        )

    def check(self, codebook) -> None:
        """Checks across sections; raise one :class:`StudyError` with every
        problem found while reading or here."""
        if codebook.waves and codebook.wave is None:
            self.reader.fail("waves", "lists the order of waves, but columns.wave names no column")
        measured = (
            codebook.outcomes,
            codebook.touchpoints,
            codebook.feedback,
            codebook.events,
            codebook.operational,
        )
        if not any(measured):
            self.reader.fail(
                None,
                "the codebook declares nothing to analyse: no outcomes, touchpoints, "
                "feedback, events or operational measures",
            )
        self.check_columns_named_once(codebook)
        if codebook.feedback is not None:
            known = {tp.id for tp in codebook.touchpoints} | set(touchpoint_catalog())
            for reason, tp_id in codebook.feedback.touchpoints.items():
                if tp_id not in known:
                    self.reader.fail(
                        f"feedback.touchpoints.{reason}",
                        f"names no touchpoint of the study or the catalog: {tp_id!r}",
                    )
        if self.reader.problems:
            raise StudyError(self.reader.problems)

    def check_columns_named_once(self, codebook) -> None:
        by_column: dict[str, list[str]] = {}
        for role, column in codebook.column_roles():
            by_column.setdefault(column, []).append(role)
        for column, roles in by_column.items():
            if len(roles) > 1:
                self.reader.fail(
                    column, f"the codebook names this column twice: {' and '.join(roles)}"
                )
