"""The chapter notebooks: where they are, what each is called and what it needs.

The chapters are the notebooks ``NN_name.ipynb`` of the project's top-level
``notebooks/`` folder, the one source of the chapters. A wheel ships that
folder inside the package as ``cxresearch/notebooks`` (a ``sources`` path
rewrite in ``pyproject.toml``), so :func:`chapters_folder` finds the chapters the same
way in an install and in a checkout: the package's own ``notebooks`` folder
when the package carries one, else the ``notebooks`` folder beside the
package (the checkout, an editable install).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..analyses._common import NEEDS
from .engines import analysis_groups, chapter_left_out, chapter_runs

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CHAPTER_PATTERN = "[0-9][0-9]_*.ipynb"


def chapters_folder() -> Path:
    """The folder of the chapter notebooks: ``cxresearch/notebooks`` in an
    installed wheel, the checkout's ``notebooks/`` in a source tree."""
    for folder in (PACKAGE_ROOT / "notebooks", PACKAGE_ROOT.parent / "notebooks"):
        if any(folder.glob(CHAPTER_PATTERN)):
            return folder
    raise FileNotFoundError(
        f"no chapter notebooks in {PACKAGE_ROOT / 'notebooks'} (an installed wheel) "
        f"or {PACKAGE_ROOT.parent / 'notebooks'} (a checkout): reinstall cxresearch"
    )


@dataclass(frozen=True)
class ChapterNotebook:
    """One chapter: its notebook, its title (the first ``# `` heading), what
    the study must have for it (``requires`` in the notebook's metadata) and
    the analyses it is about (``analyses``: on a Dask study the chapter is
    shown when one of them runs there, see :mod:`cxresearch.report.engines`)."""

    source: Path
    title: str
    requires: tuple[str, ...] = ()
    parameters: frozenset[str] = frozenset()  # the names its parameters cell assigns
    defaults: tuple[tuple[str, object], ...] = ()  # (name, value) of its literal parameters
    analyses: tuple[tuple[str, ...], ...] = ()  # the analyses (cx.<name>) it is about

    @property
    def name(self) -> str:
        return self.source.stem

    @property
    def href(self) -> str:
        return f"chapters/{self.name}.html"


def chapters_in(folder: Path) -> list[ChapterNotebook]:
    """The chapter notebooks of a folder, in file-name order (``00_...``, ``01_...``)."""
    import nbformat  # third-party, loaded when a report is rendered

    chapters = []
    for path in sorted(folder.glob(CHAPTER_PATTERN)):
        nb = nbformat.read(path, as_version=4)
        declared = nb.metadata.get("cxresearch", {})
        chapters.append(
            ChapterNotebook(
                path,
                _title_of(nb, path.stem),
                tuple(declared.get("requires", ())),
                _parameters_of(nb),
                _defaults_of(nb),
                analysis_groups(declared.get("analyses", ())),
            )
        )
    if not chapters:
        raise FileNotFoundError(f"no chapter notebooks (NN_name.ipynb) in {folder}")
    return chapters


def applicable(chapters: list[ChapterNotebook], study) -> tuple[list[ChapterNotebook], list[str]]:
    """The chapters the study has the data for, and a note for each left out
    (a chapter declares ``requires`` in its notebook metadata under
    ``cxresearch``). On a study read with the Dask engine, a chapter none of
    whose ``analyses`` runs there is left out too, with a note naming them;
    that is asked first, as a Dask study does not read its data to answer
    what only an in-memory analysis needs (whether it has comments)."""
    kept, skipped = [], []
    for chapter in chapters:
        if not chapter_runs(study, chapter.analyses):
            skipped.append(chapter_left_out(chapter.title, chapter.analyses))
            continue
        missing = [r for r in chapter.requires if not study.supports(r)]
        if missing:
            needs = " or ".join(NEEDS.get(r, r) for r in missing)
            skipped.append(f"Chapter '{chapter.title}': left out, the study has no {needs}.")
        else:
            kept.append(chapter)
    return kept, skipped


def _parameters_of(nb) -> frozenset[str]:
    """The names the notebook's ``parameters`` cell assigns."""
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def _defaults_of(nb) -> tuple[tuple[str, object], ...]:
    """The values the notebook's ``parameters`` cell assigns, where they are
    literals (numbers, strings, None, lists)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        continue
                    found += [(t.id, value) for t in node.targets if isinstance(t, ast.Name)]
    return tuple(found)


def report_parameters(chapters: list[ChapterNotebook], given: dict) -> dict:
    """Every parameter the chapters take with the value they run with: the one
    given, else the first chapter's default. The index page computes its
    analyses with the same values, so it reuses the chapters' results."""
    effective: dict = {}
    for chapter in chapters:
        for name, value in chapter.defaults:
            effective.setdefault(name, value)
    return {**effective, **given}


def _title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback
