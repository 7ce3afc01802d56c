"""The :class:`Study` (a validated codebook with its data, ready for analyses)
and :func:`load_study`, which reads, checks and types one."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import pandas as pd

from ..cache import active_folder, call_key, stored_or_computed
from ..errors import Problem, StudyError
from .checks import check_benchmark, check_events, check_responses
from .codebook import STAGES, Codebook
from .quality import DataQuality
from .readers import (
    category_columns_of,
    file_sha256,
    parquet_parts,
    read_table,
    text_columns_of,
)

MIN_SEGMENT_RESPONDENTS = 20  # fewer cannot show segments (k up to 8, silhouettes, refits)
LOYALTY_LINKS = ("retained", "referral", "loyalty")  # outcomes NPS is linked to


@dataclass(frozen=True)
class Study:
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
    """

    codebook: Codebook
    responses: pd.DataFrame
    events: pd.DataFrame | None
    quality: DataQuality
    benchmark: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.codebook.name

    @property
    def brand(self) -> str | None:
        """The brand the report is for."""
        return self.codebook.brand

    @property
    def n(self) -> int:
        return len(self.responses)

    def weights(self) -> pd.Series | None:
        """The survey weights, or None when the study is unweighted."""
        column = self.codebook.weight
        return None if column is None else self.responses[column]

    def outcome(self, name: str) -> pd.Series:
        """The answers to an outcome by its codebook name (``"nps"``, ``"csat"``, ...)."""
        try:
            return self.responses[self.codebook.outcomes[name].column]
        except KeyError:
            declared = ", ".join(self.codebook.outcomes) or "none"
            raise KeyError(f"the study has no outcome '{name}' (declared: {declared})") from None

    def has(self, role: str) -> bool:
        """Whether the study has a role: ``"brand"``, ``"wave"``, ``"weight"``, ``"events"``."""
        cb = self.codebook
        present = {
            "brand": cb.brand_column,
            "wave": cb.wave,
            "weight": cb.weight,
            "id": cb.id,
            "events": cb.events,
        }
        if role not in present:
            raise KeyError(f"unknown role {role!r}; choose from {', '.join(present)}")
        return present[role] is not None

    def supports(self, requirement: str) -> bool:
        """Whether the study has what an analysis or chapter needs:
        ``"kpis"`` and ``"outcome"`` (any outcome, scale or yes/no), ``"waves"``
        (at least two),
        ``"touchpoints"`` (experience scores), ``"expectations"`` (expectations
        or targets to measure gaps against), ``"brands"`` (competitors from a
        brand column with two brands or more, or a benchmark file), ``"events"``, ``"feedback"``,
        ``"loyalty"`` (NPS and a retained, referral or loyalty outcome),
        ``"segments"`` (touchpoint items and at least 20 respondents), ``"text"``
        (comments: a text: column or feedback: text with at least one comment), ``"journey"``
        (anything the journey chapter shows: gaps, faces, feedback, waits, web
        events, comments, or NPS with a loyalty outcome)."""
        cb = self.codebook
        checks = {
            "kpis": lambda: bool(cb.outcomes),
            "outcome": lambda: bool(cb.outcomes),
            "touchpoints": lambda: any(tp.experience is not None for tp in cb.touchpoints),
            "expectations": lambda: any(
                tp.experience is not None and (tp.expectation is not None or tp.target is not None)
                for tp in cb.touchpoints
            ),
            "brands": lambda: (
                cb.brand is not None
                and (
                    self.benchmark is not None
                    or (
                        cb.brand_column is not None
                        and self.responses[cb.brand_column].dropna().nunique() >= 2
                    )
                )
            ),
            "events": lambda: self.events is not None,
            "segments": lambda: (
                self.n >= MIN_SEGMENT_RESPONDENTS
                and any(tp.experience or tp.expectation or tp.emotion for tp in cb.touchpoints)
            ),
            "measures": lambda: bool(
                cb.outcomes or cb.feedback or any(tp.experience for tp in cb.touchpoints)
            ),
            "feedback": lambda: cb.feedback is not None,
            "text": lambda: any(
                column in self.responses.columns
                and self.responses[column].astype("string").str.strip().fillna("").ne("").any()
                for column in [t.column for t in cb.text]
                + ([cb.feedback.text] if cb.feedback is not None and cb.feedback.text else [])
            ),
            "journey": lambda: bool(
                any(tp.expectation is not None or tp.target is not None for tp in cb.touchpoints)
                or any(tp.emotion is not None for tp in cb.touchpoints)
                or cb.feedback is not None
                or cb.operational
                or self.events is not None
                or cb.text
                or ("nps" in cb.outcomes and any(o in cb.outcomes for o in LOYALTY_LINKS))
            ),
            "waves": lambda: (
                cb.wave is not None and self.responses[cb.wave].dropna().nunique() >= 2
            ),
            "loyalty": lambda: (
                "nps" in cb.outcomes and any(o in cb.outcomes for o in LOYALTY_LINKS)
            ),
        }
        if requirement not in checks:
            raise KeyError(f"unknown requirement {requirement!r}; choose from {', '.join(checks)}")
        return checks[requirement]()

    def brand_rows(self, brand: str | None = "auto") -> tuple[pd.DataFrame, str | None]:
        """The respondents who rated a brand, and that brand: ``"auto"`` is the
        study's brand when the study has a brand column; None (or a study
        without a brand column) gives every respondent."""
        column = self.codebook.brand_column
        chosen = self.brand if brand == "auto" else brand
        if column is None or chosen is None:
            return self.responses, None
        return self.responses[self.responses[column] == chosen], chosen

    def resolve_column(self, name: str) -> str:
        """Map a role name (``"brand"``, ``"wave"``) or a column name to a column."""
        roles = {"brand": self.codebook.brand_column, "wave": self.codebook.wave}
        column = roles.get(name) or name
        if column not in self.responses.columns:
            raise KeyError(
                f"'{name}' is neither a role of this study nor one of its columns "
                f"(profile columns: {', '.join(self.codebook.profile) or 'none'})"
            )
        return column

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


DATA_DIRS_VARIABLE = "CXRESEARCH_DATA_DIRS"
"""The environment variable naming extra folders data files may be read from
(separated by ``os.pathsep``); ``cxresearch --data-dir DIR`` sets it, and report
kernels inherit it."""


def load_study(
    path: str | Path,
    *,
    min_base: int | None = None,
    brand: str | None = None,
    data_dirs: Iterable[str | Path] = (),
):
    """Read, check and type a study; return a :class:`Study`.

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

    Raises
    ------
    StudyError
        When the codebook or the data break the contract; the message names
        the file, the column and up to five offending data rows.

    Examples
    --------
    >>> study = load_study("data/demo/study.yaml")  # doctest: +SKIP
    >>> study.quality.rows_kept  # doctest: +SKIP
    4000
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    codebook = Codebook.from_yaml(path)
    if min_base is not None or brand is not None:
        codebook = replace(
            codebook,
            min_base=codebook.min_base if min_base is None else int(min_base),
            brand=codebook.brand if brand is None else str(brand),
        )
    places = _DataPlaces(codebook, data_dirs)
    folder = active_folder()
    key = _load_key(codebook, places) if folder is not None else None
    if key is None:
        return _read_study(codebook, places)
    return stored_or_computed(folder, "load_study", key, lambda: _read_study(codebook, places))


def _read_study(codebook: Codebook, places: _DataPlaces) -> Study:
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


def _load_key(codebook: Codebook, places: _DataPlaces) -> str | None:
    """The results-cache key of a load: the codebook (with the overrides) and
    every data file it reads, by content. None when a file cannot be found or
    read: then the load runs uncached and says what is wrong."""
    specs = [(codebook.responses, "responses")]
    if codebook.events is not None:
        specs.append((codebook.events.file, "events.file"))
    if codebook.benchmark is not None:
        specs.append((codebook.benchmark.file, "benchmark.file"))
    try:
        files = {role: file_sha256(places.find(spec, role)[0]) for spec, role in specs}
    except (StudyError, OSError):
        return None
    return call_key("cxresearch.data.study.load_study", {"codebook": codebook, "files": files})


class _DataPlaces:
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
