"""The deliverables' one source: the report's results, computed as the report computes them.

The workbook, the deck and the report must never disagree. :func:`deliverables`
therefore repeats what :func:`~cxresearch.report.render.render_report` does
before any kernel starts (check the parameters, open the study with them, find
the chapters that apply and the parameters they run with) and then calls the
index page's own builder (:func:`~cxresearch.report.summary.build_report`) and
its analyses with those very arguments. With the cache
(:mod:`cxresearch.cache`) active, every analysis a rendered report already ran
is read back, not recomputed: the numbers are the report's, byte for byte.

:func:`write_atomically` is how every deliverable reaches its file: written
beside it under a temporary name, then renamed over it, so a failed or
stopped export never leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ... import plots
from ..._version import __version__
from ...analyses._engine import on_dask
from ...analyses.banner import Banner, banner
from ...analyses.kpis import KpiTable, kpis
from ...analyses.scorecard import Scorecard, scorecard
from ...cache import use_cache
from ...data.study import Study
from ..chapter import ChapterSettings, check_chapter_parameters
from ..engines import runs
from ..notebooks import applicable, chapters_folder, chapters_in, report_parameters
from ..render import check_parameters, engine_choice, opened_study
from ..shared import results_folder
from ..summary import Report, build_report


@dataclass
class Deliverables:
    """Everything a deliverable shows, computed once.

    Attributes
    ----------
    study : Study
        The study as the report's pages see it (the parameters' ``min_base``,
        ``brand`` and ``segment`` applied).
    settings : ChapterSettings
        The shared report settings.
    parameters : dict
        Every parameter the chapters ran with (given, else their defaults).
    report : Report
        The index page: headline cards, findings, priorities, sections.
    analyses : object
        The index page's analyses (``gaps``, ``drivers``, ``segmentation``,
        ``comparison``, ``journey``, ``funnel``, ``trends``, ``strategy``;
        None where the study lacks what one needs).
    kpis, kpis_by_brand, scorecard, banner :
        The KPI chapter's tables: every respondent, per brand (None without a
        brand column), the scorecard of every rated item and the banner table
        (``cx.banner(study)``, as the chapter calls it; None without rated items).
    generated : str
        When the results were gathered (UTC), as the report's footer writes it.
    """

    study: Study
    settings: ChapterSettings
    parameters: dict[str, Any]
    report: Report
    analyses: Any
    kpis: KpiTable
    kpis_by_brand: KpiTable | None
    scorecard: Scorecard | None
    banner: Banner | None = None
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    version: str = __version__

    @property
    def confidence(self) -> float:
        return self.report.confidence

    def colours(self) -> tuple[str, ...]:
        """The brand's colours (``#rrggbb``) when the codebook declares them
        (a ``colours:`` list), else the report's palette
        (:data:`cxresearch.plots.COLOURS`)."""
        declared = getattr(self.study.codebook, "colours", None)
        return tuple(declared) if declared else plots.COLOURS


def deliverables(
    study: str | Path | Study,
    parameters: Mapping[str, Any] | None = None,
    *,
    notebooks: str | Path | None = None,
    cache: str | Path | bool = True,
    engine: str | None = None,
    scheduler: str | None = None,
) -> Deliverables:
    """The report's results for ``study`` with the report's ``parameters``.

    Parameters
    ----------
    study : str, Path or Study
        The study's ``study.yaml`` (or its folder), or a loaded study.
    parameters : mapping, optional
        The report's parameters (``min_base``, ``brand``, ``random_state``,
        ``n_boot``, ...), checked exactly as :func:`cxresearch.render_report`
        checks them.
    notebooks : str or Path, optional
        The chapter notebooks whose defaults apply (default: the shipped ones).
    cache : str, Path or bool
        As for :func:`cxresearch.render_report`: True for the lasting default
        folder, a folder, or False for a folder of this call only. With the
        folder a report was rendered with, nothing is computed again.
    engine, scheduler : str, optional
        As for :func:`cxresearch.render_report`: ``"dask"`` reads the study
        lazily; what has no Dask version is left out.

    Raises
    ------
    StudyError, ParameterError
        The study does not load, or a parameter does not fit it.
    """
    parameters = dict(parameters or {})
    every_chapter = chapters_in(Path(notebooks).resolve() if notebooks else chapters_folder())
    settings = check_parameters(parameters, every_chapter)
    engine, scheduler = engine_choice(parameters, engine, scheduler)
    if not (isinstance(study, Study) or on_dask(study)):
        study = Path(study).resolve()
    with opened_study(study, settings, engine, scheduler) as opened:
        check_chapter_parameters(parameters, opened)
        chapters, skipped = applicable(every_chapter, opened)
        effective = report_parameters(chapters, parameters)
        rated = _has_rated_items(opened)
        with results_folder(cache) as folder, use_cache(folder):
            report = build_report(opened, settings, effective)
            by_brand = kpis(opened, by="brand") if opened.codebook.brand_column else None
            card = scorecard(opened) if rated and runs(opened, "scorecard") else None
            overall = kpis(opened)
            crosstab = banner(opened) if rated and runs(opened, "banner") else None
    report.skipped.extend(skipped)  # as the index page lists them
    return Deliverables(
        opened, settings, effective, report, report.analyses, overall, by_brand, card, crosstab
    )


def _has_rated_items(study: Study) -> bool:
    cb = study.codebook
    return bool(cb.outcomes) or any(tp.experience is not None for tp in cb.touchpoints)


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary)`` on a temporary file beside ``path``, then
    rename it over ``path``: a failed or interrupted write leaves the old file
    (or none) in place, never a half-written one. Returns the path written.

    Raises ``IsADirectoryError`` when ``path`` is a folder and
    ``FileNotFoundError`` when its folder does not exist."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "no such folder", str(path.parent))
    descriptor, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial" + path.suffix, dir=path.parent
    )
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
