"""The :class:`Study` (a validated codebook with its data, ready for analyses)
and :func:`load_study`, which reads, checks and types one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import pandas as pd

from .checks import check_benchmark, check_events, check_responses
from .codebook import STAGES, Codebook
from .quality import DataQuality
from .readers import read_table, text_columns_of

MIN_SEGMENT_RESPONDENTS = 20  # fewer cannot show segments (k up to 8, silhouettes, refits)


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
        ``"segments"`` (touchpoint items and at least 20 respondents)."""
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
            "waves": lambda: (
                cb.wave is not None and self.responses[cb.wave].dropna().nunique() >= 2
            ),
            "loyalty": lambda: (
                "nps" in cb.outcomes
                and any(o in cb.outcomes for o in ("retained", "referral", "loyalty"))
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


def load_study(path: str | Path, *, min_base: int | None = None, brand: str | None = None):
    """Read, check and type a study; return a :class:`Study`.

    Parameters
    ----------
    path : str or Path
        The study's codebook (``study.yaml``) or the folder holding it.
    min_base, brand : optional
        Override the codebook's ``min_base`` and ``brand`` (report parameters).

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
    raw = read_table(codebook.responses_path, text_columns_of(codebook), codebook.profile)
    responses, quality = check_responses(raw, codebook)
    events = None
    if codebook.events is not None:
        raw_events = read_table(
            codebook.events_path, (codebook.events.session, codebook.events.step)
        )
        events, quality = check_events(raw_events, codebook, quality)
    benchmark = None
    if codebook.benchmark is not None:
        spec = codebook.benchmark
        raw_benchmark = read_table(codebook.benchmark_path, (spec.brand, spec.measure))
        benchmark = check_benchmark(raw_benchmark, codebook)
    return Study(
        codebook=codebook,
        responses=responses,
        events=events,
        quality=quality,
        benchmark=benchmark,
    )
