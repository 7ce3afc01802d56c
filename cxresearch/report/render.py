"""Render a study's HTML report: run chapter notebooks with papermill, export HTML, swap in.

The report is built in a hidden sibling folder (``.NAME.building-PID-XXXX``)
and moved into place only when every chapter succeeded, so a failing or
stopped run never replaces a good report. When a chapter fails, the executed
notebooks (the failing one with its error) are kept in ``<out_dir>.failed/``
for debugging and :class:`ReportError` names the notebook and the cell.

Everything a user can get wrong is checked before any kernel starts: the
parameters' names and values (against the study too: its brands, outcomes,
segments), and the output folder (not a file, not the study's own folder,
writable). An interrupt (Ctrl-C; the command line turns SIGTERM into one)
kills every kernel the report started at once, removes the build folder and
leaves the last report as it was; a later run removes the hidden folders a
killed run could not (``.NAME.building-*``, ``.NAME.old-*``).

HTML is exported in-process with nbconvert's ``HTMLExporter`` (``basic``
template, input cells excluded, stderr streams dropped) and wrapped in
cxresearch's own page: inline CSS, images embedded as data URIs, a Content
Security Policy that forbids any network fetch, and a footer with the study's
name, the data's SHA-256, the package version, the parameters and the time of
the run. Nothing in the report folder names a path of the machine it was
rendered on (:class:`PathScrubber`), and the folder follows the umask.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..analyses._engine import on_dask
from ..data.readers import file_sha256
from ..errors import ParameterError
from .chapter import ChapterSettings, check_chapter_parameters, open_study
from .execute import execute_all, thread_share
from .folders import (
    check_output_folder,
    remove_build,
    signals_deferred,
    start_build,
    swap_into_place,
)
from .notebooks import applicable, chapters_folder, chapters_in, report_parameters
from .scrub import PathScrubber
from .shared import Background, results_shared
from .summary import build_report


def data_fingerprint(codebook) -> tuple[str, list[dict[str, str]]]:
    """SHA-256 of each data file of the study and one digest over all of them."""
    paths = [codebook.path, codebook.responses_path]
    if codebook.events_path is not None:
        paths.append(codebook.events_path)
    files = [{"name": path.name, "sha256": file_sha256(path)} for path in paths]
    overall = hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    return overall, files


def render_report(
    study_path: str | Path,
    out_dir: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    notebooks: str | Path | None = None,
    workers: int = 2,
    progress: bool = True,
    cache: str | Path | bool = True,
    engine: str | None = None,
    scheduler: str | None = None,
) -> Path:
    """Run every chapter notebook on a study and write ``out_dir/index.html``.

    Parameters
    ----------
    study_path : str or Path
        The study's ``study.yaml`` (or its folder).
    out_dir : str or Path
        The report folder; replaced only when every chapter succeeded. It may
        not be a file, the study's folder or a folder holding it, nor a
        non-empty folder that is not a report.
    parameters : mapping, optional
        Papermill parameters for every chapter (``min_base``, ``brand``,
        ``random_state``, ...); ``study`` is always the study's absolute path
        (it cannot be given here).
    notebooks : str or Path, optional
        The folder of chapter notebooks (default: :func:`chapters_folder`, the
        chapters shipped with the package or the checkout's ``notebooks/``).
    workers : int
        Chapters executed in parallel (each in its own kernel).
    progress : bool
        Show a progress bar of chapter execution.
    cache : str, Path or bool
        Where analysis results are kept between runs (:mod:`cxresearch.cache`):
        True for :func:`cxresearch.cache.default_folder`, a folder, or False
        for a folder of this run only. Either way each analysis runs once per
        report: the chapters and the index page share its result.
    engine : str, optional
        ``"dask"`` reads the study lazily with Dask (Parquet data past memory),
        in the index page and in every chapter; ``"pandas"`` in memory; None:
        the codebook's ``engine:``, else pandas. On Dask, a chapter none of
        whose analyses has a Dask version is left out and named on the index
        page, and a section inside a chapter shows a note in its place
        (:mod:`cxresearch.report.engines`).
    scheduler : str, optional
        With Dask: a ``distributed`` scheduler's address
        (``"tcp://10.0.0.5:8786"``; this process and each chapter's kernel
        connect a client to it) or a local scheduler's name (``"threads"``,
        ``"processes"``, ``"synchronous"``); None: Dask's default.

    Returns
    -------
    Path
        The written ``index.html``.

    Raises
    ------
    StudyError
        The study does not load (checked before any kernel starts).
    ParameterError
        A parameter no chapter takes, or a value it cannot take (checked
        before any kernel starts).
    OutputFolderError
        The report folder cannot be written or replaced safely.
    ReportError
        A chapter failed; see the message for the notebook and cell.
    KeyboardInterrupt
        The run was interrupted: every kernel was stopped, the build folder
        removed and the previous report left as it was.
    """
    started = time.time()
    study_path = Path(study_path).resolve()
    parameters = dict(parameters or {})
    source = Path(notebooks).resolve() if notebooks else chapters_folder()
    every_chapter = chapters_in(source)
    settings = check_parameters(parameters, every_chapter)
    engine, scheduler = engine_choice(parameters, engine, scheduler)
    out_dir = check_output_folder(out_dir, study_path)
    with opened_study(study_path, settings, engine, scheduler) as study:
        check_chapter_parameters(parameters, study)
        chapters, skipped = applicable(every_chapter, study)
        study_file = study.codebook.path.resolve()
        params = {**parameters, **_engine_parameters(study, chapters, engine, scheduler)}
        params["study"] = str(study_file)
        build = start_build(out_dir, started)
        scrubber = PathScrubber.for_report(study_file.parent, build, out_dir, source)
        effective = report_parameters(chapters, parameters)
        engine_shown = "dask" if on_dask(study) else engine
        try:
            with results_shared(cache) as folder:
                summary = Background(
                    build_report,
                    study,
                    settings,
                    effective,
                    cache_folder=folder,
                    threads=thread_share(workers),
                )
                execute_all(chapters, build / "notebooks", params, workers, progress, out_dir)
                context = _page_context(study, parameters, chapters, engine_shown)
                _export_chapters(chapters, build, context, scrubber)
                report = summary.result()
            _write_index(study, report, chapters, build, context, skipped, scrubber)
            with signals_deferred():
                swap_into_place(build, out_dir)
        finally:
            remove_build(build)
    shutil.rmtree(out_dir.with_name(out_dir.name + ".failed"), ignore_errors=True)
    return out_dir / "index.html"


def engine_choice(parameters: dict, engine: str | None, scheduler: str | None):
    """The engine and scheduler, given as arguments or as parameters (not
    both, unless alike); removed from ``parameters``: :func:`_engine_parameters`
    passes them to the chapters."""
    chosen = {}
    for name, value in (("engine", engine), ("scheduler", scheduler)):
        given = parameters.pop(name, None)
        if given is not None and value is not None and given != value:
            raise ParameterError(f"{name} is given twice: {value!r} and {given!r}")
        chosen[name] = value if value is not None else given
    return chosen["engine"], chosen["scheduler"]


@contextmanager
def opened_study(study_path: Path, settings, engine, scheduler) -> Iterator[Any]:
    """The report's study, open while the block runs; a Dask study's client to
    a distributed scheduler is closed afterwards."""
    study = open_study(study_path, settings, engine=engine, scheduler=scheduler)
    try:
        yield study
    finally:
        client = getattr(study, "client", None)
        if client is not None:
            client.close()


def _engine_parameters(study, chapters, engine, scheduler) -> dict[str, Any]:
    """The engine every chapter reads the study with: the index page's. A
    chapter that takes no ``engine`` would read a Dask study into memory, so
    it is a :class:`ParameterError` (before any kernel starts)."""
    if not on_dask(study):
        return {} if engine is None else {"engine": engine}
    lacking = [c.source.name for c in chapters if not {"engine", "scheduler"} <= c.parameters]
    if lacking:
        raise ParameterError(
            f"the chapters {', '.join(lacking)} take no engine and scheduler parameters: "
            "they cannot read a study with the Dask engine (add "
            "engine = None and scheduler = None to their parameters cell)"
        )
    return {"engine": "dask", "scheduler": scheduler}


def check_parameters(parameters, chapters) -> ChapterSettings:
    """Check every parameter before any kernel starts and return the shared
    settings: ``study`` is not a parameter, a name no chapter takes is a
    mistake (a typo, an old name), and each value must have its type and range."""
    if "study" in parameters:
        raise ParameterError(
            "the study is the report's first argument; it cannot be set as the parameter 'study'"
        )
    known = set().union(*(chapter.parameters for chapter in chapters)) - {"study"}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(
            f"no chapter takes the parameter {', '.join(map(repr, unknown))}; "
            f"the chapters take: {', '.join(sorted(known))}"
        )
    settings = ChapterSettings.from_parameters(parameters)
    settings.check()
    check_chapter_parameters(parameters)
    return settings


def _page_context(study, parameters, chapters, engine: str | None = None) -> dict[str, Any]:
    """What every page's footer shows: the study by name, the data's digests,
    the parameters given (the study's path is no parameter here) and the
    engine asked for (the scheduler's address is the machine's, not the study's)."""
    overall, files = data_fingerprint(study.codebook)
    if engine is not None:
        parameters = {**parameters, "engine": engine}
    return {
        "study_name": study.name,
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "data_sha256": overall,
        "data_files": files,
        # the parameters the user gave ("" when none: the footer then leaves them out)
        "parameters": json.dumps(parameters, sort_keys=True, default=str) if parameters else "",
        "chapters": chapters,
    }


def _environment():
    import jinja2  # third-party, loaded when a report is rendered

    return jinja2.Environment(
        loader=jinja2.PackageLoader("cxresearch.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _export_chapters(chapters, build: Path, context, scrubber: PathScrubber) -> None:
    """Scrub each executed notebook in place (it ships in the report folder) and
    export it as a chapter page."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    page = _environment().get_template("page.html.j2")
    (build / "chapters").mkdir()
    chapter_links = [{"href": f"{ch.name}.html", "title": ch.title} for ch in chapters]
    for chapter in chapters:
        executed = build / "notebooks" / chapter.source.name
        nb = scrubber.tree(nbformat.read(executed, as_version=4))
        nb.metadata.setdefault("papermill", {}).update(
            input_path=chapter.source.name, output_path=f"notebooks/{chapter.source.name}"
        )
        nbformat.write(nb, executed)
        _drop_stderr_and_parameters(nb)
        body, _ = exporter.from_notebook_node(nb)
        html = page.render(
            **{**context, "chapters": chapter_links},
            title=chapter.title,
            body=body,
            home_href="../index.html",
        )
        page_path = build / "chapters" / f"{chapter.name}.html"
        page_path.write_text(scrubber.text(html), encoding="utf-8")


def _drop_stderr_and_parameters(nb) -> None:
    """Warnings on stderr and the injected parameters are for the analyst, not the reader."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters"}:
            cell.outputs = []
        cell.outputs = [
            o
            for o in cell.get("outputs", [])
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
        ]


def _write_index(study, report, chapters, build: Path, context, skipped, scrubber) -> None:
    report.skipped.extend(skipped)
    body = (
        _environment()
        .get_template("index_body.html.j2")
        .render(
            study=study,
            quality=study.quality,
            report=report,
            chapters=chapters,
            generated=context["generated"],
            on_dask=on_dask(study),
        )
    )
    page = _environment().get_template("page.html.j2")
    html = page.render(**context, title="CX report", body=body, home_href="index.html")
    (build / "index.html").write_text(scrubber.text(html), encoding="utf-8")
