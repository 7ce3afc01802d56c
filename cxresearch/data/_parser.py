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

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import Problem, StudyError
from ._sections import (
    read_benchmark,
    read_codeframe,
    read_colours,
    read_events,
    read_feedback,
    read_operational,
    read_outcomes,
    read_text_fields,
    read_touchpoints,
)
from ._values import ValueReader, show, suggest
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
    "colours",
    "codeframe",
    "engine",
    "scheduler",
}
_COLUMN_ROLES = {"id", "brand", "weight", "wave", "profile"}


class CodebookParser:
    """Turns the YAML mapping of ``study.yaml`` into the fields of a
    :class:`~cxresearch.data.codebook.Codebook` (:meth:`fields`), then checks
    the whole (:meth:`check`); ``reader`` collects every problem, starting
    with ``problems`` found while loading the YAML (keys written twice)."""

    def __init__(self, path: Path, raw: Any, problems: Iterable[Problem] = ()):
        self.reader = ValueReader(path, problems)
        self.raw = raw

    def fields(self) -> dict[str, Any]:
        """The codebook's fields, section by section (problems collected, not raised)."""
        if not isinstance(self.raw, dict):
            raise StudyError(Problem(self.reader.file, _not_a_mapping(self.raw)))
        raw, reader = self.raw, self.reader
        reader.keys(raw, _TOP_KEYS, None)
        for key in ("name", "responses"):
            if raw.get(key) is None:
                reader.fail(key, "this key is required")
        reader.default_missing = reader.codes(raw.get("missing"), "missing")
        columns = reader.section(raw.get("columns"), "columns", _COLUMN_ROLES)
        touchpoints = read_touchpoints(reader, raw.get("touchpoints"))
        touchpoint_ids = {t.id for t in touchpoints}
        reader.text(raw.get("description"), "description")
        return dict(
            name=reader.name(raw.get("name"), "name", "the study's name as text") or "",
            brand=reader.name(raw.get("brand"), "brand", "the name of one brand, e.g. Acme"),
            min_base=reader.min_base(raw.get("min_base", DEFAULT_MIN_BASE)),
            responses=reader.text(raw.get("responses"), "responses") or "",
            id=reader.column_name(columns.get("id"), "columns.id"),
            brand_column=reader.column_name(columns.get("brand"), "columns.brand"),
            weight=reader.column_name(columns.get("weight"), "columns.weight"),
            wave=reader.column_name(columns.get("wave"), "columns.wave"),
            waves=reader.labels(raw.get("waves"), "waves"),
            profile=tuple(reader.column_list(columns.get("profile"), "columns.profile")),
            outcomes=read_outcomes(reader, raw.get("outcomes")),
            touchpoints=touchpoints,
            missing=reader.default_missing,
            operational=read_operational(reader, raw.get("operational"), touchpoint_ids),
            text=read_text_fields(reader, raw.get("text"), touchpoint_ids),
            events=read_events(reader, raw.get("events")),
            feedback=read_feedback(reader, raw.get("feedback")),
            benchmark=read_benchmark(reader, raw.get("benchmark")),
            colours=read_colours(reader, raw.get("colours")),
            codeframe=read_codeframe(reader, raw.get("codeframe"), touchpoint_ids),
            engine=reader.engine(raw.get("engine"), "engine"),
            scheduler=reader.scheduler(raw.get("scheduler"), "scheduler"),
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
        if codebook.scheduler is not None and codebook.engine == "pandas":
            self.reader.fail(
                "scheduler",
                "runs the Dask engine, and engine: pandas reads the study in memory: "
                "write engine: dask, or leave the scheduler out",
            )
        self.check_columns_named_once(codebook)
        has_text = codebook.text or (codebook.feedback and codebook.feedback.text)
        if codebook.codeframe and not has_text:
            self.reader.fail(
                "codeframe",
                "codes comments, but the codebook declares none: add a text: column "
                "(or feedback: text:)",
            )
        if codebook.feedback is not None:
            known = sorted({tp.id for tp in codebook.touchpoints} | set(touchpoint_catalog()))
            for reason, tp_id in codebook.feedback.touchpoints.items():
                if tp_id not in known:
                    self.reader.fail(
                        f"feedback.touchpoints.{reason}",
                        "names no touchpoint of the study or the catalog: "
                        f"{show(tp_id)}{suggest(tp_id, known)}",
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


def _not_a_mapping(raw: Any) -> str:
    """Why a YAML document that is not a mapping is no codebook, in plain words."""
    if isinstance(raw, list):
        found = "a list (lines starting with -)"
    elif raw is None:
        found = "empty"
    else:
        found = f"a single value ({show(raw)})"
    return (
        f"the codebook is {found}; it must be a mapping of keys, "
        "starting with name:, responses: and outcomes: or touchpoints:"
    )
