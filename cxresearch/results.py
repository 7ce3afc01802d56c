"""The result contract: what every analysis returns, and how it shows itself.

Every analysis is a function ``analysis(study, *, ...)`` that returns a
frozen dataclass mixing in :class:`Result`:

- ``table``: the numbers, a tidy :class:`pandas.DataFrame` for code;
- ``display()``: the people's table (text cells ``value [low, high] n=...``,
  small bases replaced by a visible ``suppressed`` note);
- ``findings(top=3)``: the plain-language lines a report quotes (a
  :class:`~cxresearch.tables.Findings`);
- ``plot(ax=None)``: the chart, returning the matplotlib Axes (results
  without a chart set ``has_plot = False``);
- ``_repr_html_()``: escaped HTML for notebooks and reports;
- ``confidence`` and ``min_base``: the interval level every label is written
  from, and the base below which numbers are suppressed.

``tests/test_result_contract.py`` checks every analysis against this
contract, the way scikit-learn's ``check_estimator`` checks estimators.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from .tables import Findings, html_table, interval_label


class Result:
    """Mixed into every analysis result (a frozen dataclass with ``table``,
    ``confidence`` and ``min_base`` fields or properties)."""

    has_plot: ClassVar[bool] = True
    table: pd.DataFrame
    confidence: float
    min_base: int

    @property
    def interval(self) -> str:
        """The interval label for this result's confidence, e.g. ``95% interval``."""
        return interval_label(self.confidence)

    def display(self) -> pd.DataFrame:
        """The people's table: text cells with bases, small bases suppressed."""
        raise NotImplementedError

    def findings(self, top: int = 3) -> Findings:
        """At most ``top`` plain-language lines: what a reader should take away."""
        raise NotImplementedError

    def caption(self) -> str:
        """The line under the people's table: method, interval, correction."""
        return ""

    def plot(self, ax=None):
        """The result's chart on ``ax`` (a new figure when None); returns the Axes."""
        raise TypeError(f"{type(self).__name__} has no chart")

    def _repr_html_(self) -> str:
        return html_table(self.display(), self.min_base, self.caption())
