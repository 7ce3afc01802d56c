"""The report folder: checked before any chapter runs, built beside, swapped in.

A report is built in a hidden sibling folder ``.NAME.building-PID-XXXX`` and
swapped in by two renames (the old report goes to ``.NAME.old-PID-XXXX``, then
is removed), so a failed or stopped run never touches the last good report.
The build folder takes the umask's permissions (``mkdtemp`` makes it 0700);
a later run removes the hidden folders a killed run could not.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputFolderError

BUILDING, OLD = ".building-", ".old-"
"""The infixes of the hidden folders beside a report: ``.NAME.building-PID-XXXX``
(a run in progress) and ``.NAME.old-PID-XXXX`` (the previous report, while swapped out)."""


def check_output_folder(out_dir: str | Path, study_path: Path) -> Path:
    """The report folder as an absolute path, once it is safe to build and swap in.

    Refused, with nothing touched: a file; the study's folder or a folder
    holding it (replacing the report would move the study); a non-empty folder
    that is not a report (no ``index.html``: replacing it would delete what it
    holds); a folder that cannot be made or written.
    """
    out = Path(out_dir).resolve()
    study_folder = study_path if study_path.is_dir() else study_path.parent
    if out == study_folder or out in study_folder.parents:
        raise OutputFolderError(
            f"the report folder {out} holds the study ({study_folder}): replacing the "
            "report would move the study; give the report a folder of its own "
            "(e.g. reports/NAME)"
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(
            f"the report folder {out} is a file, not a folder; give a folder "
            "(the file was left untouched)"
        )
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise OutputFolderError(
            f"the report folder {out} is not a report (it has no index.html): rendering "
            "would replace everything in it; give a new or an empty folder"
        )
    existing = out.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(
            f"cannot make the report folder {out}: {existing} is a file, not a folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"cannot write the report folder {out}: permission denied on {existing}"
        )
    return out


def start_build(out_dir: Path, started: float) -> Path:
    """Make the hidden build folder beside ``out_dir`` (with the umask's
    permissions, not ``mkdtemp``'s 0700) and remove stale ones."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{out_dir.name}{BUILDING}{os.getpid()}-"
        build = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    except PermissionError as exc:
        where = exc.filename or out_dir.parent
        raise OutputFolderError(
            f"cannot write the report folder {out_dir}: permission denied on {where}"
        ) from None
    except OSError as exc:
        raise OutputFolderError(
            f"cannot write the report folder {out_dir}: {exc.strerror or exc}"
        ) from None
    build.chmod(0o777 & ~current_umask())
    remove_stale_builds(out_dir, started, keep=build)
    return build


def current_umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_builds(out_dir: Path, before: float, keep: Path | None = None) -> list[Path]:
    """Remove the hidden folders an interrupted or killed run left beside
    ``out_dir``: ``.NAME.building-*`` and ``.NAME.old-*`` folders last changed
    before ``before`` (a time stamp) whose run is over (the process id in the
    name is not running). Only folders with this report's prefix are touched.
    Returns the folders removed.

    A run killed between the two renames of :func:`swap_into_place` leaves no
    report but the previous one in ``.NAME.old-*``: that one is put back."""
    infixes = "|".join(map(re.escape, (BUILDING, OLD)))
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}({infixes})(?:(\d+)-)?")
    stale = []
    for path in sorted(out_dir.parent.iterdir(), key=_changed, reverse=True):
        match = pattern.match(path.name)
        if match is None or path == keep or path.is_symlink() or not path.is_dir():
            continue
        pid = int(match.group(2)) if match.group(2) else None
        if _changed(path) < before and not (pid is not None and _running(pid)):
            stale.append((path, match.group(1)))
    removed = []
    for path, infix in stale:
        if infix == OLD and not out_dir.exists() and (path / "index.html").is_file():
            path.rename(out_dir)  # the last good report, swapped out when the run died
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _changed(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _running(pid: int) -> bool:
    """Whether a process of this id is running (POSIX; elsewhere: assume not)."""
    if os.name != "posix":
        return False  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_build(build: Path, seconds: float = 1.0) -> None:
    """Remove a build folder, trying again for up to ``seconds`` while a
    stopping chapter thread may still write its interrupted notebook into it
    (a removal that meets a file written meanwhile leaves the folder behind)."""
    deadline = time.monotonic() + seconds
    while True:
        shutil.rmtree(build, ignore_errors=True)
        if not build.exists() or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def swap_into_place(build: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by the finished ``build`` folder (renames on one file system)."""
    old = None
    if out_dir.exists():
        old = build.with_name(build.name.replace(BUILDING, OLD))
        out_dir.rename(old)
    build.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM during a step that must not be split (the two
    renames of :func:`swap_into_place`), then deliver the first one caught.
    Outside the main thread (where no handler can be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    names = [signal.SIGINT, *([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])]
    previous = {name: signal.signal(name, _recorder(caught)) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(name, signal.SIG_DFL if handler is None else handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler in (signal.SIG_DFL, None):
                signal.raise_signal(caught[0])


def _recorder(caught: list[int]):
    def record(number: int, _frame) -> None:
        caught.append(number)

    return record
