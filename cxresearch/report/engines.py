"""What a report can show of a study read with the Dask engine.

A study loaded with ``engine="dask"`` runs only the analyses that have a Dask
version (:func:`cxresearch.analyses._engine.available_on_dask`, filled in as
versions are registered); every other analysis needs the responses in memory.
The report does not fail on them, and does not hide them either:

- a chapter declares in its notebook metadata the analyses it is about
  (``"cxresearch": {"analyses": ["gaps", "drivers"]}``; a list inside names
  analyses one part needs together); on a Dask study it is kept when one of
  them runs on Dask, else left out and named in the index page's list of
  what was left out (:func:`chapter_left_out`);
- inside a chapter, or on the index page, a section whose analysis does not
  run on Dask shows a note in its place (:func:`memory_note`).

The question is asked at run time, so a chapter appears as soon as its
analyses gain a Dask version, with no change to the report.
"""

from __future__ import annotations

from ..analyses._engine import available_on_dask, on_dask

NOT_ON_DASK = "not computed on the Dask engine"
"""The words shown in place of a section whose analysis has no Dask version."""


class LeftOut(str):
    """A line of the index page's "Left out of this report" that knows the
    analyses it names and whether it leaves out a whole chapter (so that a
    section's note is not repeated under its chapter's: :func:`without_repeats`)."""

    analyses: tuple[str, ...]
    chapter: bool

    def __new__(cls, text: str, analyses=(), chapter: bool = False):
        line = super().__new__(cls, text)
        line.analyses, line.chapter = tuple(analyses), chapter
        return line

    def __reduce__(self):  # (pickled with the index page's results)
        return LeftOut, (str(self), self.analyses, self.chapter)


def without_repeats(lines) -> list[str]:
    """The left-out lines, each once, in their order, without a section's note
    whose analyses all belong to a chapter the list already leaves out
    ("Strategy: not computed on the Dask engine" beside "Chapter 'CX strategy':
    left out, ...")."""
    chapters = {name for line in lines if getattr(line, "chapter", False) for name in line.analyses}
    kept = [
        line
        for line in lines
        if getattr(line, "chapter", False)
        or not getattr(line, "analyses", ())
        or not set(line.analyses) <= chapters
    ]
    return list(dict.fromkeys(kept))


def runs(study, *analyses: str) -> bool:
    """Whether every one of ``analyses`` (by name: ``"kpis"``, ``"banner"``)
    runs on ``study``: always in memory; on a Dask study when each has a
    Dask version."""
    if not on_dask(study):
        return True
    return set(analyses) <= set(available_on_dask())


def missing(study, *analyses: str) -> tuple[str, ...]:
    """The ``analyses`` that cannot run on ``study`` (none in memory), in the order given."""
    if not on_dask(study):
        return ()
    present = set(available_on_dask())
    return tuple(name for name in dict.fromkeys(analyses) if name not in present)


def named(analyses) -> str:
    """``cx.gaps and cx.drivers``: analyses as a reader finds them in the API."""
    names = [f"cx.{name}" for name in analyses]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def memory_note(study, what: str, *analyses: str) -> str:
    """The note shown instead of ``what`` (a section's name) when one of
    ``analyses`` does not run on ``study``: "Banner tables: not computed on the
    Dask engine (cx.banner needs the responses in memory)."."""
    lacking = missing(study, *analyses) or analyses
    verb = "needs" if len(lacking) == 1 else "need"
    text = f"{what}: {NOT_ON_DASK} ({named(lacking)} {verb} the responses in memory)."
    return LeftOut(text, lacking)


def chapter_left_out(title: str, analyses: tuple[tuple[str, ...], ...]) -> str:
    """The index page's note on a chapter left out because none of its
    analyses runs on the Dask engine."""
    names = list(dict.fromkeys(name for group in analyses for name in group))
    text = (
        f"Chapter '{title}': left out, its analyses ({named(names)}) need the "
        "responses in memory and the study was read with the Dask engine."
    )
    return LeftOut(text, names, chapter=True)


def chapter_runs(study, analyses: tuple[tuple[str, ...], ...]) -> bool:
    """Whether a chapter about ``analyses`` has something to show of ``study``:
    in memory always; on Dask when it declares none, or when every analysis of
    one of its groups runs there (a group is what one part of the chapter
    needs together: ``(("journey",), ("operations",), ("funnel",))`` keeps the
    journey chapter for its waits alone, ``(("sentiment", "themes"),)`` needs both)."""
    return not analyses or any(runs(study, *group) for group in analyses)


def analysis_groups(declared) -> tuple[tuple[str, ...], ...]:
    """A notebook's declared ``analyses`` (names, or lists of names needed
    together) as groups: ``["gaps", ["sentiment", "themes"]]`` ->
    ``(("gaps",), ("sentiment", "themes"))``."""
    return tuple((entry,) if isinstance(entry, str) else tuple(entry) for entry in declared)
