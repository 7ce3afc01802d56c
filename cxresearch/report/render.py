"""Render a study's HTML report: run chapter notebooks with papermill, export HTML, swap in.

The report is built in a temporary sibling folder and moved into place only
when every chapter succeeded, so a failing run never replaces a good report.
When a chapter fails, the executed notebooks (the failing one with its error)
are kept in ``<out_dir>.failed/`` for debugging and :class:`ReportError`
names the notebook and the cell.

HTML is exported in-process with nbconvert's ``HTMLExporter`` (``basic``
template, input cells excluded, stderr streams dropped) and wrapped in
cxresearch's own page: inline CSS, images embedded as data URIs, a Content
Security Policy that forbids any network fetch, and a footer with the data's
SHA-256, the package version, the parameters and the time of the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import ParameterError, ReportError
from .chapter import ChapterSettings, open_study
from .notebooks import ChapterNotebook, applicable, chapters_folder, chapters_in
from .summary import build_report


def data_fingerprint(codebook) -> tuple[str, list[dict[str, str]]]:
    """SHA-256 of each data file of the study and one digest over all of them."""
    paths = [codebook.path, codebook.responses_path]
    if codebook.events_path is not None:
        paths.append(codebook.events_path)
    files = []
    for path in paths:
        parts = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.read_bytes())
        files.append({"name": path.name, "sha256": digest.hexdigest()})
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
) -> Path:
    """Run every chapter notebook on a study and write ``out_dir/index.html``.

    Parameters
    ----------
    study_path : str or Path
        The study's ``study.yaml``.
    out_dir : str or Path
        The report folder; replaced only when every chapter succeeded.
    parameters : mapping, optional
        Papermill parameters for every chapter (``min_base``, ``brand``,
        ``random_state``, ...); ``study`` is always the study's absolute path.
    notebooks : str or Path, optional
        The folder of chapter notebooks (default: :func:`chapters_folder`, the
        chapters shipped with the package or the checkout's ``notebooks/``).
    workers : int
        Chapters executed in parallel (each in its own kernel).
    progress : bool
        Show a progress bar of chapter execution.

    Returns
    -------
    Path
        The written ``index.html``.

    Raises
    ------
    StudyError
        The study does not load (checked before any kernel starts).
    ReportError
        A chapter failed; see the message for the notebook and cell.
    """
    study_path = Path(study_path).resolve()
    parameters = dict(parameters or {})
    settings = ChapterSettings.from_parameters(parameters)
    settings.check()
    study = open_study(study_path, settings)
    if settings.outcome is not None and settings.outcome not in study.codebook.outcomes:
        raise ParameterError(
            f"the study has no outcome {settings.outcome!r}; "
            f"its outcomes: {', '.join(study.codebook.outcomes) or 'none'}"
        )
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    every_chapter = chapters_in(Path(notebooks) if notebooks else chapters_folder())
    _check_parameters(parameters, every_chapter)
    chapters, skipped = applicable(every_chapter, study)
    params = {**parameters, "study": str(study.codebook.path.resolve())}
    build = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        _execute_all(chapters, build / "notebooks", params, workers, progress, out_dir)
        context = _page_context(study, params, chapters)
        _export_chapters(chapters, build, context)
        _write_index(study, chapters, build, context, settings, skipped)
        _swap_into_place(build, out_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(out_dir.with_name(out_dir.name + ".failed"), ignore_errors=True)
    return out_dir / "index.html"


def _check_parameters(parameters, chapters) -> None:
    """A parameter no chapter takes is a mistake (a typo, an old name): say so
    before any kernel starts, with the names the chapters do take."""
    known = set().union(*(chapter.parameters for chapter in chapters))
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(
            f"no chapter takes the parameter {', '.join(map(repr, unknown))}; "
            f"the chapters take: {', '.join(sorted(known))}"
        )


def _execute_all(chapters, folder: Path, params, workers: int, progress: bool, out_dir: Path):
    import papermill as pm
    from tqdm.auto import tqdm

    folder.mkdir(parents=True)

    def run(chapter: ChapterNotebook) -> ChapterNotebook:
        pm.execute_notebook(
            str(chapter.source),
            str(folder / chapter.source.name),
            parameters={k: v for k, v in params.items() if k in chapter.parameters},
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up chatter
        )
        return chapter

    failures = []
    workers = max(1, min(workers, len(chapters)))
    with _threads_per_kernel(workers), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run, ch): ch for ch in chapters}
        with tqdm(
            total=len(chapters), desc="chapters", unit="notebook", disable=not progress
        ) as bar:
            for future in as_completed(futures):
                chapter = futures[future]
                bar.set_postfix_str(chapter.name)
                if future.exception() is not None:
                    failures.append((chapter, future.exception()))
                bar.update()
    if failures:
        chapter, exc = min(failures, key=lambda f: f[0].name)
        kept_dir = out_dir.with_name(out_dir.name + ".failed")
        shutil.rmtree(kept_dir, ignore_errors=True)
        shutil.copytree(folder, kept_dir)
        raise ReportError(
            chapter.source.name,
            getattr(exc, "cell_index", None),
            getattr(exc, "ename", type(exc).__name__),
            getattr(exc, "evalue", str(exc)),
            kept_dir / chapter.source.name,
        ) from exc


@contextmanager
def _threads_per_kernel(workers: int):
    """Kernels running side by side share the cores: give each its share of
    BLAS/OpenMP threads (inherited by the kernel processes started meanwhile)."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    share = str(max(1, (os.cpu_count() or 1) // workers))
    for name in names:
        os.environ.setdefault(name, share)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _page_context(study, params, chapters) -> dict[str, Any]:
    overall, files = data_fingerprint(study.codebook)
    return {
        "study_name": study.name,
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "data_sha256": overall,
        "data_files": files,
        "parameters": json.dumps(params, sort_keys=True, default=str),
        "chapters": chapters,
    }


def _environment():
    import jinja2  # third-party, loaded when a report is rendered

    return jinja2.Environment(
        loader=jinja2.PackageLoader("cxresearch.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _export_chapters(chapters, build: Path, context) -> None:
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
        nb = nbformat.read(build / "notebooks" / chapter.source.name, as_version=4)
        _drop_stderr_and_parameters(nb)
        body, _ = exporter.from_notebook_node(nb)
        html = page.render(
            **{**context, "chapters": chapter_links},
            title=chapter.title,
            body=body,
            home_href="../index.html",
        )
        (build / "chapters" / f"{chapter.name}.html").write_text(html, encoding="utf-8")


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


def _write_index(study, chapters, build: Path, context, settings, skipped) -> None:
    report = build_report(study, settings)
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
        )
    )
    page = _environment().get_template("page.html.j2")
    html = page.render(**context, title="CX report", body=body, home_href="index.html")
    (build / "index.html").write_text(html, encoding="utf-8")


def _swap_into_place(build: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by the finished ``build`` folder (renames on one file system)."""
    old = None
    if out_dir.exists():
        old = build.with_name(build.name.replace(".building-", ".old-"))
        out_dir.rename(old)
    build.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
