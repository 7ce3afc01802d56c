"""Each analysis once: results stored by what they were computed from, and reused.

A report runs seven chapter kernels and builds its summary page beside them;
most of them ask for the same analyses (the segmentation, the key drivers, the
strategy). :func:`memoised` wraps an analysis so that, while a cache folder is
active, a call returns the stored result of an identical earlier call, in this
process or in another one, and otherwise computes it once and stores it.

*Identical* means the same key, a SHA-256 over:

- the package version and a digest of the package's source files (a result of
  older code is never served);
- the function's module and name;
- every argument after binding to the signature with its defaults applied
  (``drivers(s)`` and ``drivers(s, n_boot=200)`` are one call), read by
  content: a study by its codebook, data frames, quality record and the
  tables the analysis reads (an analysis of survey answers does not depend on
  the web events); a data frame by its values, index, columns and types; an
  earlier result by the key it was stored under; a lazy (Dask) frame by the
  identity of the files it reads, registered by whoever read them
  (:func:`key_lazy_by`: a Dask study's loader keys its frames by each Parquet
  part's path, size, modification time and footer), never by computing it.

So a changed input recomputes exactly what depends on it, and a second report
on unchanged data computes nothing. Processes that ask for the same key at
once wait for the first (a file lock per key), so an analysis runs once per
report however many chapters need it. Results are written atomically (a
temporary file, then a rename): a killed run leaves no half-written result.

The cache is off unless a folder is active: :func:`use_cache` (a context
manager, or for the rest of a session) or the ``CXRESEARCH_CACHE`` environment
variable, which :func:`cxresearch.render_report` sets for its kernels.
Results are pickles: use a folder only you can write (it is created with mode
0700). A study's content digest is remembered per study object; a study
changed in place after an analysis must be loaded again to be seen as new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import os
import pickle
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ._version import __version__

ENVIRONMENT = "CXRESEARCH_CACHE"
"""The environment variable naming the active cache folder."""
KEY_ATTRIBUTE = "_cx_cache_key"
"""Where a stored (or just computed) result keeps its key, so that a later
analysis given it as an argument keys on it cheaply."""
STUDY_PARTS = ("codebook", "responses", "quality", "benchmark", "events")
"""A study's parts, all of which a key reads unless the analysis says otherwise."""
SURVEY_PARTS = ("codebook", "responses", "quality", "benchmark")
"""The parts an analysis of the survey answers reads (not the web events)."""

F = TypeVar("F", bound=Callable[..., Any])
_state = threading.local()


class Uncacheable(TypeError):
    """An argument the key cannot read (the call then runs uncached)."""


# -- the active folder --------------------------------------------------------
def active_folder() -> Path | None:
    """The cache folder in use: the one :func:`use_cache` set, else the
    ``CXRESEARCH_CACHE`` environment variable, else None (no cache)."""
    chosen = getattr(_state, "folder", _UNSET)
    if chosen is not _UNSET:
        return chosen
    if _session_folder is not _UNSET:
        return _session_folder
    value = os.environ.get(ENVIRONMENT)
    return Path(value) if value else None


_UNSET: Any = object()
_session_folder: Any = _UNSET


@contextlib.contextmanager
def use_cache(folder: str | Path | None) -> Iterator[Path | None]:
    """Store and reuse results in ``folder`` inside the ``with`` block (None:
    no cache in the block). In this thread only; the folder is created."""
    previous = getattr(_state, "folder", _UNSET)
    _state.folder = _prepare(folder)
    try:
        yield _state.folder
    finally:
        if previous is _UNSET:
            del _state.folder
        else:
            _state.folder = previous


def set_cache(folder: str | Path | None) -> Path | None:
    """Store and reuse results in ``folder`` for the rest of the session, in
    every thread (None: back to the environment variable's folder, if any)."""
    global _session_folder
    _session_folder = _UNSET if folder is None else _prepare(folder)
    return None if folder is None else _session_folder


def _prepare(folder: str | Path | None) -> Path | None:
    if folder is None:
        return None
    path = Path(folder).expanduser().resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


# -- the decorator ------------------------------------------------------------
def memoised(
    function: F | None = None,
    *,
    parts: tuple[str, ...] = STUDY_PARTS,
    normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> F | Callable[[F], F]:
    """Store and reuse ``function``'s results while a cache folder is active.

    Parameters
    ----------
    parts : tuple of str
        The parts of a study argument the function reads (:data:`STUDY_PARTS`
        by default; :data:`SURVEY_PARTS` for an analysis of the answers only).
    normalise : callable, optional
        Rewrites the bound arguments before keying, so that calls asking for
        the same thing in different words share a key (e.g. ``outcome=None``
        and the outcome it stands for).
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            folder = active_folder()
            if folder is None:
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            if normalise is not None:
                arguments = normalise(arguments)
            try:
                key = call_key(name, arguments, parts)
            except Uncacheable:
                return fn(*args, **kwargs)
            return stored_or_computed(folder, name, key, lambda: fn(*args, **kwargs))

        wrapper.__wrapped_uncached__ = fn  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate(function) if function is not None else decorate


def stored_or_computed(folder: Path, name: str, key: str, compute: Callable[[], Any]):
    """The result stored under ``key``, or computed (once across processes:
    the others wait on the key's lock) and stored."""
    from filelock import FileLock  # third-party, loaded when a cache is in use

    path = folder / f"{name.rsplit('.', 1)[-1].lstrip('_')}-{key[:32]}.pickle"
    with FileLock(str(path) + ".lock"):
        result = _load(path)
        if result is _MISSING:
            started = time.perf_counter()
            result = compute()
            _store(path, result)
            _record(folder, name, key, time.perf_counter() - started)
    _tag(result, key)
    return result


_MISSING: Any = object()


def _load(path: Path):
    """The stored result, or :data:`_MISSING` (absent, or unreadable: then removed)."""
    try:
        with path.open("rb") as handle:
            result = pickle.load(handle)
    except FileNotFoundError:
        return _MISSING
    except Exception:  # noqa: BLE001 - a broken entry is recomputed, never served
        path.unlink(missing_ok=True)
        return _MISSING
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest by prune()
    return result


def _store(path: Path, result) -> None:
    """Write atomically: a temporary file in the folder, then a rename."""
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable result is simply not stored
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


LEDGER = "computed.tsv"
"""The folder's record of every computation (time, function, key, seconds,
process id), one line each: what ran, where the time went, and proof that
nothing ran twice."""


def _record(folder: Path, name: str, key: str, seconds: float) -> None:
    line = f"{time.time():.3f}\t{name}\t{key}\t{seconds:.3f}\t{os.getpid()}\n"
    with contextlib.suppress(OSError), (folder / LEDGER).open("a", encoding="utf-8") as out:
        out.write(line)  # one short append: whole lines even from several processes


def computed(folder: str | Path) -> list[dict[str, Any]]:
    """The computations recorded in a cache folder (:data:`LEDGER`), oldest first."""
    path = Path(folder) / LEDGER
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        when, name, key, seconds, pid = line.split("\t")
        rows.append(
            {"time": float(when), "function": name, "key": key, "seconds": float(seconds),
             "pid": int(pid)}
        )  # fmt: skip
    return rows


def _tag(result, key: str) -> None:
    with contextlib.suppress(AttributeError, TypeError):
        object.__setattr__(result, KEY_ATTRIBUTE, key)


# -- keys -----------------------------------------------------------------------
@functools.cache
def source_digest() -> str:
    """SHA-256 of the package's source files (code and the data it ships), so a
    changed package never serves results of the old code."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".yaml", ".j2"} and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def call_key(name: str, arguments: dict[str, Any], parts: tuple[str, ...] = STUDY_PARTS) -> str:
    """The key of a call: the source digest, the function and its arguments by content."""
    digest = hashlib.sha256()
    digest.update(source_digest().encode())
    digest.update(name.encode())
    for argument, value in arguments.items():
        digest.update(argument.encode())
        _feed(digest, value, parts)
    return digest.hexdigest()


def _feed(digest, value, parts: tuple[str, ...]) -> None:
    """Add ``value``'s content to ``digest``, tagged by its type."""
    if _is_lazy(value):  # before any attribute is asked: a Dask frame reads them as columns
        digest.update(b"lazy:" + lazy_key(value).encode())
        return
    key = getattr(value, KEY_ATTRIBUTE, None)
    if _is_study(value):  # by content, however it was loaded (a stored load is tagged too)
        digest.update(b"study:" + study_digest(value, parts).encode())
    elif isinstance(key, str):
        digest.update(b"result:" + key.encode())
    elif value is None or isinstance(value, bool | int | float | complex | str | bytes):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, Path):
        digest.update(f"path:{value};".encode())
    elif isinstance(value, list | tuple):
        digest.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item in value:
            _feed(digest, item, parts)
    elif isinstance(value, dict):
        digest.update(f"dict[{len(value)}]".encode())
        for item_key in sorted(value, key=repr):
            _feed(digest, item_key, parts)
            _feed(digest, value[item_key], parts)
    elif isinstance(value, set | frozenset):
        _feed(digest, sorted(value, key=repr), parts)
    elif isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        digest.update(b"pandas:" + frame_digest(value).encode())
    elif isinstance(value, np.ndarray):
        _feed_array(digest, value)
    elif isinstance(value, np.generic):
        digest.update(f"{value.dtype}:{value!r};".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"dataclass:{type(value).__module__}.{type(value).__qualname__}".encode())
        for item in dataclasses.fields(value):
            digest.update(item.name.encode())
            _feed(digest, getattr(value, item.name), parts)
    else:
        try:
            digest.update(b"pickle:" + hashlib.sha256(pickle.dumps(value, protocol=5)).digest())
        except Exception as exc:  # noqa: BLE001 - whatever cannot be pickled cannot be keyed
            raise Uncacheable(f"cannot key a {type(value).__name__}") from exc


def _feed_array(digest, array: np.ndarray) -> None:
    digest.update(f"ndarray:{array.dtype.str}{array.shape}".encode())
    if array.dtype.hasobject:
        digest.update(pickle.dumps(array.tolist(), protocol=5))
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def frame_digest(frame: pd.DataFrame | pd.Series | pd.Index) -> str:
    """SHA-256 of a pandas object's values, index, names and types."""
    digest = hashlib.sha256()
    if isinstance(frame, pd.Index):
        frame = frame.to_series(index=pd.RangeIndex(len(frame)))
    names = list(frame.columns) if isinstance(frame, pd.DataFrame) else [frame.name]
    digest.update(repr((type(frame).__name__, names, frame.index.names)).encode())
    dtypes = frame.dtypes if isinstance(frame, pd.DataFrame) else [frame.dtype]
    digest.update(repr([str(d) for d in dtypes]).encode())
    if len(frame):
        rows = pd.util.hash_pandas_object(frame, index=True)  # one 64-bit hash a row
        digest.update(np.ascontiguousarray(rows.to_numpy()).tobytes())
    return digest.hexdigest()


def _is_study(value) -> bool:
    return all(hasattr(value, name) for name in ("codebook", "responses", "quality")) and (
        dataclasses.is_dataclass(value)
    )


_study_digests: dict[tuple[int, tuple[str, ...]], str] = {}
_lazy_keys: dict[int, str] = {}


def _is_lazy(value) -> bool:
    """A Dask collection (a lazy frame, series, array or delayed value)."""
    return hasattr(type(value), "__dask_graph__")


def key_lazy_by(collection, identity: str) -> None:
    """Key a lazy collection by ``identity``: what it was read from (the data
    files' identities), stated by the code that read it. Remembered while the
    collection lives; a collection derived from it is a new object, unkeyed."""
    memo = id(collection)
    if memo not in _lazy_keys:
        weakref.finalize(collection, _lazy_keys.pop, memo, None)
    _lazy_keys[memo] = identity


def lazy_key(collection) -> str:
    """The identity :func:`key_lazy_by` gave ``collection``; :class:`Uncacheable`
    when none was given (computing it to read its content is what a lazy
    collection is for avoiding: the call then runs uncached)."""
    identity = _lazy_keys.get(id(collection))
    if identity is None:
        raise Uncacheable(
            f"cannot key a lazy {type(collection).__name__} not read by a study's loader"
        )
    return identity


def study_digest(study, parts: tuple[str, ...] = STUDY_PARTS) -> str:
    """SHA-256 of a study's ``parts`` by content, remembered per study object."""
    memo = (id(study), parts)
    known = _study_digests.get(memo)
    if known is not None:
        return known
    digest = hashlib.sha256()
    engine = getattr(study, "engine", "pandas")
    if engine != "pandas":  # another engine's results may differ (a bootstrap's draws)
        digest.update(f"engine:{engine};".encode())
    for part in parts:
        digest.update(part.encode())
        _feed(digest, getattr(study, part, None), parts)
    value = digest.hexdigest()
    if not _study_digests.get(memo):
        weakref.finalize(study, _study_digests.pop, memo, None)
    _study_digests[memo] = value
    return value


# -- housekeeping -------------------------------------------------------------
def prune(folder: str | Path, *, max_bytes: int = 1 << 30, max_age_days: float = 30) -> int:
    """Remove stored results unused for ``max_age_days``, then the least
    recently used until the folder holds at most ``max_bytes``; stale lock and
    temporary files go too. Returns the number of files removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    now = time.time()
    entries = []
    removed = 0
    for path in folder.iterdir():
        try:
            stat = path.stat()
        except OSError:
            continue
        stale = now - stat.st_mtime > max_age_days * 86400
        is_result = path.suffix == ".pickle"
        if path.name == LEDGER:
            if stat.st_size > 1 << 20:  # keep the last computations only
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                path.write_text("".join(lines[-2000:]), encoding="utf-8")
            continue
        if stale or (not is_result and now - stat.st_mtime > 86400):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        elif is_result:
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
            total -= size
    return removed


def default_folder() -> Path:
    """Where reports keep their results between runs: ``CXRESEARCH_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/cxresearch``, else ``~/.cache/cxresearch``."""
    chosen = os.environ.get("CXRESEARCH_CACHE_DIR")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cxresearch"
