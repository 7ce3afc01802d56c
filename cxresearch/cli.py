"""The ``cxresearch`` command: init, demo, validate, report, export.

Errors a user can fix (a bad study, a failing chapter, a folder it may not
write) print one plain line and exit 1, never a traceback; anything
unexpected prints one line too, and ``--debug`` shows its traceback. Ctrl-C
or SIGTERM stops a report at once (exit 130 or 143): every kernel is killed
and the last report left as it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .data import load_study
from .data.draft import draft_codebook
from .data.study import ENGINES
from .demo import make_demo_study
from .errors import CxError
from .report import render_report
from .report.export import deliverables, find_chromium, write_deck, write_pdf, write_workbook


def _parse_value(text: str):
    """Papermill-style parameter values: numbers and true/false/none, else text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


DATA_DIRS = "CXRESEARCH_DATA_DIRS"
"""The environment variable naming folders (``os.pathsep``-joined, absolute)
outside the study's own folder where its data files may be."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxresearch", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the demo study (synthetic, with its planted truth)")
    demo.add_argument("--out", default="data/demo", help="folder to write (default: data/demo)")
    demo.add_argument("-n", type=int, default=4000, help="respondents (default: 4000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")

    init = sub.add_parser("init", help="draft a study.yaml from a data file's columns")
    init.add_argument("data", help="a .csv, .xlsx, .sav or .parquet file (or a Qualtrics CSV)")
    init.add_argument("--out", help="the codebook to write (default: study.yaml beside the data)")
    init.add_argument("--force", action="store_true", help="overwrite an existing codebook")

    validate = sub.add_parser("validate", help="check a study and print its data-quality summary")
    validate.add_argument("study", help="the study's study.yaml (or its folder)")

    report = sub.add_parser("report", help="render a study's HTML report")
    report.add_argument("study", help="the study's study.yaml (or its folder)")
    report.add_argument("--out", required=True, help="the report folder, e.g. reports/demo")
    export = _export_parser(sub)
    for command in (report, export):
        command.add_argument(
            "-p",
            "--parameter",
            nargs=2,
            action="append",
            default=[],
            metavar=("NAME", "VALUE"),
            help="a notebook parameter, e.g. -p min_base 50 (repeatable)",
        )
        command.add_argument("--quiet", action="store_true", help="no progress bar")
        command.add_argument(
            "--notebooks",
            metavar="DIR",
            help="run the chapter notebooks of DIR instead of the shipped ones",
        )
        cache = command.add_mutually_exclusive_group()
        cache.add_argument(
            "--cache",
            metavar="DIR",
            help="keep analysis results in DIR between runs (default: CXRESEARCH_CACHE_DIR, "
            "else ~/.cache/cxresearch)",
        )
        cache.add_argument(
            "--no-cache",
            action="store_true",
            help="keep no results after this run (each analysis still runs once per report)",
        )
    for command in (validate, report, export):
        _engine_arguments(command)
    for command in (init, validate, report, export):
        command.add_argument(
            "--data-dir",
            action="append",
            default=[],
            metavar="DIR",
            help="a folder outside the study's where its data files may be (repeatable)",
        )
    for command in (demo, init, validate, report, export):  # --debug after the command, too
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="as before the command"
        )
    return parser


def _engine_arguments(command: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--scheduler``: how a study is read and computed."""
    command.add_argument(
        "--engine",
        choices=ENGINES,
        help="read the rows in memory (pandas) or lazily from Parquet, partition by "
        "partition (dask, for data larger than memory); default: the codebook's engine:, "
        "else pandas",
    )
    command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with the Dask engine: a distributed scheduler's address (tcp://HOST:PORT) "
        "or threads, processes or synchronous on this machine; default: the codebook's "
        "scheduler:, else threads",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _sigterm_as_interrupt(), _data_dirs(getattr(args, "data_dir", [])):
            return _COMMANDS[args.command](args)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM: what was running is stopped
        done = "; the last report was left as it was" if args.command == "report" else ""
        print(f"stopped{done}", file=sys.stderr)
        return 128 + getattr(exc, "signal", signal.SIGINT)
    except Exception as exc:
        if args.debug:
            raise
        if isinstance(exc, CxError):  # bad data, a bad parameter, a failed chapter
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, OSError):  # a file or folder that cannot be read or written
            print(f"error: {describe_os_error(exc)}", file=sys.stderr)
            return 1
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def describe_os_error(exc: OSError) -> str:
    """An operating system's error in one line that names the path."""
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths)
    if isinstance(exc, PermissionError):
        return f"permission denied: {where}" if where else "permission denied"
    if isinstance(exc, FileNotFoundError) and where:
        return f"{where} does not exist"
    reason = exc.strerror or str(exc)
    return f"{reason}: {where}" if where else reason


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    signal = signal.SIGTERM


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM stops it the way Ctrl-C does (the report
    then kills its kernels and removes its build folder) instead of killing
    the process on the spot."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_number, _frame):
        raise Stopped()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextmanager
def _data_dirs(folders: list[str]) -> Iterator[None]:
    """``--data-dir``: folders outside the study's own where its data files may
    be, passed to the data layer (and the chapters' kernels) in the environment
    (before any folder it already names) while the command runs."""
    if not folders:
        yield
        return
    chosen = [Path(folder).expanduser().resolve() for folder in folders]
    for folder in chosen:
        if not folder.is_dir():
            raise CxError(f"--data-dir {folder}: no such folder")
    saved = os.environ.get(DATA_DIRS)
    earlier = [p for p in (saved or "").split(os.pathsep) if p]
    os.environ[DATA_DIRS] = os.pathsep.join(dict.fromkeys([*map(str, chosen), *earlier]))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(DATA_DIRS, None)
        else:
            os.environ[DATA_DIRS] = saved


def _demo(args) -> int:
    path = make_demo_study(args.out, n=args.n, random_state=args.seed)
    print(f"demo study written: {path}")
    return 0


def _init(args) -> int:
    data = Path(args.data)
    out = Path(args.out) if args.out else data.parent / "study.yaml"
    if out.exists() and not args.force:
        print(f"error: {out} exists; pass --force to overwrite it", file=sys.stderr)
        return 1
    text = draft_codebook(data, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    # the data file was named on the command line: reading it from its own folder is allowed
    outside = data.resolve().parent != out.resolve().parent
    study = load_study(out, data_dirs=[data.resolve().parent] if outside else ())
    todos = sum(1 for line in text.splitlines() if line.startswith("# - "))
    allow = f" --data-dir {data.parent}" if outside else ""
    print(f"codebook drafted: {out} ({study.n:,} respondents; it validates as it is)")
    print(f"{todos} TODOs to check in it; then: cxresearch report {out} --out reports/NAME{allow}")
    return 0


def _validate(args) -> int:
    study = load_study(args.study, engine=args.engine, scheduler=args.scheduler)
    try:
        on = ""
        if study.engine != "pandas":
            on = f"; {study.engine} engine, scheduler {study.scheduler or 'threads (the default)'}"
        print(f"{study.name}: valid ({study.n:,} respondents{on})")
        print(study.quality.summary())
    finally:
        study.close()
    return 0


def _report(args) -> int:
    parameters = {name: _parse_value(value) for name, value in args.parameter}
    index = render_report(
        Path(args.study),
        Path(args.out),
        parameters,
        notebooks=args.notebooks,
        progress=not args.quiet,
        cache=False if args.no_cache else (args.cache or True),
        engine=args.engine,
        scheduler=args.scheduler,
    )
    print(f"report written: {index}")
    return 0


def _export_parser(sub) -> argparse.ArgumentParser:
    export = sub.add_parser(
        "export",
        help="write the report's results as an Excel workbook, a slide deck or a PDF",
        description="Write what a client receives besides the web page, from the report's "
        "own results: an Excel workbook (--xlsx), a slide deck (--pptx), a PDF of the "
        "rendered report (--pdf). Give one or more.",
    )
    export.add_argument("study", help="the study's study.yaml (or its folder)")
    export.add_argument("--xlsx", metavar="FILE", help="the workbook to write, e.g. results.xlsx")
    export.add_argument("--pptx", metavar="FILE", help="the slide deck to write, e.g. board.pptx")
    export.add_argument("--pdf", metavar="FILE", help="the PDF of the report to write")
    export.add_argument(
        "--report",
        metavar="DIR",
        help="for --pdf: a report of this study already rendered in DIR "
        "(default: render one into a temporary folder)",
    )
    return export


def _export(args) -> int:
    """Render the report first when the PDF needs one (the workbook and the deck
    then read its analyses back from the cache), then write each file."""
    targets = {"xlsx": args.xlsx, "pptx": args.pptx, "pdf": args.pdf}
    if not any(targets.values()):
        raise CxError(
            "export: name at least one file to write: --xlsx FILE, --pptx FILE or --pdf FILE"
        )
    if args.report and not args.pdf:
        raise CxError("export: --report DIR is the report to print with --pdf; add --pdf FILE")
    for option, target in targets.items():
        if target:
            _check_target(option, Path(target))
    parameters = {name: _parse_value(value) for name, value in args.parameter}
    chromium = find_chromium() if args.pdf else None  # before anything is computed
    scratch = Path(tempfile.mkdtemp(prefix="cxresearch-export-"))
    cache = scratch / "cache" if args.no_cache else (args.cache or True)
    try:
        if args.pdf:
            folder = Path(args.report) if args.report else scratch / "report"
            if not args.report:
                render_report(
                    Path(args.study),
                    folder,
                    parameters,
                    notebooks=args.notebooks,
                    progress=not args.quiet,
                    cache=cache,
                    engine=args.engine,
                    scheduler=args.scheduler,
                )
            print(f"PDF written: {write_pdf(folder, args.pdf, chromium=chromium)}")
        if args.xlsx or args.pptx:
            results = deliverables(
                args.study, parameters, notebooks=args.notebooks, cache=cache, **_engine_of(args)
            )
            if args.xlsx:
                print(f"workbook written: {write_workbook(results, args.xlsx)}")
            if args.pptx:
                print(f"slide deck written: {write_deck(results, args.pptx)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _engine_of(args) -> dict[str, str]:
    """``--engine`` and ``--scheduler`` as keyword arguments, those given only."""
    given = {"engine": args.engine, "scheduler": args.scheduler}
    return {name: value for name, value in given.items() if value is not None}


def _check_target(option: str, path: Path) -> None:
    """An output file's folder must exist, and the file may not be a folder
    (checked before anything is computed)."""
    if path.is_dir():
        raise CxError(
            f"--{option} {path}: is a folder; name a file, e.g. {path / ('report.' + option)}"
        )
    if not path.parent.is_dir():
        raise CxError(f"--{option} {path}: the folder {path.parent} does not exist")
    if path.suffix.lower() != f".{option}":
        raise CxError(f"--{option} {path}: the file should end in .{option}")


_COMMANDS = {
    "init": _init,
    "demo": _demo,
    "validate": _validate,
    "report": _report,
    "export": _export,
}


def run() -> None:
    """The ``cxresearch`` command: :func:`main`, then exit with its code.

    After a stop (Ctrl-C, SIGTERM) every kernel is already killed and the last
    report left as it was; a daemon thread may still be computing the index
    page's analyses in native code, and the interpreter's shutdown under it can
    abort the process ("terminate called without an active exception", exit
    -6). So a stopped command with such a thread left exits at once, with its
    code (130 or 143), its output flushed.
    """
    code = main()
    if code > 128 and any(t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
