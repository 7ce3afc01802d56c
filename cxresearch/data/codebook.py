"""The study codebook (``study.yaml``) as a model: which column plays which role.

The codebook maps the user's own column names to roles (id, brand, weight,
wave, profile, outcomes, touchpoints, operational measures, text), so real
data never has to be renamed. DESIGN.md section 3 is the contract.
:meth:`Codebook.from_yaml` reads and checks ``study.yaml`` (the rules live in
:mod:`cxresearch.data._parser`); the parts of a codebook live in
:mod:`cxresearch.data.items` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._parser import CodebookParser
from ._yaml import load_codebook_yaml
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
    Scale,
    ScaleItem,
    TextField,
    Touchpoint,
)


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
    waves: tuple[str, ...] = ()  # the order of the waves, when the codebook declares it
    profile: tuple[str, ...] = ()
    outcomes: Mapping[str, ScaleItem | BinaryItem] = field(default_factory=dict)
    touchpoints: tuple[Touchpoint, ...] = ()
    missing: tuple[float, ...] = ()
    operational: tuple[Operational, ...] = ()
    text: tuple[TextField, ...] = ()
    events: EventsSpec | None = None
    feedback: FeedbackSpec | None = None
    benchmark: BenchmarkSpec | None = None
    colours: tuple[str, ...] = ()  # the brand's colours (#rrggbb), first the main one
    codeframe: tuple[CodeframeTheme, ...] = ()  # themes coding the comments, by keywords
    engine: str | None = None  # "pandas" or "dask"; None: pandas (load_study's engine= wins)
    scheduler: str | None = None  # Dask's scheduler: a local one's name or an address

    @classmethod
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Read and check a codebook; raise :class:`StudyError` listing every problem.

        The file is read strictly (:mod:`cxresearch.data._yaml`): a short UTF-8
        YAML mapping, each key written once, nesting and aliases bounded; then
        every key and value is checked (:mod:`cxresearch.data._parser`).
        """
        path = Path(path)
        raw, problems = load_codebook_yaml(path)
        parser = CodebookParser(path, raw, problems)
        codebook = cls(path=path, **parser.fields())
        parser.check(codebook)
        return codebook

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


__all__ = [
    "BINARY_OUTCOMES",
    "BenchmarkSpec",
    "BinaryItem",
    "Codebook",
    "CodeframeTheme",
    "EventsSpec",
    "FeedbackSpec",
    "ITEM_KINDS",
    "Operational",
    "SCALE_OUTCOMES",
    "STAGES",
    "Scale",
    "ScaleItem",
    "TextField",
    "Touchpoint",
]
