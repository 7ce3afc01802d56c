"""The :class:`Study` (a validated codebook with its data, ready for analyses)
and :func:`load_study`, which reads, checks and types one, in memory (pandas) or
lazily (Dask, :mod:`cxresearch.data.dask_study`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from ..cache import active_folder, call_key, stored_or_computed
from ..errors import Problem, StudyError
from ._values import ENGINES, engine_problem
from .base import LOYALTY_LINKS, MIN_SEGMENT_RESPONDENTS, StudyBase
from .checks import check_benchmark, check_events, check_responses
from .codebook import STAGES, Codebook
from .dask_study import (
    LAZY_ROLES,
    DaskStudy,
    chosen_scheduler,
    connect,
    read_dask_study,
    source_identities,
)
from .places import DATA_DIRS_VARIABLE, DataPlaces, read_codebook
from .quality import DataQuality
from .readers import category_columns_of, file_sha256, read_table, text_columns_of

__all__ = [
    "DATA_DIRS_VARIABLE",
    "ENGINES",
    "LOYALTY_LINKS",
    "MIN_SEGMENT_RESPONDENTS",
    "Study",
    "load_study",
]
DEFAULT_ENGINE, DASK = ENGINES


@dataclass(frozen=True)
class Study(StudyBase):
    """A study as :func:`cxresearch.load_study` returns it.

    Attributes
    ----------
    codebook : Codebook
        The parsed ``study.yaml``: which column plays which role.
    responses : pandas.DataFrame
        One row a respondent, indexed by respondent id, with the user's own
        column names; scale items are floats (missing = NaN), yes/no items are
        nullable booleans, brand/wave/profile columns are categories.
    events : pandas.DataFrame or None
        The web events (session, step, time), when the codebook declares them.
    benchmark : pandas.DataFrame or None
        Competitors' aggregate scores (brand, measure, mean, sd, n), when the
        codebook declares a benchmark file.
    quality : DataQuality
        What was checked, flagged and dropped, with counts.

    The members that read only the codebook (``name``, ``brand``, ``weights()``,
    ``outcome()``, ``has()``, ``supports()``, ``resolve_column()``) are
    :class:`~cxresearch.data.base.StudyBase`'s, shared with the Dask engine's
    :class:`~cxresearch.data.dask_study.DaskStudy`.
    """

    codebook: Codebook
    responses: pd.DataFrame
    events: pd.DataFrame | None
    quality: DataQuality
    benchmark: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        return len(self.responses)

    def distinct_count(self, column: str) -> int:
        return int(self.responses[column].dropna().nunique())

    def has_comments(self, columns: list[str]) -> bool:
        return any(
            column in self.responses.columns
            and self.responses[column].astype("string").str.strip().fillna("").ne("").any()
            for column in columns
        )

    def brand_rows(self, brand: str | None = "auto") -> tuple[pd.DataFrame, str | None]:
        """The respondents who rated a brand, and that brand: ``"auto"`` is the
        study's brand when the study has a brand column; None (or a study
        without a brand column) gives every respondent."""
        column = self.codebook.brand_column
        chosen = self.brand if brand == "auto" else brand
        if column is None or chosen is None:
            return self.responses, None
        return self.responses[self.responses[column] == chosen], chosen

    def long(self) -> pd.DataFrame:
        """The tidy form: one row per respondent x touchpoint.

        Columns: the respondent id, ``touchpoint`` (id), ``label``, ``stage``
        (ordered before < during < after), ``expectation``, ``experience``,
        ``gap`` = experience - expectation (negative: the brand falls short),
        ``emotion``, then the brand, wave, weight and profile columns.
        """
        cb = self.codebook
        keep = [c for c in (cb.brand_column, cb.wave, cb.weight, *cb.profile) if c is not None]
        parts = []
        for tp in cb.touchpoints:
            part = self.responses[keep].copy()
            part.insert(0, "touchpoint", tp.id)
            part.insert(1, "label", tp.label)
            part.insert(2, "stage", tp.stage)
            for kind in ("expectation", "experience", "emotion"):
                item = getattr(tp, kind)
                part[kind] = self.responses[item.column] if item is not None else float("nan")
            part["gap"] = part["experience"] - part["expectation"]
            parts.append(part)
        long = pd.concat(parts).reset_index()
        order = [tp.id for tp in cb.touchpoints]
        long["touchpoint"] = pd.Categorical(long["touchpoint"], categories=order, ordered=True)
        long["stage"] = pd.Categorical(long["stage"], categories=list(STAGES), ordered=True)
        return long

    def _repr_html_(self) -> str:
        return (
            f"<p><b>{escape(self.name)}</b>: {self.n:,} respondents, "
            f"{len(self.codebook.touchpoints)} touchpoints, "
            f"outcomes {escape(', '.join(self.codebook.outcomes))}.</p>"
            + self.quality._repr_html_()
        )


def load_study(
    path: str | Path,
    *,
    min_base: int | None = None,
    brand: str | None = None,
    data_dirs: Iterable[str | Path] = (),
    engine: str | None = None,
    scheduler: str | None = None,
) -> Study | DaskStudy:
    """Read, check and type a study; return a :class:`Study` (or, with the Dask
    engine, a :class:`~cxresearch.data.dask_study.DaskStudy`).

    Parameters
    ----------
    path : str or Path
        The study's codebook (``study.yaml``) or the folder holding it.
    min_base, brand : optional
        Override the codebook's ``min_base`` and ``brand`` (report parameters).
    data_dirs : folders, optional
        Folders outside the study folder that data files may be read from, on
        top of those in the ``CXRESEARCH_DATA_DIRS`` environment variable. A
        data file (after following links) anywhere else is refused unread.
    engine : {"pandas", "dask"}, optional
        ``"pandas"`` reads the rows into memory; ``"dask"`` reads Parquet files
        (or folders of parts) lazily and checks them partition by partition,
        for data larger than memory. None: the codebook's ``engine:``, else pandas.
    scheduler : str, optional
        For the Dask engine: a local scheduler's name (``"threads"``,
        ``"processes"``, ``"synchronous"``) or a ``distributed`` scheduler's
        address (``"tcp://127.0.0.1:8786"``). None: the codebook's
        ``scheduler:``, else Dask's default (threads).

    While a results cache is active (:func:`cxresearch.use_cache`), a load is
    stored and reused while its files are unchanged: in memory keyed by the
    files' SHA-256, on Dask by each Parquet part's name, size, modification
    time and footer (never by reading terabytes).

    Raises
    ------
    StudyError
        When the codebook or the data break the contract; the message names
        the file, the column and up to five offending data rows. Also for an
        unknown engine or scheduler.

    Examples
    --------
    >>> study = load_study("data/demo/study.yaml")  # doctest: +SKIP
    >>> study.quality.rows_kept  # doctest: +SKIP
    4000
    >>> big = load_study("tracker/study.yaml", engine="dask")  # doctest: +SKIP
    """
    codebook = read_codebook(path, min_base=min_base, brand=brand)
    places = DataPlaces(codebook, data_dirs)
    if chosen_engine(codebook, engine, scheduler) == DASK:
        return _load_dask(codebook, places, chosen_scheduler(codebook, scheduler))
    folder = active_folder()
    key = _load_key(codebook, places) if folder is not None else None
    if key is None:
        return _read_study(codebook, places)
    return stored_or_computed(folder, "load_study", key, lambda: _read_study(codebook, places))


def chosen_engine(codebook: Codebook, engine: str | None, scheduler: str | None) -> str:
    """The engine a load uses: ``engine``, else the codebook's ``engine:``, else
    pandas; a :class:`StudyError` naming the codebook and the key for an
    unknown engine, or a scheduler asked of the in-memory engine."""
    problem = engine_problem(engine)
    if problem is not None:
        message = f"the engine asked for (engine={engine!r}) {problem}"
        raise StudyError(Problem(str(codebook.path), message, "engine"))
    chosen = engine or codebook.engine or DEFAULT_ENGINE
    if scheduler is not None and chosen != DASK:
        why = "engine='pandas' was asked for" if engine else "its codebook has no engine: dask"
        raise StudyError(
            Problem(
                str(codebook.path),
                f"a scheduler (scheduler={scheduler!r}) runs the Dask engine, and this load "
                f"reads the study in memory ({why}): load with engine='dask' (on the command "
                "line: --engine dask), or leave the scheduler out",
                "scheduler",
            )
        )
    return chosen


def _read_study(codebook: Codebook, places: DataPlaces) -> Study:
    """Read, check and type the study's data files."""
    file, name = places.find(codebook.responses, "responses")
    raw = read_table(
        file,
        text_columns_of(codebook),
        codebook.profile,
        name=name,
        categories=category_columns_of(codebook),
    )
    responses, quality = check_responses(raw, codebook)
    events = None
    if codebook.events is not None:
        file, name = places.find(codebook.events.file, "events.file")
        raw_events = read_table(file, (codebook.events.session, codebook.events.step), name=name)
        events, quality = check_events(raw_events, codebook, quality)
    benchmark = None
    if codebook.benchmark is not None:
        spec = codebook.benchmark
        file, name = places.find(spec.file, "benchmark.file")
        raw_benchmark = read_table(file, (spec.brand, spec.measure), name=name)
        benchmark = check_benchmark(raw_benchmark, codebook)
    return Study(
        codebook=codebook,
        responses=responses,
        events=events,
        quality=quality,
        benchmark=benchmark,
    )


def _load_key(codebook: Codebook, places: DataPlaces) -> str | None:
    """The results-cache key of a load: the codebook (with the overrides) and
    every data file it reads, by content. None when a file cannot be found or
    read: then the load runs uncached and says what is wrong."""
    try:
        files = {role: file_sha256(file) for role, file in places.files().items()}
    except (StudyError, OSError):
        return None
    return call_key("cxresearch.data.study.load_study", {"codebook": codebook, "files": files})


def _load_dask(codebook: Codebook, places: DataPlaces, scheduler: str | None) -> DaskStudy:
    """A Dask load, its checks stored in the active results cache (if any) and
    reused while the files keep their identities: the stored study holds the
    checked, typed lazy frames and the quality record, not the rows."""
    client = connect(scheduler)
    sources = source_identities(places)
    folder = active_folder()
    key = _dask_load_key(codebook, places, sources) if folder is not None else None
    if key is None:
        return read_dask_study(codebook, places, scheduler, client, sources)
    stored = stored_or_computed(
        folder,
        "load_study",
        key,
        lambda: read_dask_study(codebook, places, scheduler, client, sources).detached(),
    )
    return stored.attached(scheduler, client)


def _dask_load_key(codebook: Codebook, places: DataPlaces, sources: dict[str, str]) -> str | None:
    """The key of a Dask load: the codebook, the identities of the Parquet data
    (:func:`~cxresearch.data.places.parquet_identity`) and the benchmark's
    SHA-256 (a small file). None when a file is missing or not Parquet."""
    try:
        files = places.files()
        if any(role not in sources for role in files if role in LAZY_ROLES):
            return None
        identities = dict(sources)
        if "benchmark.file" in files:
            identities["benchmark.file"] = file_sha256(files["benchmark.file"])
    except (StudyError, OSError):
        return None
    arguments = {"codebook": codebook, "engine": DASK, "files": identities}
    return call_key("cxresearch.data.study.load_study", arguments)
