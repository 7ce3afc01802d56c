"""Corpus cases: output folders and signals.

Output folders: ``cxresearch report --out`` refuses, before any chapter runs
and with nothing touched, a path that is a file, a folder it cannot write, the
study's own folder (or one holding it: the swap would move the study) and a
non-empty folder that is not a report (the swap would delete what it holds);
a report's files follow the umask; stale hidden build folders of a killed run
are removed by the next one.

Signals: Ctrl-C (SIGINT) or SIGTERM while chapters run stops the command
within seconds with one line and no traceback; every kernel is killed, the
build folder removed and the last report left as it was. These cases start a
real process and wait for its kernels (slow).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from . import Outcome, case, run_cli, run_process, write

OUTPUT, SIGNALS = "output folders", "signals"
PREVIOUS = "<html><body>the previous report</body></html>"


def report_argv(out: str = "report", *more: str) -> list[str]:
    return ["report", "study.yaml", "--out", out, "--quiet", *more]


def tiny_chapters(folder: Path, code: str = "print(study)") -> Path:
    """A chapters folder of one small notebook (one kernel, seconds), for the
    cases about folders and processes rather than about the chapters."""
    chapters = folder / "chapters"
    chapters.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    parameters = nbformat.v4.new_code_cell('study = "study.yaml"\nbrand = None')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny chapter"), parameters]
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, chapters / "00_tiny.ipynb")
    return chapters


def previous_report(folder: Path, name: str = "report") -> Path:
    """A last good report to keep: a folder with an index.html."""
    report = folder / name
    report.mkdir()
    (report / "index.html").write_text(PREVIOUS, encoding="utf-8")
    return report


def dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def unchanged(*paths: str):
    """A ``run`` that checks the given files of the case's folder are unchanged."""

    def run(folder: Path, argv: list[str]) -> Outcome:
        before = {p: (folder / p).read_bytes() for p in paths}
        outcome = run_cli(folder, argv)
        for path, content in before.items():
            assert (folder / path).read_bytes() == content, f"{path} was changed"
        assert not [p.name for p in folder.iterdir() if ".building-" in p.name]
        return outcome

    return run


# --- the output folder -----------------------------------------------------------


@case(
    "output-out-is-a-file",
    OUTPUT,
    "--out names an existing file: refused, the file left as it was",
    errors=("is a file", "left untouched"),
    run=unchanged("report.html"),
)
def _(folder: Path) -> list[str]:
    write(folder)
    (folder / "report.html").write_text("a file of the user's", encoding="utf-8")
    return report_argv("report.html")


@case(
    "output-parent-is-a-file",
    OUTPUT,
    "--out lies under a file (responses.csv/report): refused before any chapter",
    errors=("responses.csv", "is a file, not a folder"),
    run=unchanged("responses.csv"),
)
def _(folder: Path) -> list[str]:
    write(folder)
    return report_argv("responses.csv/report")


@case(
    "output-unwritable-parent",
    OUTPUT,
    "--out in a folder the user may not write (chmod 500): refused before any chapter",
    errors=("permission denied", "locked"),
)
def _(folder: Path) -> list[str]:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root may write any folder")
    write(folder)
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return report_argv("locked/report")


@case(
    "output-equal-to-study-folder",
    OUTPUT,
    "--out . (the study's own folder): refused, the swap would move the study",
    errors=("holds the study", "folder of its own"),
    run=unchanged("study.yaml", "responses.csv"),
)
def _(folder: Path) -> list[str]:
    write(folder)
    return report_argv(".")


@case(
    "output-contains-study-folder",
    OUTPUT,
    "--out .. (a folder holding the study): refused, the swap would move the study",
    errors=("holds the study",),
    run=unchanged("study.yaml", "responses.csv"),
)
def _(folder: Path) -> list[str]:
    write(folder)
    return report_argv("..")


@case(
    "output-not-a-report-folder",
    OUTPUT,
    "--out names a folder of other files (no index.html): refused, nothing deleted",
    errors=("not a report", "no index.html"),
    run=unchanged("documents/thesis.txt"),
)
def _(folder: Path) -> list[str]:
    write(folder)
    (folder / "documents").mkdir()
    (folder / "documents" / "thesis.txt").write_text("years of work", encoding="utf-8")
    return report_argv("documents")


def with_umask(mask: int):
    """Run the case's command as its own process under ``umask``."""
    return lambda folder, argv: run_process(folder, argv, umask=mask)


def modes_follow(mask: int):
    """The report's folders are ``0o777 & ~mask`` and its files ``0o666 & ~mask``;
    stale build folders of this report were removed, anything else kept."""

    def check(folder: Path, outcome: Outcome) -> None:
        report = folder / "report"
        assert (report / "index.html").read_text(encoding="utf-8") != PREVIOUS
        for path in [report, *report.rglob("*")]:
            want = (0o777 if path.is_dir() else 0o666) & ~mask
            assert stat.S_IMODE(path.stat().st_mode) == want, (path, oct(path.stat().st_mode))
        left = sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
        assert left == [".other.building-1", ".report.building-1-running"], left
        assert "ERROR" not in outcome.stderr and "Traceback" not in outcome.stderr

    return check


def with_stale_folders(folder: Path) -> list[str]:
    """A study, its last report, and hidden folders beside it: two stale ones of
    this report (a dead run's, an old-style one), one of a run still going
    (process 1) and another report's."""
    write(folder)
    previous_report(folder)
    old = time.time() - 3600
    for name in (
        f".report.building-{dead_pid()}-abc",
        ".report.old-xyz123",
        ".report.building-1-running",
        ".other.building-1",
    ):
        (folder / name).mkdir()
        (folder / name / "part.html").write_text("half done", encoding="utf-8")
        os.utime(folder / name, (old, old))
    return report_argv("report", "--notebooks", str(tiny_chapters(folder).name))


for _mask in (0o022, 0o077):
    case(
        f"output-umask-{_mask:03o}",
        OUTPUT,
        f"a report rendered under umask {_mask:03o} gets the umask's permissions "
        "(not mkdtemp's 0700); stale build folders of the report are removed",
        accepted=modes_follow(_mask),
        run=with_umask(_mask),
        slow=True,
    )(with_stale_folders)


# --- signals -------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` (its children, theirs, ...)."""
    try:
        import psutil
    except ImportError:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [pid]
        while todo:
            kids = children.get(todo.pop(), [])
            found += kids
            todo += kids
        return found
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def kernels_of(pid: int) -> list[int]:
    """The kernels among ``pid``'s descendants: launched (``ipykernel`` in their
    command line) or forked from the report's fork server (its command line,
    under a parent with the same: ``cxresearch.report.warm``)."""

    def command(process: int) -> bytes:
        try:
            return Path(f"/proc/{process}/cmdline").read_bytes()
        except OSError:
            return b""

    def parent(process: int) -> int:
        try:
            return int(Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return 0

    def is_kernel(child: int) -> bool:
        warm = b"cxresearch.report.warm"
        return b"ipykernel" in command(child) or (
            warm in command(child) and warm in command(parent(child))
        )

    return [child for child in descendants(pid) if is_kernel(child)]


def _default_signals() -> None:
    """In the command's process: SIGINT and SIGTERM at their defaults, as at a
    terminal, even when the tests run in a background job (whose shell ignores
    SIGINT, an ignored signal being inherited)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def interrupted(signum: int, after_kernel: float = 1.0, limit: float = 3.0):
    """A ``run`` that starts the report as a process, waits until a kernel runs,
    sends ``signum`` and checks: the process ends within ``limit`` seconds, no
    kernel (or other child) outlives it, no build folder is left and the last
    report is as it was."""

    def run(folder: Path, argv: list[str]) -> Outcome:
        if not Path("/proc").is_dir():
            pytest.skip("needs /proc to follow the kernels")
        before = files_of(folder / "report")
        # output to files, not pipes: a kernel holding a pipe would make the wait
        # last until it ended, hiding a kernel that outlives the command
        out, err = folder.parent / "stdout.txt", folder.parent / "stderr.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "cxresearch.cli", *argv],
                cwd=folder,
                stdout=stdout,
                stderr=stderr,
                preexec_fn=_default_signals,
            )
        try:
            deadline = time.monotonic() + 120
            while not kernels_of(process.pid):
                assert process.poll() is None, err.read_text()
                assert time.monotonic() < deadline, "no kernel started"
                time.sleep(0.1)
            time.sleep(after_kernel)  # the kernel is at work
            children = descendants(process.pid)
            sent = time.monotonic()
            process.send_signal(signum)
            process.wait(timeout=30)
            took = time.monotonic() - sent
            left = [pid for pid in children if alive(pid)]  # at once: a kernel's own
        finally:  # parent poller would end it within a second
            if process.poll() is None:
                process.kill()
        assert not left, "a kernel outlived the command"
        assert took < limit, f"took {took:.1f} s to stop"
        assert not [p.name for p in folder.iterdir() if ".building-" in p.name]
        assert files_of(folder / "report") == before, "the last report was changed"
        outcome = Outcome(process.returncode, out.read_text(), err.read_text())
        assert outcome.code == 128 + signum, outcome
        assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
        return outcome

    return run


@case(
    "signals-sigint-while-chapters-run",
    SIGNALS,
    "Ctrl-C while the chapters run: stopped within seconds, kernels killed, last report kept",
    errors=("stopped", "the last report was left as it was"),
    forbidden=("Traceback", "KeyboardInterrupt"),
    run=interrupted(signal.SIGINT),
    slow=True,
)
def _(folder: Path) -> list[str]:
    write(folder)
    previous_report(folder)
    return report_argv()


@case(
    "signals-sigterm-while-chapters-run",
    SIGNALS,
    "SIGTERM (a scheduler's stop) while the chapters run: stopped the way Ctrl-C stops",
    errors=("stopped", "the last report was left as it was"),
    forbidden=("Traceback", "Terminated"),
    run=interrupted(signal.SIGTERM, after_kernel=3.0),
    slow=True,
)
def _(folder: Path) -> list[str]:
    write(folder)
    previous_report(folder)
    return report_argv()


@case(
    "signals-sigint-busy-kernel",
    SIGNALS,
    "Ctrl-C while a chapter's cell runs for minutes: its kernel is killed, not waited for",
    errors=("stopped",),
    forbidden=("Traceback", "KeyboardInterrupt"),
    run=interrupted(signal.SIGINT, after_kernel=2.0),
    slow=True,
)
def _(folder: Path) -> list[str]:
    write(folder)
    previous_report(folder)
    chapters = tiny_chapters(folder, "import time\ntime.sleep(600)")
    return report_argv("report", "--notebooks", chapters.name)
