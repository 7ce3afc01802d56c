"""What every study answers the same way, whichever engine holds its rows.

:class:`StudyBase` is the part of :class:`~cxresearch.data.study.Study` (pandas
in memory) and :class:`~cxresearch.data.dask_study.DaskStudy` (lazy, Dask) that
reads only the codebook and column names: its name and brand, an outcome's
column, the roles it has, what it supports, a role resolved to a column. The
two questions that need the rows (how many distinct values a column holds,
whether any comment was written) are each class's own: a Dask study answers
them from what its loader found, without reading the data again.
"""

from __future__ import annotations

from .codebook import Codebook

MIN_SEGMENT_RESPONDENTS = 20  # fewer cannot show segments (k up to 8, silhouettes, refits)
LOYALTY_LINKS = ("retained", "referral", "loyalty")  # outcomes NPS is linked to


class StudyBase:
    """The members a study's engines share; subclasses are frozen dataclasses
    with ``codebook``, ``responses`` (a pandas or Dask frame), ``events``,
    ``benchmark`` and ``quality``, and define :attr:`n`, :meth:`distinct_count`
    and :meth:`has_comments`."""

    codebook: Codebook
    engine = "pandas"

    @property
    def name(self) -> str:
        return self.codebook.name

    @property
    def brand(self) -> str | None:
        """The brand the report is for."""
        return self.codebook.brand

    @property
    def n(self) -> int:  # pragma: no cover - each engine counts its own way
        raise NotImplementedError

    def distinct_count(self, column: str) -> int:  # pragma: no cover - per engine
        """How many distinct values (missing aside) ``column`` holds."""
        raise NotImplementedError

    def has_comments(self, columns: list[str]) -> bool:  # pragma: no cover - per engine
        """Whether any of ``columns`` holds a comment (text that is not blank)."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the study holds open (nothing, in memory; a Dask
        study's connection to a ``distributed`` scheduler)."""

    def weights(self):
        """The survey weights (a column of ``responses``), or None when the study is unweighted."""
        column = self.codebook.weight
        return None if column is None else self.responses[column]

    def outcome(self, name: str):
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
                    or (cb.brand_column is not None and self.distinct_count(cb.brand_column) >= 2)
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
            "text": lambda: self.has_comments(
                [t.column for t in cb.text]
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
            "waves": lambda: cb.wave is not None and self.distinct_count(cb.wave) >= 2,
            "loyalty": lambda: (
                "nps" in cb.outcomes and any(o in cb.outcomes for o in LOYALTY_LINKS)
            ),
        }
        if requirement not in checks:
            raise KeyError(f"unknown requirement {requirement!r}; choose from {', '.join(checks)}")
        return checks[requirement]()

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
