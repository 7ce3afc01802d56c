"""The errors a user sees: one base, :class:`CxError`, with its kinds under it.

- :class:`StudyError`: bad input. Every problem names the file, the column
  and up to five offending rows, the way ``papermill``'s
  ``PapermillExecutionError`` names the cell: an error a user can act on
  without reading a traceback.
- :class:`ParameterError`: a report parameter no chapter takes, or a bad value.
- :class:`OutputFolderError`: the report folder cannot be written or replaced
  safely (a file, the study's own folder, no permission).
- :class:`ReportError`: a chapter notebook failed while rendering a report;
  it names the notebook and the cell, and the previous report stays.

``except cx.CxError`` catches both; the command line prints them as one
plain line and exits 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a study's files.

    Attributes
    ----------
    file : str
        The file the problem is in (the codebook or a data file).
    message : str
        What is wrong and, where it helps, what to do.
    column : str or None
        The column (or codebook key) concerned.
    rows : tuple of int
        Offending data rows, counted from 1 = the first data row under the header.
    n_rows : int
        How many rows are affected in all (``rows`` shows at most five).
    """

    file: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    n_rows: int = 0

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = self.n_rows - min(len(self.rows), MAX_ROWS_SHOWN)
            text += f" (data rows {shown}" + (f" and {more} more" if more > 0 else "") + ")"
        return text


def problem_at_rows(file: str, column: str | None, message: str, rows: Iterable[int]) -> Problem:
    """Build a :class:`Problem` from all offending rows, keeping the first five."""
    rows = [int(r) for r in rows]
    return Problem(file, message, column, tuple(rows[:MAX_ROWS_SHOWN]), len(rows))


class CxError(Exception):
    """Base of the errors cxresearch raises for a user to act on."""


class StudyError(CxError, ValueError):
    """A study's codebook or data break the data contract.

    ``str(error)`` lists every problem found, one per line; ``error.problems``
    holds them as :class:`Problem` objects for code.
    """

    def __init__(self, problems: Problem | Sequence[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if len(self.problems) == 1:
            super().__init__(str(self.problems[0]))
        else:
            lines = [f"{len(self.problems)} problems in the study:"]
            lines += [f"- {p}" for p in self.problems]
            super().__init__("\n".join(lines))

    @property
    def file(self) -> str:
        return self.problems[0].file

    @property
    def column(self) -> str | None:
        return self.problems[0].column

    @property
    def rows(self) -> tuple[int, ...]:
        return self.problems[0].rows


class ParameterError(CxError, ValueError):
    """A report parameter no chapter takes, or a value it cannot take."""


class OutputFolderError(CxError, OSError):
    """The report folder cannot be written or replaced safely; nothing was touched."""


class ReportError(CxError, RuntimeError):
    """A chapter notebook failed; the previous report was left untouched.

    Attributes: ``notebook`` (file name), ``cell`` (0-based index of the
    failing cell, or None), ``ename``/``evalue`` (the exception), ``kept``
    (the executed notebook kept for debugging).
    """

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str, kept: Path):
        self.notebook, self.cell, self.ename, self.evalue, self.kept = (
            notebook,
            cell,
            ename,
            evalue,
            kept,
        )
        where = f"cell {cell}" if cell is not None else "start-up"
        super().__init__(
            f"chapter {notebook} failed in {where}: {ename}: {evalue}\n"
            f"The executed notebook with the error is kept at {kept}; "
            "the previous report was left untouched."
        )
