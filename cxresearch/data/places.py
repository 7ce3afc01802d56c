"""Where a study's files are, and what identifies them, for both engines.

:func:`read_codebook` reads ``study.yaml`` with the report's overrides;
:class:`DataPlaces` finds its data files (inside the study folder, or a folder
the user allowed) and names them as reports show them; :func:`parquet_identity`
identifies a Parquet file or folder of parts without reading its rows, so a
study of terabytes is keyed for the results cache by reading kilobytes.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..errors import Problem, StudyError
from .codebook import Codebook
from .readers import PARQUET_SUFFIXES, parquet_parts

DATA_DIRS_VARIABLE = "CXRESEARCH_DATA_DIRS"
"""The environment variable naming extra folders data files may be read from
(separated by ``os.pathsep``); ``cxresearch --data-dir DIR`` sets it, and report
kernels inherit it."""

PARQUET_MAGIC = b"PAR1"
"""The four bytes that end (and start) a Parquet file, after the footer's length."""
MAX_FOOTER_BYTES = 1 << 28
"""A footer longer than this (256 MiB) is no footer: the file is identified without it."""


def read_codebook(
    path: str | Path, *, min_base: int | None = None, brand: str | None = None
) -> Codebook:
    """The codebook at ``path`` (``study.yaml`` or its folder), with the
    ``min_base`` and ``brand`` overrides (report parameters) applied."""
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    codebook = Codebook.from_yaml(path)
    if min_base is None and brand is None:
        return codebook
    return replace(
        codebook,
        min_base=codebook.min_base if min_base is None else int(min_base),
        brand=codebook.brand if brand is None else str(brand),
    )


class DataPlaces:
    """Where a study's data files may be: inside the study folder, or inside a
    folder the user allowed (``data_dirs`` and ``CXRESEARCH_DATA_DIRS``).

    A path is resolved first (``..`` and symbolic links followed), so neither
    ``../../secret.csv`` nor a link inside the folder pointing elsewhere can
    read another file; a refused file is never opened. Files are named
    relative to the study folder (or to the allowed folder, under its name),
    never by an absolute path, since the name is shown in reports.
    """

    def __init__(self, codebook: Codebook, data_dirs: Iterable[str | Path]):
        self.codebook = codebook
        self.folder = codebook.folder.resolve()
        extra = [*data_dirs, *os.environ.get(DATA_DIRS_VARIABLE, "").split(os.pathsep)]
        self.roots = [Path(d).expanduser().resolve() for d in extra if str(d).strip()]

    def files(self) -> dict[str, Path]:
        """Every data file the codebook reads, by its codebook key
        (``responses``, ``events.file``, ``benchmark.file``)."""
        cb = self.codebook
        specs = {"responses": cb.responses}
        if cb.events is not None:
            specs["events.file"] = cb.events.file
        if cb.benchmark is not None:
            specs["benchmark.file"] = cb.benchmark.file
        return {key: self.find(written, key)[0] for key, written in specs.items()}

    def find(self, written: str, key: str) -> tuple[Path, str]:
        """The file (or folder of parts) a codebook key names, and its shown name."""
        target = self.codebook.folder / written
        resolved = target.resolve()
        name = self.name(written, resolved)
        if name is None:
            raise StudyError(Problem(str(self.codebook.path), self.refusal(written, target), key))
        if resolved.is_dir():
            for part in parquet_parts(resolved):
                if self.name(part.name, part.resolve()) is None:
                    message = self.refusal(f"{written}/{part.name}", target / part.name)
                    raise StudyError(Problem(str(self.codebook.path), message, key))
        return resolved, name

    def name(self, written: str, resolved: Path) -> str | None:
        """How reports name a file: relative to the study folder, or to the
        allowed folder holding it (under that folder's name); None outside."""
        if resolved.is_relative_to(self.folder):
            return resolved.relative_to(self.folder).as_posix() or "."
        for root in self.roots:
            if resolved.is_relative_to(root):
                return written if not Path(written).is_absolute() else _under(root, resolved)
        return None

    def refusal(self, written: str, target: Path) -> str:
        inside = Path(os.path.abspath(self.codebook.folder))
        linked = Path(os.path.abspath(target)).is_relative_to(inside)
        where = "is a link to a file outside" if linked else "is outside"
        return (
            f"the data file '{written}' {where} the study folder, so it is not read. Move "
            "it into the study folder, or allow its folder: the --data-dir DIR option "
            f"(cxresearch validate/report), the {DATA_DIRS_VARIABLE} environment variable, "
            "or load_study(..., data_dirs=[DIR])"
        )


def _under(root: Path, resolved: Path) -> str:
    return (Path(root.name) / resolved.relative_to(root)).as_posix()


def is_parquet(path: Path) -> bool:
    """A Parquet file (by its suffix) or a folder (of Parquet parts)."""
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def parquet_identity(path: Path) -> str:
    """SHA-256 identifying a Parquet file or folder of parts without reading its rows.

    Per part (sorted): its path relative to the folder, its size, its
    modification time in nanoseconds and the SHA-256 of its footer (the
    file's metadata: schema, row groups and their column statistics). A part
    rewritten, added, removed or renamed changes the identity; reading it
    costs a ``stat`` and the footer's kilobytes per part, whatever the rows.
    """
    folder = path if path.is_dir() else path.parent
    parts = parquet_parts(path) if path.is_dir() else [path]
    digest = hashlib.sha256(b"parquet;")
    for part in sorted(parts):
        stat = part.stat()
        where = part.relative_to(folder).as_posix()
        digest.update(f"{where}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        digest.update(hashlib.sha256(parquet_footer(part, stat.st_size)).digest())
    return digest.hexdigest()


def parquet_footer(part: Path, size: int) -> bytes:
    """A Parquet file's footer: the metadata bytes before its last eight
    (a 4-byte little-endian length, then ``PAR1``); empty when the file ends
    otherwise (the reader then says what is wrong with it)."""
    if size < 12:
        return b""
    with part.open("rb") as handle:
        handle.seek(size - 8)
        tail = handle.read(8)
        (length,) = struct.unpack("<I", tail[:4])
        if tail[4:] != PARQUET_MAGIC or not 0 < length <= min(size - 12, MAX_FOOTER_BYTES):
            return b""
        handle.seek(size - 8 - length)
        return handle.read(length)
