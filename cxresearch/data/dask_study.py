"""A study read lazily with Dask: :func:`load_dask_study` and :class:`DaskStudy`.

For studies larger than memory (tens of millions of respondents): the responses
are a Parquet file or a folder of Parquet parts, read by
:func:`dask.dataframe.read_parquet` one partition at a time. Each partition is
checked and typed by the very code of the in-memory path
(:mod:`cxresearch.data.checks`) with its rows numbered globally, so a bad value
in the third part is reported at its row in the whole file, in the same words.

What a partition alone cannot decide is decided over all of them, from small
per-partition summaries:

- the quality counts (rows, blank rows, "don't know" codes, unanswered answers,
  "NA"-like text) are sums;
- the categories of a category column are the union of the partitions'
  (sorted, waves in the codebook's or natural order), so every partition has
  the same categories as the in-memory study;
- duplicate respondent ids are found from each partition's id range (none
  when the ranges are apart and each is increasing), else by counting the
  ids per hash partition: only the repeated ids come back;
- the weights' spread (largest / smallest weight, Kish's effective size
  ``(sum w)^2 / sum w^2``, computed as ``(sum_p m_p S1_p)^2 / sum_p m_p^2 S2_p``
  from each partition's largest weight ``m_p``, ``S1_p = sum w / m_p`` and
  ``S2_p = sum (w / m_p)^2``, so that no sum overflows) and the study's brand
  are checked once for the whole file.

``study.responses`` is a lazy :class:`dask.dataframe.DataFrame`: nothing is held
in memory but the summaries; computing from it checks each partition again as
it is read (the checks are cheap next to the reading).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..cache import key_lazy_by
from ..errors import MAX_ROWS_SHOWN, Problem, StudyError
from ._values import scheduler_problem
from .base import StudyBase
from .checks import (
    MAX_WEIGHT_RATIO,
    WARN_WEIGHT_RATIO,
    _blank_rows,
    _ResponsesChecker,
    check_benchmark,
    check_events,
)
from .codebook import Codebook
from .dask_workers import prepare_workers
from .places import DataPlaces, parquet_identity, read_codebook
from .quality import DataQuality
from .readers import (
    NA_LIKE,
    PARQUET_SUFFIXES,
    RawTable,
    _parquet_schema,
    check_part_schemas,
    parquet_parts,
    read_table,
)
from .waves import natural_order

if TYPE_CHECKING:
    import dask.dataframe as dd

dask = LazyModule("dask")  # imported when a Dask study is first loaded
_dd = LazyModule("dask.dataframe")
_distributed = LazyModule("distributed")  # only for a scheduler's address

ENGINE = "dask"
_INVISIBLE_NOTE = re.compile(
    r"^(column '.*': invisible formatting characters .* removed from )"
    r"([\d,]+)( values)$"
)
_STUDY_CODES_NOTE = "the study's \"don't know\" codes ("
_WEIGHT_RATIO_ERROR = "the largest weight is "
_DUPLICATE_IDS = "duplicate respondent ids"


@dataclass(frozen=True)
class DaskStudy(StudyBase):
    """A study whose responses are a lazy Dask data frame (:func:`load_dask_study`).

    The same attributes and methods as :class:`~cxresearch.data.study.Study`
    that analyses use (``codebook``, ``responses``, ``events``, ``quality``,
    ``benchmark``, ``name``, ``brand``, ``n``, ``weights()``, ``outcome()``,
    ``has()``, ``supports()``, ``resolve_column()``: those reading only the
    codebook are :class:`~cxresearch.data.base.StudyBase`'s, shared with
    ``Study``), with ``engine = "dask"``; ``compute(...)`` computes Dask
    collections on the study's scheduler.

    Attributes
    ----------
    responses : dask.dataframe.DataFrame
        Indexed by respondent id, typed as the in-memory study (the same
        dtypes and, for categories, the same categories in every partition).
    events : dask.dataframe.DataFrame or None
    scheduler : str or None
        ``None`` (Dask's default), a local scheduler's name (``"threads"``,
        ``"processes"``, ``"synchronous"``) or a ``distributed`` scheduler's address.
    distinct : dict
        Column -> its distinct values (the brand and wave columns), as the
        whole-column questions of :meth:`supports` need them.
    sources : dict
        Codebook key (``"responses"``, ``"events.file"``) -> the identity of the
        Parquet data it was read from when it was checked
        (:func:`~cxresearch.data.places.parquet_identity`): what the results
        cache keys the lazy frames by, never their rows.
    """

    codebook: Codebook
    responses: dd.DataFrame
    events: dd.DataFrame | None
    quality: DataQuality
    benchmark: pd.DataFrame | None = None
    scheduler: str | None = None
    distinct: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    client: object | None = field(default=None, repr=False, compare=False)
    engine: str = ENGINE
    typing: _Typing | None = field(default=None, repr=False, compare=False)

    def frame(self, columns: Iterable[str | None]) -> dd.DataFrame:
        """The lazy responses restricted to ``columns`` (None and repeats
        ignored; indexed by respondent id): equal to ``responses[columns]``,
        but each partition reads only these columns (and the ids) from Parquet
        and checks and types only them, with the whole study's categories.

        Falls back to ``responses[columns]`` where that is not possible: the
        responses replaced (filtered, a column added), blank rows in the data
        (a blank row is decided on every column), a column the Parquet data
        lack."""
        wanted = list(dict.fromkeys(c for c in columns if c is not None))
        typing = self.typing
        if typing is None or typing.responses is not self.responses:
            return self.responses[wanted]
        return typing.frame(wanted)

    @property
    def n(self) -> int:
        return self.quality.rows_kept

    def distinct_count(self, column: str) -> int:
        """From the distinct values found while loading (the brand and wave columns)."""
        return len(self.distinct.get(column, ()))

    def has_comments(self, columns: list[str]) -> bool:
        """False: the text analyses (themes, sentiment, quotes) read comments in
        memory, so a Dask study offers none of them."""
        return False

    def compute(self, *collections):
        """``dask.compute(*collections)`` on the study's scheduler."""
        return dask.compute(*collections, scheduler=self.client or self.scheduler)

    def detached(self) -> DaskStudy:
        """The study without its scheduler and client (as the results cache stores it)."""
        return replace(self, scheduler=None, client=None)

    def attached(self, scheduler: str | None, client: object | None) -> DaskStudy:
        """The study computing on ``scheduler`` (through ``client`` for an
        address), its lazy frames keyed for the results cache by their sources."""
        study = replace(self, scheduler=scheduler, client=client)
        study.key_frames()
        return study

    def key_frames(self) -> None:
        """Key the lazy frames by the identity of the files they read
        (:func:`cxresearch.cache.key_lazy_by`); a frame derived from them later
        (filtered, say) has no key, and analyses of it run uncached."""
        for role, frame in (("responses", self.responses), ("events.file", self.events)):
            if frame is not None and role in self.sources:
                key_lazy_by(frame, f"dask:{role}:{self.sources[role]}")

    def close(self) -> None:
        """Close the connection to a ``distributed`` scheduler, if the study opened one."""
        if self.client is not None:
            self.client.close()


@dataclass(frozen=True)
class _Typing:
    """How the loader typed the responses: what :meth:`DaskStudy.frame` needs to
    type some of their columns the same way."""

    source: _LazyParquet
    codebook: Codebook
    offsets: tuple[int, ...]
    fixes: dict
    meta: pd.DataFrame
    blank_rows: bool
    responses: dd.DataFrame

    def frame(self, columns: list[str]) -> dd.DataFrame:
        read = [*columns, *([self.codebook.id] if self.codebook.id is not None else [])]
        read = list(dict.fromkeys(read))
        known = set(self.source.frame.columns)
        if self.blank_rows or not set(read) <= known or not set(columns) <= set(self.meta):
            return self.responses[columns]
        parts = self.source.columns(read)
        if parts is None:
            return self.responses[columns]
        meta = self.meta[columns]
        fixes = {c: t for c, t in self.fixes.items() if c in columns}
        typed = [
            dask.delayed(_typed_columns)(
                part, self.source.parts, self.codebook, offset, fixes, meta, columns
            )
            for part, offset in zip(parts, self.offsets, strict=True)
        ]
        return _dd.from_delayed(typed, meta=meta, verify_meta=False)


def load_dask_study(
    path: str | Path,
    *,
    min_base: int | None = None,
    brand: str | None = None,
    data_dirs: Iterable[str | Path] = (),
    scheduler: str | None = None,
) -> DaskStudy:
    """Read and check a study lazily with Dask; return a :class:`DaskStudy`.

    ``cx.load_study(path, engine="dask")`` calls this (and stores the checks'
    outcome in the results cache, when one is active).

    Parameters
    ----------
    path, min_base, brand, data_dirs
        As :func:`cxresearch.load_study` (the same data-folder rule: data files
        outside the study folder only from allowed folders).
    scheduler : str, optional
        A ``distributed`` scheduler's address (``"tcp://127.0.0.1:8786"``) or a
        local scheduler's name (``"threads"``, ``"processes"``,
        ``"synchronous"``); None: the codebook's ``scheduler:``, else Dask's default.

    Raises
    ------
    StudyError
        As :func:`cxresearch.load_study`, with rows numbered in the whole data
        set; also when a data file is not Parquet (the Dask engine reads Parquet).
    """
    codebook = read_codebook(path, min_base=min_base, brand=brand)
    scheduler = chosen_scheduler(codebook, scheduler)
    return read_dask_study(codebook, DataPlaces(codebook, data_dirs), scheduler, connect(scheduler))


def chosen_scheduler(codebook: Codebook, scheduler: str | None) -> str | None:
    """The scheduler a Dask load computes on: the argument, else the codebook's
    ``scheduler:``; a :class:`StudyError` naming the codebook for a bad one."""
    problem = scheduler_problem(scheduler)
    if problem is not None:
        message = f"the scheduler asked for (scheduler={scheduler!r}) {problem}"
        raise StudyError(Problem(str(codebook.path), message, "scheduler"))
    return scheduler.strip() if scheduler is not None else codebook.scheduler


def read_dask_study(
    codebook: Codebook,
    places: DataPlaces,
    scheduler: str | None,
    client: object | None = None,
    sources: Mapping[str, str] | None = None,
) -> DaskStudy:
    """Read and check the study's data lazily, computing the checks on
    ``scheduler`` (through ``client`` for an address: closed if the data fail
    their checks). ``sources``: the identities of the Parquet data
    (:func:`source_identities`) when known."""
    sources = dict(source_identities(places) if sources is None else sources)  # before reading
    try:
        study = _read(codebook, places, _Runner(scheduler, client))
    except BaseException:
        if client is not None:
            client.close()
        raise
    study = replace(study, scheduler=scheduler, client=client, sources=sources)
    study.key_frames()
    return study


def _read(codebook: Codebook, places: DataPlaces, run: _Runner) -> DaskStudy:
    file, name = places.find(codebook.responses, "responses")
    source = _LazyParquet.open(file, name)
    responses, quality, distinct, typing = _ResponsesLoader(codebook, source, run).load()
    events = None
    if codebook.events is not None:
        file, name = places.find(codebook.events.file, "events.file")
        events, quality = _load_events(codebook, _LazyParquet.open(file, name), quality, run)
    benchmark = None
    if codebook.benchmark is not None:  # a small file of aggregates: read in memory
        spec = codebook.benchmark
        file, name = places.find(spec.file, "benchmark.file")
        benchmark = check_benchmark(
            read_table(file, (spec.brand, spec.measure), name=name), codebook
        )
    return DaskStudy(
        codebook=codebook,
        responses=responses,
        events=events,
        quality=quality,
        benchmark=benchmark,
        distinct=distinct,
        typing=typing,
    )


LAZY_ROLES = ("responses", "events.file")
"""The codebook keys of the data a Dask study reads lazily (the benchmark, a small
file of aggregates, is read in memory)."""


def source_identities(places: DataPlaces) -> dict[str, str]:
    """The identity of each Parquet file or folder the study reads lazily, by
    codebook key (empty for a file that is missing or not Parquet: the loader
    then says what is wrong with it)."""
    try:
        files = places.files()
        return {
            role: parquet_identity(path)
            for role, path in files.items()
            if role in LAZY_ROLES and (path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES)
        }
    except (StudyError, OSError):
        return {}


def connect(scheduler: str | None):
    """A ``distributed`` client for a scheduler address, its workers prepared
    (:func:`~cxresearch.data.dask_workers.prepare_workers`); None for local schedulers."""
    if scheduler is None or "://" not in scheduler:
        return None
    client = _distributed.Client(scheduler, set_as_default=False)
    prepare_workers(client)
    return client


@dataclass(frozen=True)
class _Runner:
    scheduler: str | None
    client: object | None

    def __call__(self, *collections):
        return dask.compute(*collections, scheduler=self.client or self.scheduler)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """What the in-memory reader records of a data file (the shown name, the
    header, the read note): all a partition's check needs besides its rows."""

    file: str
    header: tuple[str, ...]
    note: str

    def raw(self, frame: pd.DataFrame, offset: int) -> RawTable:
        """A partition as the checks take it, rows numbered from ``offset``."""
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(offset, offset + len(frame))
        return RawTable(frame, self.file, "parquet", None, (self.note,), header=self.header)


@dataclass(frozen=True)
class _LazyParquet:
    """A Parquet file or folder of parts as a lazy frame, and its :class:`_Parts`."""

    frame: dd.DataFrame
    parts: _Parts
    paths: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return self.parts.file

    @property
    def note(self) -> str:
        return self.parts.note

    def raw(self, frame: pd.DataFrame, offset: int) -> RawTable:
        return self.parts.raw(frame, offset)

    @classmethod
    def open(cls, path: Path, shown: str) -> _LazyParquet:
        if not path.exists():
            raise StudyError(Problem(shown, "the data file does not exist"))
        if path.is_dir():
            parts = parquet_parts(path)
            if not parts:
                raise StudyError(
                    Problem(
                        shown,
                        "this is a folder without Parquet parts (*.parquet): a folder given "
                        "as a data file must hold the parts of one Parquet data set",
                    )
                )
            _check_schemas(parts, shown)
            note = f"read as a folder of {len(parts)} Parquet parts"
        elif path.suffix.lower() in PARQUET_SUFFIXES:
            parts, note = [path], "read as Parquet"
            _parquet_schema(path, shown)
        else:
            raise StudyError(
                Problem(
                    shown,
                    f"the Dask engine reads Parquet (a .parquet file or a folder of parts), "
                    f"not '{path.suffix or path.name}' files: convert the file once (for "
                    "example pandas.read_csv(...).to_parquet(...)) or load the study with "
                    "engine='pandas'",
                )
            )
        header = tuple(_parquet_schema(parts[0], shown).names)
        try:
            # plain pandas dtypes, as pyarrow's to_pandas gives the in-memory reader
            with dask.config.set({"dataframe.convert-string": False}):
                frame = _dd.read_parquet([str(p) for p in parts])
        except Exception as exc:  # the reader's own message, under our file name
            raise StudyError(Problem(shown, f"the file cannot be read: {exc}")) from None
        return cls(frame, _Parts(shown, header, note), tuple(str(p) for p in parts))

    def columns(self, columns: list[str]) -> list:
        """The parts as delayed frames of ``columns`` only (read from Parquet with
        those columns), one per partition of :attr:`frame`; None when the
        reader would split the data into other partitions."""
        try:
            with dask.config.set({"dataframe.convert-string": False}):
                frame = _dd.read_parquet(list(self.paths), columns=columns)
        except Exception:  # (the data changed since they were checked)
            return None
        if frame.npartitions != self.frame.npartitions:
            return None
        return list(frame.to_delayed(optimize_graph=False))  # (never fused)


def _check_schemas(parts: list[Path], shown: str) -> None:
    """Every part has the columns and kinds of values of the first (the rule of
    the in-memory reader, in its words)."""
    check_part_schemas(parts, shown)


# --- one partition -------------------------------------------------------------------


@dataclass
class _PartSummary:
    """What the loader keeps of one checked partition (small, whatever its size)."""

    rows_read: int
    blank: int = 0
    problems: tuple[Problem, ...] = ()
    quality: DataQuality | None = None
    study_codes_found: dict[str, int] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    distinct: dict[str, list[str]] = field(default_factory=dict)
    weights: tuple[int, float, float, float, float] | None = None  # n, min, max, S1, S2
    meta: pd.DataFrame | None = None

    @property
    def typed(self) -> bool:
        return self.quality is not None


def _check_part(
    source: _Parts, frame: pd.DataFrame, offset: int, codebook: Codebook
) -> tuple[_ResponsesChecker | None, pd.DataFrame | None, DataQuality | None, int]:
    """Check one partition with the in-memory checks: (checker, typed rows,
    quality, blank rows); no checker for an empty or all-blank partition."""
    raw = source.raw(frame, offset)
    if len(raw.frame) == 0 or raw.frame.shape[1] == 0:
        return None, None, None, 0
    blank = int(_blank_rows(raw.frame).sum())
    if blank == len(raw.frame):
        return None, None, None, blank
    checker = _ResponsesChecker(raw, codebook)
    out, quality = checker.run()
    return checker, out, quality, blank


def _summarise(frame: pd.DataFrame, source: _Parts, codebook: Codebook) -> _PartSummary:
    """Check a partition (rows numbered from 0: problems are renumbered later)."""
    try:
        checker, out, quality, blank = _check_part(source, frame, 0, codebook)
    except StudyError as error:
        return _PartSummary(len(frame), problems=error.problems)
    if checker is None:
        return _PartSummary(len(frame), blank=blank)
    summary = _PartSummary(
        len(frame),
        blank=blank,
        quality=quality,
        study_codes_found=dict(checker.study_codes_found),
        dtypes={c: str(out[c].dtype) for c in out.columns},
        categories={
            c: [str(v) for v in out[c].cat.categories]
            for c in out.columns
            if isinstance(out[c].dtype, pd.CategoricalDtype)
        },
        distinct={
            c: [str(v) for v in out[c].dropna().unique()]
            for c in (codebook.brand_column, codebook.wave)
            if c is not None and c in out
        },
        meta=out.iloc[:0],
    )
    if codebook.weight is not None and codebook.weight in out:
        w = out[codebook.weight].to_numpy(dtype=float)
        top = float(w.max())
        scaled = w / top
        summary.weights = (len(w), float(w.min()), top, float(scaled.sum()), float(scaled @ scaled))
    return summary


def _typed_part(
    frame: pd.DataFrame,
    source: _Parts,
    codebook: Codebook,
    offsets: tuple[int, ...],
    fixes: dict[str, pd.api.extensions.ExtensionDtype | str],
    meta: pd.DataFrame,
    partition_info=None,
) -> pd.DataFrame:
    """One partition checked, typed and given the study-wide dtypes (categories)."""
    number = 0 if partition_info is None else partition_info["number"]
    checker, out, _, _ = _check_part(source, frame, offsets[number], codebook)
    if checker is None:
        return meta
    return out.astype(fixes) if fixes else out


def _typed_columns(
    frame: pd.DataFrame,
    source: _Parts,
    codebook: Codebook,
    offset: int,
    fixes: dict,
    meta: pd.DataFrame,
    columns: list[str],
) -> pd.DataFrame:
    """Some columns of one partition (read with its ids), each checked and typed
    by the in-memory check of its role (as :meth:`_ResponsesChecker.typed` does),
    indexed by id, given the study-wide dtypes. For a partition without blank
    rows (a blank row is decided on all columns)."""
    if len(frame) == 0:
        return meta
    raw = source.raw(frame, offset)
    rows = raw.frame.set_axis([str(c) for c in raw.frame.columns], axis=1)
    checker = _ResponsesChecker(raw, codebook)
    out = pd.DataFrame({c: _typed_column(checker, rows, c) for c in columns}, index=rows.index)
    out.index = checker.ids(rows)
    if checker.problems:  # (the data changed since they were checked)
        raise StudyError(checker.problems)
    return out.astype(fixes) if fixes else out


def _typed_column(checker: _ResponsesChecker, frame: pd.DataFrame, column: str) -> pd.Series:
    """One column checked and typed as :meth:`_ResponsesChecker.typed` types it
    (the last of its roles there, as there)."""
    cb = checker.codebook
    scale, binary = cb.scale_items(), cb.binary_items()
    if column in checker.text_columns():
        return checker.blank_na_like(frame[column], column).astype("string")
    if column in checker.category_columns():
        values = checker.category(frame[column], column)
        return checker.ordered_waves(values) if column == cb.wave else values
    if column == cb.weight:
        return checker.weights(frame[column])
    if column in {op.column for op in cb.operational}:
        return checker.operational(frame[column], column)
    if column in binary:
        return checker.binary_values(checker.blank_na_like(frame[column], column), binary[column])
    return checker.scale_values(checker.blank_na_like(frame[column], column), scale[column])


def _stripped_ids(frame: pd.DataFrame, column: str) -> pd.Series:
    """Respondent ids as :meth:`_ResponsesChecker.ids` reads them."""
    return frame[column].astype("string").str.strip()


def _usable_ids(ids: pd.Series) -> pd.Series:
    """The ids that can repeat: not missing, not empty, not "NA"-like (those are
    blank ids, another problem)."""
    ids = ids.dropna()
    return ids[(ids != "") & ~ids.str.lower().isin(NA_LIKE)]


def _id_range(ids: pd.Series) -> tuple[bool, str | None, str | None]:
    """A partition's ids in brief: (strictly increasing, smallest, largest);
    ``(True, None, None)`` for a partition without ids."""
    values = _usable_ids(ids).to_numpy(dtype=object)
    if len(values) == 0:
        return True, None, None
    increasing = bool(np.all(values[1:] > values[:-1])) if len(values) > 1 else True
    return increasing, str(values.min()), str(values.max())


def _disjoint_increasing(ranges: list[tuple[bool, str | None, str | None]]) -> bool:
    """Whether no id can repeat: each partition's ids strictly increasing and the
    partitions' ``[min, max]`` ranges apart."""
    if not all(increasing for increasing, _, _ in ranges):
        return False
    spans = sorted((low, high) for _, low, high in ranges if low is not None)
    return all(high < next_low for (_, high), (next_low, _) in zip(spans, spans[1:], strict=False))


def _repeated_ids(ids: dd.Series, run) -> frozenset:
    """The ids counted more than once, counted per hash partition of the ids
    (each partition of counts holds its own share of the distinct ids)."""
    usable = ids.map_partitions(_usable_ids, meta=ids._meta)
    counts = usable.value_counts(split_out=max(1, ids.npartitions))
    (repeated,) = run(counts[counts > 1])
    return frozenset(str(v) for v in repeated.index)


def _rows_with_ids(
    frame: pd.DataFrame, column: str, ids: frozenset, offsets: tuple[int, ...], partition_info=None
) -> pd.DataFrame:
    """The rows (globally numbered) whose id is one of ``ids``."""
    offset = offsets[0 if partition_info is None else partition_info["number"]]
    part = frame[[column]].reset_index(drop=True)
    part.index = pd.RangeIndex(offset, offset + len(part))
    return part[_stripped_ids(part, column).isin(ids).fillna(False).astype(bool)]


def _weight_column(
    frame: pd.DataFrame, column: str, offsets: tuple[int, ...], partition_info=None
) -> pd.Series:
    offset = offsets[0 if partition_info is None else partition_info["number"]]
    values = frame[column].reset_index(drop=True)
    values.index = pd.RangeIndex(offset, offset + len(values))
    return values


# --- the whole file ------------------------------------------------------------------


class _ResponsesLoader:
    """Checks every partition, then what only the whole file can tell."""

    def __init__(self, codebook: Codebook, source: _LazyParquet, run: _Runner):
        self.codebook = codebook
        self.partition_codebook = replace(codebook, brand=None)  # the brand: whole file
        self.source = source
        self.run = run
        self.reference = _ResponsesChecker(source.raw(source.frame._meta, 0), codebook)

    def load(self) -> tuple[dd.DataFrame, DataQuality, dict[str, tuple[str, ...]], _Typing]:
        frame = self.source.frame
        parts = frame.to_delayed()
        summaries = self.run(
            *[
                dask.delayed(_summarise)(p, self.source.parts, self.partition_codebook)
                for p in parts
            ]
        )
        offsets = tuple(int(x) for x in np.cumsum([0, *(s.rows_read for s in summaries)])[:-1])
        self.check_not_empty(summaries)
        failed = [i for i, s in enumerate(summaries) if not s.typed and s.problems]
        problems = self.rerun(failed, offsets) if failed else []
        problems += self.duplicate_ids(offsets)
        if problems:
            raise StudyError(problems)
        typed = [s for s in summaries if s.typed]
        fixes = self.study_dtypes(typed)
        weights = self.weight_spread(typed, offsets)
        distinct = self.distinct(typed)
        self.check_brand(distinct)
        meta = typed[0].meta.astype(fixes) if fixes else typed[0].meta
        responses = frame.map_partitions(
            _typed_part,
            self.source.parts,
            self.partition_codebook,
            offsets,
            fixes,
            meta,
            meta=meta,
            align_dataframes=False,
        )
        quality = self.quality(summaries, weights)
        typing = _Typing(
            self.source,
            self.partition_codebook,
            offsets,
            fixes,
            meta,
            any(s.blank for s in summaries),
            responses,
        )
        return responses, quality, {c: tuple(v) for c, v in distinct.items()}, typing

    def check_not_empty(self, summaries: list[_PartSummary]) -> None:
        if any(s.typed or s.problems for s in summaries):
            return
        if sum(s.rows_read for s in summaries) == 0:
            raise StudyError(Problem(self.source.file, "the file has no data rows"))
        raise StudyError(
            Problem(self.source.file, "the file has no data rows (all rows are blank)")
        )

    def rerun(self, failed: list[int], offsets: tuple[int, ...]) -> list[Problem]:
        """The problems of the failed partitions, found again on all of them at once
        (numbered globally): each problem then lists its rows and examples over the
        whole file, as the in-memory check does. The checks of the whole file
        (duplicate ids, the weights' spread) are left to the loader."""
        frames = self.run(*[self.source.frame.partitions[i] for i in failed])
        raws = [self.source.raw(f, offsets[i]) for f, i in zip(frames, failed, strict=True)]
        together = replace(raws[0], frame=pd.concat([r.frame for r in raws]))
        try:
            _ResponsesChecker(together, self.partition_codebook).run()
        except StudyError as error:
            kept = [p for p in error.problems if not self.whole_file_problem(p)]
            if any(self.is_weight_spread(p) for p in error.problems):
                return self.with_weight_spread(kept, offsets)
            return kept
        return []  # (not reached: a failed partition fails again)

    def with_weight_spread(self, problems: list[Problem], offsets: tuple[int, ...]):
        """``problems`` with the weights' spread over the whole file where the
        in-memory check lists it: after the answers' problems, before the
        categories' and the ids'."""
        checker = self.reference
        later = {*checker.category_columns(), *checker.text_columns(), self.codebook.id}
        at = next((i for i, p in enumerate(problems) if p.column in later), len(problems))
        return [*problems[:at], *self.weight_spread_problems(offsets), *problems[at:]]

    def is_weight_spread(self, problem: Problem) -> bool:
        return problem.column == self.codebook.weight and problem.message.startswith(
            _WEIGHT_RATIO_ERROR
        )

    def whole_file_problem(self, problem: Problem) -> bool:
        cb = self.codebook
        duplicate = problem.column == cb.id and problem.message.startswith(_DUPLICATE_IDS)
        return duplicate or self.is_weight_spread(problem)

    def duplicate_ids(self, offsets: tuple[int, ...]) -> list[Problem]:
        """Ids that repeat anywhere in the file, with the in-memory check's words.

        Never the whole id column in one process: first each partition's
        summary (:func:`_id_range`: are its ids strictly increasing, and their
        smallest and largest); when every partition is increasing and their
        ``[min, max]`` ranges do not overlap, no id repeats. Else the ids are
        counted per hash partition (``value_counts(split_out=npartitions)``) and
        only those counted more than once come back, then their rows."""
        column = self.codebook.id
        frame = self.source.frame
        if column is None or column not in frame.columns:
            return []
        # One task per part (never fused: a column read alone, dask-expr would fuse
        # dozens of parts into one task, 25 million ids at 100M rows, and kill workers)
        parts = self.source.columns([column]) or frame.to_delayed(optimize_graph=False)
        pieces = [dask.delayed(_stripped_ids)(p, column) for p in parts]
        ranges = self.run(*[dask.delayed(_id_range)(p) for p in pieces])
        if _disjoint_increasing(list(ranges)):
            return []
        ids = _dd.from_delayed(pieces, meta=(column, "string"), verify_meta=False)
        repeated = _repeated_ids(ids, self.run)
        if not repeated:
            return []
        meta = frame._meta[[column]]
        rows = frame.map_partitions(  # (the whole frame: its partitions, not fused ones)
            _rows_with_ids, column, repeated, offsets, meta=meta, align_dataframes=False
        )
        (found,) = self.run(rows)
        checker = _ResponsesChecker(self.source.raw(found, 0), self.codebook)
        checker.ids(found.sort_index())
        return [p for p in checker.problems if p.message.startswith(_DUPLICATE_IDS)]

    def study_dtypes(self, typed: list[_PartSummary]) -> dict:
        """Per column whose partitions differ, the dtype of the whole study: its
        categories (the union: sorted, waves in order), or numbers (float when a
        partition has fractions)."""
        fixes = {}
        for column in typed[0].dtypes:
            kinds = {s.dtypes[column] for s in typed}
            if "category" in kinds:
                fixes[column] = self.category_dtype(column, typed, kinds)
            elif kinds == {"Int64", "float64"}:
                fixes[column] = "float64"
            elif len(kinds) > 1:
                raise self.disagreement(column, kinds)
        return fixes

    def category_dtype(self, column: str, typed: list[_PartSummary], kinds: set[str]):
        values = dict.fromkeys(v for s in typed for v in s.categories.get(column, ()))
        if kinds != {"category"}:
            if values:  # text in some partitions, numbers in others
                raise self.disagreement(column, kinds)
            return "float64" if "float64" in kinds else "Int64"
        if column == self.codebook.wave:
            order = list(self.codebook.waves) or natural_order(values)
            return pd.CategoricalDtype(pd.Index(order, dtype="string"), ordered=True)
        categories = pd.Index(sorted(values), dtype=typed[0].meta[column].cat.categories.dtype)
        return pd.CategoricalDtype(categories)

    def disagreement(self, column: str, kinds: set[str]) -> StudyError:
        return StudyError(
            Problem(
                self.source.file,
                f"the partitions of the data set hold different kinds of values in this "
                f"column ({', '.join(sorted(kinds))}): the Dask engine types each partition "
                "alone, so store the column with one kind of value (text for labels) in "
                "every part, or load the study with engine='pandas'",
                column,
            )
        )

    def weight_spread(
        self, typed: list[_PartSummary], offsets: tuple[int, ...]
    ) -> tuple[float, float] | None:
        """The largest weight over the smallest and Kish's effective size over the
        whole file; too wide a spread is the in-memory check's error, found on
        the weight column alone."""
        stats = [s.weights for s in typed if s.weights is not None]
        if not stats:
            return None
        low = min(s[1] for s in stats)
        top = max(s[2] for s in stats)
        ratio = top / low
        if ratio > MAX_WEIGHT_RATIO:
            raise StudyError(self.weight_spread_problems(offsets))
        s1 = sum(s[3] * (s[2] / top) for s in stats)
        s2 = sum(s[4] * (s[2] / top) ** 2 for s in stats)
        return ratio, s1**2 / s2

    def weight_spread_problems(self, offsets: tuple[int, ...]) -> list[Problem]:
        """The in-memory check of the weights run on the weight column alone."""
        column = self.codebook.weight
        frame = self.source.frame
        meta = frame._meta[column]
        values = frame.map_partitions(
            _weight_column, column, offsets, meta=meta, align_dataframes=False
        )
        (weights,) = self.run(values)
        checker = _ResponsesChecker(self.source.raw(frame._meta, 0), self.codebook)
        checker.weights(weights)
        return checker.problems

    def distinct(self, typed: list[_PartSummary]) -> dict[str, list[str]]:
        columns = dict.fromkeys(c for s in typed for c in s.distinct)
        return {
            c: list(dict.fromkeys(v for s in typed for v in s.distinct.get(c, ()))) for c in columns
        }

    def check_brand(self, distinct: dict[str, list[str]]) -> None:
        """The study's brand among the brands of the whole file (the in-memory
        check, on one row per brand in order of first appearance)."""
        column = self.codebook.brand_column
        if column is None or self.codebook.brand is None or column not in distinct:
            return
        checker = _ResponsesChecker(self.source.raw(self.source.frame._meta, 0), self.codebook)
        checker.check_brand(pd.DataFrame({column: pd.Series(distinct[column], dtype="string")}))
        if checker.problems:
            raise StudyError(checker.problems)

    # --- the quality record, summed -------------------------------------------------

    def quality(
        self, summaries: list[_PartSummary], weights: tuple[float, float] | None
    ) -> DataQuality:
        typed = [s for s in summaries if s.typed]
        qualities = [s.quality for s in typed]
        order = self.column_order()
        rows_kept = sum(q.rows_kept for q in qualities)
        blank = sum(s.blank for s in summaries)
        unanswered = _summed([q.unanswered for q in qualities], order)
        ratio, effective_n = weights if weights is not None else (None, None)
        return DataQuality(
            source=self.source.file,
            read_notes=(self.source.note,),
            rows_read=sum(s.rows_read for s in summaries),
            rows_kept=rows_kept,
            dropped={"blank rows": blank} if blank else {},
            dont_know=_summed([q.dont_know for q in qualities], order),
            unanswered=unanswered,
            notes=self.notes(typed),
            na_like=self.na_like(qualities, order),
            na_like_kept=tuple(c for c in order if any(c in q.na_like_kept for q in qualities)),
            weight_ratio=ratio,
            effective_n=effective_n,
            warnings=self.warnings(typed, unanswered, rows_kept, weights),
        )

    def column_order(self) -> list[str]:
        """The columns in the order the in-memory check meets them."""
        cb, checker = self.codebook, self.reference
        columns = [*cb.scale_items(), *cb.binary_items(), *(op.column for op in cb.operational)]
        columns += [cb.weight, *checker.category_columns(), *checker.text_columns()]
        return list(dict.fromkeys(c for c in columns if c is not None))

    def notes(self, typed: list[_PartSummary]) -> tuple[str, ...]:
        """Each partition's notes once; counts of removed invisible characters summed;
        the note on the study's "don't know" codes rebuilt from the summed counts."""
        notes: dict[str, int | None] = {}
        for summary in typed:
            for note in summary.quality.notes:
                if note.startswith(_STUDY_CODES_NOTE):
                    continue
                match = _INVISIBLE_NOTE.match(note)
                if match is None:
                    notes.setdefault(note, None)
                    continue
                key = match.group(1) + "{}" + match.group(3)
                notes[key] = (notes.get(key) or 0) + int(match.group(2).replace(",", ""))
        shown = [note if n is None else note.format(f"{n:,}") for note, n in notes.items()]
        rank = {c: i for i, c in enumerate(self.reference.category_columns())}

        def place(note: str) -> tuple[int, int]:
            if _INVISIBLE_NOTE.match(note):
                column = note.split("'")[1]
                return 1, rank.get(column, len(rank))
            return (2, 0) if note.startswith("the file has no id column") else (0, 0)

        shown.sort(key=place)
        found = _summed([s.study_codes_found for s in typed], self.column_order())
        rebuilt = _ResponsesChecker(self.source.raw(self.source.frame._meta, 0), self.codebook)
        rebuilt.study_codes_found = {c: n for c, n in found.items() if n}
        rebuilt.note_study_codes()
        return tuple(shown + rebuilt.notes)

    def na_like(self, qualities: list[DataQuality], order: list[str]) -> dict:
        columns = _summed([{c: 0 for c in q.na_like} for q in qualities], order)
        merged = {}
        for column in columns:
            counts = _summed([q.na_like.get(column, {}) for q in qualities], [])
            merged[column] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
            kept = {column in q.na_like_kept for q in qualities if column in q.na_like}
            if len(kept) > 1:
                raise StudyError(
                    Problem(
                        self.source.file,
                        "'NA'-like text is a category in some partitions and a missing "
                        "value in others (where it is the only text): the Dask engine "
                        "decides per partition, so load this study with engine='pandas'",
                        column,
                    )
                )
        return merged

    def warnings(
        self,
        typed: list[_PartSummary],
        unanswered: dict[str, int],
        rows_kept: int,
        weights: tuple[float, float] | None,
    ) -> tuple[str, ...]:
        """The warnings of the whole file. Their words are those of
        :meth:`_ResponsesChecker.weights` and :meth:`_ResponsesChecker.warn_unanswered`
        (a test compares the two engines' quality records on such studies)."""
        out = []
        if weights is not None:
            ratio, effective_n = weights
            if ratio > WARN_WEIGHT_RATIO or effective_n < rows_kept / 2:
                out.append(
                    f"extreme weights: the largest is {ratio:,.0f} times the smallest and the "
                    f"effective sample size (Kish) is {effective_n:,.0f} of {rows_kept:,}: "
                    "weighted results rest on fewer respondents than their bases say"
                )
        for column in self.reference.answer_columns():
            if column in unanswered and unanswered[column] == rows_kept:
                out.append(
                    f"'{column}' has no answer at all (every one of {rows_kept:,} respondents "
                    'left it blank or answered with a "don\'t know" code)'
                )
        partition_only = ("extreme weights:", "' has no answer at all (every one of ")
        others = dict.fromkeys(
            w
            for s in typed
            for w in s.quality.warnings
            if not w.startswith(partition_only[0]) and partition_only[1] not in w
        )
        return (*out[:1], *others, *out[1:]) if weights is not None else (*others, *out)


def _summed(dicts: list[dict], order: list[str]) -> dict:
    """Dictionaries of counts added up; keys in ``order`` first, then as met."""
    total: dict = {}
    for counts in dicts:
        for key, n in counts.items():
            total[key] = total.get(key, 0) + int(n)
    rank = {c: i for i, c in enumerate(order)}
    return dict(sorted(total.items(), key=lambda kv: rank.get(kv[0], len(rank))))


# --- events --------------------------------------------------------------------------


def _events_part(
    frame: pd.DataFrame, source: _Parts, codebook: Codebook, offset: int
) -> tuple[pd.DataFrame | None, DataQuality | None, tuple[Problem, ...], int]:
    """One partition of the events checked by :func:`check_events` (rows of its
    problems renumbered from ``offset``)."""
    if len(frame) == 0:
        return None, None, (), 0
    empty = DataQuality(source="", read_notes=(), rows_read=0, rows_kept=0)
    try:
        out, quality = check_events(source.raw(frame, 0), codebook, empty)
    except StudyError as error:
        shifted = tuple(replace(p, rows=tuple(r + offset for r in p.rows)) for p in error.problems)
        return None, None, shifted, len(frame)
    return out, quality, (), len(frame)


def _merged(problems: list[Problem]) -> list[Problem]:
    """The problems of several partitions, one per file, column and message: the
    first rows shown, all of them counted."""
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.file, p.column, p.message)
        if key in merged:
            first = merged[key]
            rows = (first.rows + p.rows)[: len(first.rows) + len(p.rows)]
            p = replace(first, rows=rows[:MAX_ROWS_SHOWN], n_rows=first.n_rows + p.n_rows)
        merged[key] = p
    return list(merged.values())


def _events_summary(frame, source, codebook):
    out, quality, problems, n = _events_part(frame, source, codebook, 0)
    return (None if out is None else out.iloc[:0]), quality, problems, n


def _events_typed(frame, source, codebook, meta, partition_info=None):
    out, _, _, _ = _events_part(frame, source, codebook, 0)
    return meta if out is None else out


def _load_events(
    codebook: Codebook, source: _LazyParquet, quality: DataQuality, run: _Runner
) -> tuple[dd.DataFrame, DataQuality]:
    """The web events, checked partition by partition with :func:`check_events`;
    the counts of read, kept and dropped events summed."""
    parts = source.frame.to_delayed()
    summaries = run(*[dask.delayed(_events_summary)(p, source.parts, codebook) for p in parts])
    offsets = np.cumsum([0, *(s[3] for s in summaries)])[:-1]
    problems = _merged(
        [
            replace(p, rows=tuple(r + int(offset) for r in p.rows))
            for (_, _, found, _), offset in zip(summaries, offsets, strict=True)
            for p in found
        ]
    )
    if problems:
        raise StudyError(problems)
    typed = [s for s in summaries if s[1] is not None]
    if not typed:
        raise StudyError(Problem(source.file, "the events file has no rows"))
    meta = typed[0][0]
    events = source.frame.map_partitions(
        _events_typed, source.parts, codebook, meta, meta=meta, align_dataframes=False
    )
    dropped = _summed([s[1].events_dropped for s in typed], [])
    return events, replace(
        quality,
        events_source=source.file,
        events_read=sum(s[3] for s in summaries),
        events_kept=sum(s[1].events_kept for s in typed),
        events_dropped=dropped,
    )
