"""Estimates with honest uncertainty: the :class:`Estimate` type and its intervals.

Every interval function here works on numpy arrays of sufficient statistics
(counts, weighted sums and sums of squares), so one call computes the
intervals of every group of a table, and the same code will serve a Dask
path that merges those sums across partitions (DESIGN.md section 9).

Survey weights enter through Kish's effective sample size
``n_eff = (sum w)^2 / sum w^2`` (Kish 1965, *Survey Sampling*, section 11.7):
a weighted proportion or mean is treated as if it came from a simple random
sample of ``n_eff`` respondents. With all weights equal, ``n_eff = n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from ._lazy import LazyModule

# loaded on first use, so that ``import cxresearch`` stays quick: scipy.special's
# ndtri, stdtrit and stdtr are what scipy.stats' norm.ppf, t.ppf and t.sf call
_special = LazyModule("scipy.special")
_st = LazyModule("scipy.stats")  # only the binomial quantile of quantile_interval


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval and base.

    Attributes
    ----------
    value, low, high : float
        The estimate and its interval, in the statistic's own units
        (NPS in points from -100 to 100, shares in percent, means in scale units).
    n : int
        The base: how many respondents answered.
    method : str
        How the interval was computed, with its source.
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    confidence : float
        The interval's confidence level.
    """

    value: float
    low: float
    high: float
    n: int
    method: str
    n_eff: float | None = None
    confidence: float = 0.95

    def __str__(self) -> str:
        return f"{self.value:.1f} [{self.low:.1f}, {self.high:.1f}] (n={self.n:,})"

    def _repr_html_(self) -> str:
        return (
            f"<span title='{escape(self.method)}'>{self.value:.1f} "
            f"<small>[{self.low:.1f}, {self.high:.1f}] n={self.n:,}</small></span>"
        )


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965).

    >>> kish_effective_n([1, 1, 1, 1])
    4.0
    >>> kish_effective_n([1, 1, 2, 4])  # 8^2 / 22
    2.909090909090909
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.square(w).sum())


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile.

    >>> round(z_value(0.95), 6)
    1.959964
    """
    return float(_special.ndtri(0.5 + confidence / 2))


def t_quantile(q, df) -> np.ndarray:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (NaN where
    ``df`` is not positive), as :func:`scipy.stats.t.ppf` computes it: both call
    ``scipy.special.stdtrit``, which imports without ``scipy.stats``.

    >>> round(float(t_quantile(0.975, 10)), 6)
    2.228139
    """
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, _special.stdtrit(np.where(df > 0, df, 1.0), q), np.nan)


def wilson_interval(
    p: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion.

    Notes
    -----
    With z the normal quantile::

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    ``n`` may be a Kish effective size for weighted data.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22, 209-212. Newcombe, R. G. (1998). Two-sided
    confidence intervals for the single proportion. Stat. Med. 17, 857-872.
    """
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def t_interval(
    mean: np.ndarray, variance: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student t interval for a mean: ``mean +- t(n - 1) * sqrt(variance / n)``.

    ``variance`` is the unbiased sample variance; ``n`` may be a Kish effective
    size (then the degrees of freedom are ``n_eff - 1``).
    """
    mean, variance, n = (np.asarray(a, dtype=float) for a in (mean, variance, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
        half = t * np.sqrt(variance / n)
    return mean - half, mean + half


def nps_interval(
    p_promoters: np.ndarray, p_detractors: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted Wald interval for the Net Promoter Score, on the -1..1 scale.

    Notes
    -----
    Add 3/4 of a respondent to the promoters and to the detractors and 3 to
    the base, then use the Wald interval of the difference of two
    proportions of one multinomial sample::

        P = (n p_P + 3/4) / (n + 3),   D = (n p_D + 3/4) / (n + 3)
        NPS_adj = P - D
        SE = sqrt((P + D - (P - D)^2) / (n + 3))
        interval = NPS_adj +- z SE, clipped to [-1, 1]

    The unadjusted variance ``(p_P + p_D - (p_P - p_D)^2) / n`` is the
    trinomial variance of the NPS; the adjustment keeps the coverage near the
    nominal level for small bases and extreme scores, where the plain Wald
    interval collapses (e.g. to zero width when everyone is a promoter).
    ``n`` may be a Kish effective size.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
    The American Statistician 70(4), 365-372 (arXiv:1601.07235): the adjusted
    Wald interval performs best among the methods compared. Sauro, J. & Lewis,
    J. R. (2021), MeasuringU, "Evaluating NPS confidence intervals with
    real-world data" (the 3/4 and 3 adjustment).
    """
    p_promoters, p_detractors, n = (
        np.asarray(a, dtype=float) for a in (p_promoters, p_detractors, n)
    )
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_adj = n + 3
        promoters = (n * p_promoters + 0.75) / n_adj
        detractors = (n * p_detractors + 0.75) / n_adj
        centre = promoters - detractors
        se = np.sqrt((promoters + detractors - centre**2) / n_adj)
    return np.clip(centre - z * se, -1, 1), np.clip(centre + z * se, -1, 1)


@dataclass(frozen=True)
class GroupedSums:
    """Sufficient statistics of one variable in each of ``k`` groups.

    ``count`` answers, ``sw`` sum of weights, ``sw2`` sum of squared weights,
    ``swx`` and ``swx2`` weighted sums of the values and of their squares.
    Sums from two partitions of the data add up (they are mergeable).
    """

    count: np.ndarray
    sw: np.ndarray
    sw2: np.ndarray
    swx: np.ndarray
    swx2: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray, codes: np.ndarray, k: int) -> GroupedSums:
        """Sums of ``values`` (NaN = no answer) by group ``codes`` in ``0..k-1``."""
        values = np.asarray(values, dtype=float)
        ok = ~np.isnan(values) & (codes >= 0)
        c, w, x = codes[ok], weights[ok], values[ok]
        wx = w * x
        return cls(
            count=np.bincount(c, minlength=k),
            sw=np.bincount(c, w, minlength=k),
            sw2=np.bincount(c, w * w, minlength=k),
            swx=np.bincount(c, wx, minlength=k),
            swx2=np.bincount(c, wx * x, minlength=k),
        )

    @property
    def n_eff(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sw**2 / self.sw2

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.swx / self.sw

    @property
    def variance(self) -> np.ndarray:
        """Weighted variance with Kish's small-sample correction ``n_eff / (n_eff - 1)``;
        with unit weights it is the usual unbiased sample variance."""
        n_eff = self.n_eff
        with np.errstate(invalid="ignore", divide="ignore"):
            population = np.maximum(self.swx2 / self.sw - self.mean**2, 0.0)
            return population * n_eff / (n_eff - 1)


class Groups:
    """Group codes and survey weights shared by the :class:`GroupedSums` of many variables.

    ``GroupedSums.of`` copies the answered rows of each variable before its five
    ``numpy.bincount`` passes; a KPI table asks for a dozen such sums over the same
    groups. Here the rows of no group (code ``-1``) and, per variable, the rows
    without an answer go to one extra bin ``k`` that is dropped, so no row is
    copied, and what several statistics of one variable share is summed once:

    - the count, ``sum w`` and ``sum w^2`` of its answered rows (:meth:`answers`),
      which are the groups' own totals when every row is answered;
    - a share's indicator ``I`` (0 or 1) needs one pass: ``sum w I^2 = sum w I``;
    - unweighted (``weights=None``), ``sum w`` and ``sum w^2`` are the counts.

    Each bin is still summed over its rows in row order, so every sum is the
    very number ``GroupedSums.of`` gives (tests check it bit for bit).
    """

    def __init__(self, codes: np.ndarray, k: int, weights: np.ndarray | None = None):
        codes = np.asarray(codes, dtype=np.intp)
        self.k = int(k)
        self.bins = np.where(codes >= 0, codes, self.k) if codes.size and codes.min() < 0 else codes
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self._totals: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._squares: np.ndarray | None = None

    def answers(self, values: np.ndarray) -> GroupedAnswers:
        """One variable's answers (NaN = no answer), ready for its statistics."""
        values = np.asarray(values, dtype=float)
        unanswered = np.isnan(values)
        if not unanswered.any():
            return GroupedAnswers(self, values, self.bins, *self.totals())
        bins = np.where(unanswered, self.k, self.bins)
        return GroupedAnswers(self, values, bins, *self.base(bins))

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, ``sum w`` and ``sum w^2`` of every group (computed once)."""
        if self._totals is None:
            self._totals = self.base(self.bins)
        return self._totals

    def base(self, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, ``sum w`` and ``sum w^2`` of the rows in each of the ``k`` bins."""
        count = self.sum(bins)
        if self.weights is None:
            return count, count.astype(float), count.astype(float)
        if self._squares is None:
            self._squares = self.weights * self.weights
        return count, self.sum(bins, self.weights), self.sum(bins, self._squares)

    def sum(self, bins: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """``numpy.bincount`` over the ``k`` groups, the dropped bin ``k`` cut off."""
        return np.bincount(bins, weights, minlength=self.k + 1)[: self.k]


@dataclass(frozen=True)
class GroupedAnswers:
    """One variable in :class:`Groups`: its values, the bins of its answered rows
    (the others in bin ``k``) and their count, ``sum w`` and ``sum w^2``."""

    groups: Groups
    values: np.ndarray
    bins: np.ndarray
    count: np.ndarray
    sw: np.ndarray
    sw2: np.ndarray

    def sums(self) -> GroupedSums:
        """The variable's own sums: ``GroupedSums.of(values, weights, codes, k)``."""
        g, x = self.groups, self.values
        wx = x if g.weights is None else g.weights * x  # (1.0 * x is x)
        swx = g.sum(self.bins, wx)
        wx = np.multiply(wx, x, out=None if g.weights is None else wx)
        base = self.count.copy(), self.sw.copy(), self.sw2.copy()
        return GroupedSums(*base, swx, g.sum(self.bins, wx))

    def share(self, condition: np.ndarray) -> GroupedSums:
        """Sums of the indicator ``condition`` (True = 1) over the answered rows:
        ``GroupedSums.of(np.where(answered, condition, nan), weights, codes, k)``."""
        g = self.groups
        if g.weights is None:
            hits = g.sum(np.where(condition, self.bins, g.k)).astype(float)
        else:
            hits = g.sum(self.bins, np.multiply(g.weights, condition))  # w or 0.0
        return GroupedSums(self.count.copy(), self.sw.copy(), self.sw2.copy(), hits, hits.copy())


def t_test_p(mean: np.ndarray, variance: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a one-sample (or paired) t test of ``mean = 0``:
    ``t = mean / sqrt(variance / n)`` on ``n - 1`` degrees of freedom. With
    unit weights it equals :func:`scipy.stats.ttest_1samp` (and ``ttest_rel``
    on the paired differences)."""
    mean, variance, n = (np.asarray(a, dtype=float) for a in (mean, variance, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / np.sqrt(variance / n)
        df = np.where(n > 1, n - 1, np.nan)
        return 2 * np.where(df > 0, _special.stdtr(df, -np.abs(t)), np.nan)


def adjust_pvalues(p: np.ndarray, method: str = "holm") -> np.ndarray:
    """Correct p-values for many comparisons (Holm 1979 by default; ``"fdr_bh"``
    for Benjamini-Hochberg 1995). Missing p-values stay missing and are not
    counted as tests.

    Notes
    -----
    With the ``m`` p-values sorted, ``p_(1) <= ... <= p_(m)``:

    - ``"bonferroni"``: ``min(1, m p_i)``;
    - ``"holm"`` (step-down; Holm 1979, *Scand. J. Statist.* 6, 65-70):
      ``min(1, max_{j <= i} (m - j + 1) p_(j))``;
    - ``"fdr_bh"`` (step-up; Benjamini & Hochberg 1995, *JRSS B* 57, 289-300):
      ``min(1, min_{j >= i} m p_(j) / j)``.

    The same floating-point steps as statsmodels' ``multipletests`` (the same
    sort, products and running maximum or minimum), so the same numbers bit for
    bit, without its ``gc.collect()`` on every Holm call (0.08 s in a process
    that has loaded pandas, matplotlib and scikit-learn) or the import of
    statsmodels. Other ``multipletests``
    methods (``"sidak"``, ``"fdr_by"``, ...) are delegated to it.
    """
    p = np.asarray(p, dtype=float)
    adjusted = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        adjusted[ok] = _adjusted(p[ok], method)
    return adjusted


def _holm(sorted_p: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(sorted_p * np.arange(len(sorted_p), 0, -1))


def _benjamini_hochberg(sorted_p: np.ndarray) -> np.ndarray:
    ecdf = np.arange(1, len(sorted_p) + 1) / float(len(sorted_p))
    return np.minimum.accumulate((sorted_p / ecdf)[::-1])[::-1]


def _bonferroni(sorted_p: np.ndarray) -> np.ndarray:
    return sorted_p * float(len(sorted_p))


_STEPS = {
    "bonferroni": _bonferroni,
    "holm": _holm,
    "fdr_bh": _benjamini_hochberg,
}


def _adjusted(p: np.ndarray, method: str) -> np.ndarray:
    """The adjusted p-values of ``p`` (no NaN) in their own order."""
    if method not in _STEPS:
        from statsmodels.stats.multitest import multipletests

        return multipletests(p, method=method)[1]
    order = np.argsort(p)
    corrected = _STEPS[method](np.take(p, order))
    corrected[corrected > 1] = 1
    adjusted = np.empty_like(corrected)
    adjusted[order] = corrected
    return adjusted


# -- one rule for many comparisons: verdicts and intervals that agree ----------------------
CORRECTIONS = ("bonferroni", "holm", "fdr_bh")
CORRECTION_NAMES = {
    "bonferroni": "Bonferroni",
    "holm": "Holm's step-down",
    "fdr_bh": "Benjamini-Hochberg (false discovery rate)",
}


def level_label(level: float) -> str:
    """A confidence level in percent, with as many decimals as it needs (at most two).

    >>> level_label(0.95), level_label(1 - 0.05 / 24), level_label(0.999)
    ('95%', '99.79%', '99.9%')
    """
    return f"{100 * level:.2f}".rstrip("0").rstrip(".") + "%"


@dataclass(frozen=True)
class Family:
    """Corrected verdicts of one family of comparisons, with the intervals that match them.

    ``low``/``high`` are the intervals to show beside the verdict: each at
    ``level`` (for Bonferroni ``1 - alpha / size``), so ``significant`` holds
    exactly when the interval excludes zero. ``p_adjusted`` is missing for the
    comparisons left out of the family (``include`` False: suppressed bases).
    """

    p_adjusted: np.ndarray
    low: np.ndarray
    high: np.ndarray
    significant: np.ndarray
    level: float
    size: int
    method: str
    confidence: float

    def describe(self, what: str = "comparisons in this table") -> str:
        """The family in plain words, for a caption or a note under a table."""
        return family_note(self.method, self.size, self.level, self.confidence, what)


def family_note(
    method: str, size: int, level: float, confidence: float, what: str = "comparisons in this table"
) -> str:
    """How a family of comparisons was corrected, in plain words (see :class:`Family`).

    >>> family_note("bonferroni", 24, 1 - 0.05 / 24, 0.95)[:80]
    'Bonferroni correction for the 24 comparisons in this table; simultaneous 95% int'
    """
    if size == 0:
        return f"No {what} to test."
    name, shown = CORRECTION_NAMES[method], level_label(level)
    if method == "bonferroni":
        how = (
            f"simultaneous {level_label(confidence)} intervals: each is a {shown} interval, "
            f"so all {size} cover their true values together with {level_label(confidence)} "
            "confidence"
        )
    elif method == "holm":
        how = f"each interval is a {shown} interval, the level at which Holm's procedure tested it"
    else:
        how = (
            f"each interval is a {shown} interval, the false coverage-rate adjusted interval "
            "of Benjamini & Yekutieli (2005)"
        )
    return (
        f'{name} correction for the {size} {what}; {how}. "Significant" (marked *) means '
        "that interval excludes zero."
    )


def family_interval_label(method: str, level: float, confidence: float) -> str:
    """A column header for a family's intervals: ``simultaneous 95% interval`` (Bonferroni)
    or the level of each interval (``99.2% interval``)."""
    if method == "bonferroni":
        return f"simultaneous {level_label(confidence)} interval"
    return f"{level_label(level)} interval"


def family_level(p: np.ndarray, confidence: float = 0.95, method: str = "bonferroni") -> float:
    """The confidence level of each interval of a family whose verdicts follow ``method``.

    With ``alpha = 1 - confidence``, ``m`` tests, and ``r`` the number of tests
    the method rejects:

    - ``"bonferroni"``: ``1 - alpha / m``; the ``m`` intervals cover their true
      values simultaneously with probability at least ``confidence``
      (Bonferroni inequality; Dunn 1961, JASA 56, 52-64).
    - ``"holm"``: ``1 - alpha / (m - r)`` (``1 - alpha`` when all are rejected):
      a p-value is rejected by Holm (1979) exactly when it is at most
      ``alpha / (m - r)``, so these intervals agree with Holm's verdicts; they
      are not simultaneous (informative simultaneous intervals compatible with
      Holm do not exist in general: Strassburger & Bretz 2008, Stat. Med. 27,
      4914-4927), which is why Bonferroni is the default.
    - ``"fdr_bh"``: ``1 - max(r, 1) alpha / m``: Benjamini-Hochberg rejects exactly
      the p-values at most ``r alpha / m``; these are the false coverage-statement
      rate intervals of Benjamini & Yekutieli (2005), JASA 100, 71-81.

    >>> family_level([0.001, 0.02, 0.3, 0.5], 0.95, "bonferroni")
    0.9875
    >>> family_level([0.001, 0.02, 0.3, 0.5], 0.95, "holm")  # one rejected: 1 - 0.05 / 3
    0.9833333333333333
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {method!r}")
    p = np.asarray(p, dtype=float)
    p = p[~np.isnan(p)]
    m, alpha = len(p), 1 - confidence
    if m == 0:
        return confidence
    if method == "bonferroni":
        return 1 - alpha / m
    rejected = int(np.sum(adjust_pvalues(p, method) <= alpha))
    if method == "holm":
        return 1 - alpha / max(m - rejected, 1)
    return 1 - max(rejected, 1) * alpha / m


def correct_family(
    p,
    interval_at,
    *,
    confidence: float = 0.95,
    method: str = "bonferroni",
    include=None,
) -> Family:
    """Corrected p-values, verdicts and the matching intervals of one family of comparisons.

    Parameters
    ----------
    p : array
        Raw two-sided p-values (NaN: no test, not counted).
    interval_at : callable
        ``interval_at(level) -> (low, high)``: every comparison's interval at a
        confidence level (arrays of the length of ``p``).
    confidence : float
        The family's confidence (``alpha = 1 - confidence``).
    method : str
        ``"bonferroni"`` (default), ``"holm"`` or ``"fdr_bh"``: see :func:`family_level`.
    include : array of bool, optional
        The comparisons in the family (e.g. those whose bases are large enough to
        report); the others get no adjusted p and are never significant.

    Notes
    -----
    One rule: the verdict is read from the interval shown, ``significant`` if
    and only if the interval at :func:`family_level` excludes zero. For tests
    whose interval inverts the test (t, z) this is the method's own verdict;
    where the two differ at the margin (the pooled two-proportion z test beside
    Newcombe's interval), the interval decides, so a table never shows "not
    significant" beside an interval that excludes zero.
    """
    p = np.asarray(p, dtype=float)
    keep = np.ones(len(p), dtype=bool) if include is None else np.asarray(include, dtype=bool)
    tested = keep & ~np.isnan(p)
    level = family_level(p[tested], confidence, method)
    low, high = (np.asarray(a, dtype=float) for a in interval_at(level))
    adjusted = np.full(len(p), np.nan)
    adjusted[tested] = adjust_pvalues(p[tested], method)
    significant = tested & ((low > 0) | (high < 0))
    return Family(adjusted, low, high, significant, level, int(tested.sum()), method, confidence)


def quantile_interval(values, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """The sample q-quantile with its distribution-free (order-statistic) interval.

    Notes
    -----
    With ``B ~ Binomial(n, q)`` the number of values below the true quantile,
    ``P(X_(l) <= xi_q < X_(u)) = P(l <= B < u)``. ``l`` is the ``alpha/2``
    quantile of ``B`` and ``u`` one more than its ``1 - alpha/2`` quantile
    (Conover 1999, *Practical Nonparametric Statistics*, section 3.2; as
    :func:`scipy.stats.quantile_test`). When the order statistic a bound needs
    does not exist (``l = 0`` or ``u > n``: too few values for the quantile),
    that bound is ``-inf`` or ``inf``, "no bound": never the sample's minimum
    or maximum, which would cover the truth far less often than claimed (the
    90th percentile of 10 values: 62% instead of 95%).

    >>> quantile_interval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)
    (9.1, 7.0, inf)
    """
    x = np.asarray(values, dtype=float)
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    alpha = 1 - confidence
    lower = int(_st.binom.ppf(alpha / 2, n, q))  # values below the interval
    upper = int(_st.binom.ppf(1 - alpha / 2, n, q)) + 1
    low = x[lower - 1] if lower >= 1 else -np.inf
    high = x[upper - 1] if upper <= n else np.inf
    return float(np.quantile(x, q)), float(low), float(high)
