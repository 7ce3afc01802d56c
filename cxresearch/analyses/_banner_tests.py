"""The numbers behind a banner table: each cell's estimate, and the tests behind its letters.

:func:`compute` turns the measures down the side (:class:`Row`) and the banner
columns across (:class:`Column`) into the long table of cells and the table of
tests. Everything works on flat arrays, so a whole banner (every row, every
category of every banner column) is a handful of vectorised passes:

- cells (:func:`cell_statistics`): grouped sufficient statistics
  (:class:`~cxresearch.stats.GroupedSums`) per row, with each cell's interval
  (t for means, Wilson for shares, adjusted Wald for NPS, as in
  :mod:`cxresearch.metrics`) and what the tests need (the estimate on the
  proportion scale, the per-respondent variance, Kish's effective n);
- pairs (:func:`pair_tests`): every two categories of one banner column in one
  row, two-sided:

  - column means: Welch's t (Welch 1947, *Biometrika* 34, 28-35), the
    standard error ``sqrt(s1^2/n1 + s2^2/n2)`` on the Welch-Satterthwaite
    degrees of freedom, as ``scipy.stats.ttest_ind(equal_var=False)``;
  - column proportions: the two-proportion z test with the pooled proportion,
    as ``statsmodels.stats.proportion.proportions_ztest``; the difference's
    interval is Newcombe's hybrid score interval (Newcombe 1998, *Stat. Med.*
    17, 873-890, method 10);
  - NPS: a z test on the difference of two independent NPS, each with its
    trinomial variance ``(p_P + p_D - (p_P - p_D)^2) / n`` (Rocks 2016);

  weighted data enter through Kish's effective n (Kish 1965);
- families (:func:`correct_families`): one family per row and banner column,
  corrected by the methods of :data:`cxresearch.stats.CORRECTIONS` (the same
  adjusted p-values as ``statsmodels.stats.multitest.multipletests``), and the
  verdict read from the difference's interval at the family's level, as
  :func:`cxresearch.stats.correct_family` does (one rule: a letter appears
  exactly when that interval excludes zero). Done for all families at once,
  without importing statsmodels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._lazy import LazyModule
from ..stats import CORRECTIONS, GroupedSums, nps_interval, t_interval, wilson_interval

_st = LazyModule("scipy.stats")  # loaded when a test is first computed

TOTAL = "Total"
KINDS = ("mean", "share", "nps")
TESTS = {
    "mean": "Welch t (column means)",
    "share": "two-proportion z, pooled (column proportions); Newcombe interval",
    "nps": "z on the difference of two NPS (trinomial variance)",
}
SCALE = {"mean": 1.0, "share": 100.0, "nps": 100.0}  # display units per proportion unit


@dataclass(frozen=True)
class CellStatistics:
    """One row's cells: display ``value``/``low``/``high``, base ``n`` and ``n_eff``,
    and for the tests the ``estimate`` (proportion scale for shares and NPS) and
    the per-respondent ``variance``."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray


def cell_statistics(
    kind: str, values: np.ndarray, weights: np.ndarray, codes: np.ndarray, k: int, confidence: float
) -> CellStatistics:
    """A row's statistic in each of ``k`` cells (``codes``: the cell of each answer, -1 none).

    ``kind`` ``"mean"``: weighted mean and Student t interval; ``"share"``: ``values``
    are 0/1 and the cell is the weighted share in % with its Wilson interval;
    ``"nps"``: ``values`` are 0-10 scores and the cell is the NPS with its adjusted
    Wald interval (Rocks 2016). Weighted: Kish's effective n.
    """
    return statistics_of(kind, cell_sums(kind, values, weights, codes, k), confidence)


def cell_sums(
    kind: str, values: np.ndarray, weights: np.ndarray, codes: np.ndarray, k: int
) -> tuple[GroupedSums, ...]:
    """The sufficient statistics of a row's cells: the :class:`GroupedSums` of the
    values, or for NPS those of its promoters (9-10) and of its detractors (0-6).
    Sums of parts of the respondents add up (:func:`statistics_of` takes the total)."""
    if kind == "nps":
        valid = ~np.isnan(values)
        promoters = GroupedSums.of(np.where(valid, values >= 9, np.nan), weights, codes, k)
        detractors = GroupedSums.of(np.where(valid, values <= 6, np.nan), weights, codes, k)
        return promoters, detractors
    return (GroupedSums.of(values, weights, codes, k),)


def statistics_of(kind: str, sums: tuple[GroupedSums, ...], confidence: float) -> CellStatistics:
    """A row's cells from their sums (:func:`cell_sums`); see :func:`cell_statistics`."""
    if kind == "nps":
        promoters, detractors = sums
        p, d, n_eff = promoters.mean, detractors.mean, promoters.n_eff
        low, high = nps_interval(p, d, n_eff, confidence)
        estimate, variance, count = p - d, p + d - (p - d) ** 2, promoters.count
    else:
        (found,) = sums
        estimate, n_eff, count = found.mean, found.n_eff, found.count
        if kind == "share":
            low, high = wilson_interval(estimate, n_eff, confidence)
            variance = estimate * (1 - estimate)
        else:
            variance = found.variance
            low, high = t_interval(estimate, variance, n_eff, confidence)
    scale = SCALE[kind]
    return CellStatistics(
        scale * estimate, scale * low, scale * high, count, n_eff, estimate, variance
    )


@dataclass(frozen=True)
class PairTests:
    """Tests of ``a - b`` for pairs of cells (flat arrays, one entry a pair).

    ``kind`` holds each pair's statistic (an index into :data:`KINDS`);
    ``difference`` and ``se`` are on the proportion scale for shares and NPS;
    ``df`` the Welch degrees of freedom (infinite for z tests); ``p`` two-sided.
    """

    kind: np.ndarray
    estimate_a: np.ndarray
    estimate_b: np.ndarray
    n_eff_a: np.ndarray
    n_eff_b: np.ndarray
    difference: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p: np.ndarray

    def interval(self, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each difference's interval at its own confidence ``level`` (an array: each
        pair at its family's level), in display units (points for shares and NPS).

        Means: ``d +- t(level, df) se``; NPS: ``d +- z(level) se``; both invert their
        test exactly. Shares: Newcombe's hybrid score interval from the two Wilson
        intervals at ``level``."""
        level = np.broadcast_to(np.asarray(level, dtype=float), self.p.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            quantile = _st.t.ppf(0.5 + level / 2, self.df)
        low = self.difference - quantile * self.se
        high = self.difference + quantile * self.se
        shares = self.kind == KINDS.index("share")
        for value in np.unique(level[shares]):
            at = shares & (level == value)
            low[at], high[at] = _newcombe(
                self.estimate_a[at], self.n_eff_a[at], self.estimate_b[at], self.n_eff_b[at], value
            )
        scale = np.asarray([SCALE[k] for k in KINDS])[self.kind]
        return scale * low, scale * high


def _newcombe(p1, n1, p2, n2, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for ``p1 - p2`` (1998, method 10)."""
    l1, u1 = wilson_interval(p1, n1, level)
    l2, u2 = wilson_interval(p2, n2, level)
    d = p1 - p2
    return d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def pair_tests(kind, estimate_a, estimate_b, variance_a, variance_b, n_eff_a, n_eff_b) -> PairTests:
    """Two-sided tests of ``a = b`` for every pair (arrays; ``kind`` indexes :data:`KINDS`).

    With ``v = variance / n_eff`` per cell:

    - means: ``t = (m_a - m_b) / sqrt(v_a + v_b)`` on
      ``df = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1))`` (Welch);
    - shares: ``z = (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b))`` with the pooled
      ``p = (p_a n_a + p_b n_b) / (n_a + n_b)``;
    - NPS: ``z = (NPS_a - NPS_b) / sqrt(v_a + v_b)`` with the trinomial variances.

    A difference with a standard error of zero (two constant cells) has ``p = 1``
    when the estimates are equal and ``p = 0`` otherwise.
    """
    kind = np.asarray(kind, dtype=np.intp)
    a, b = np.asarray(estimate_a, dtype=float), np.asarray(estimate_b, dtype=float)
    na, nb = np.asarray(n_eff_a, dtype=float), np.asarray(n_eff_b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        va, vb = np.asarray(variance_a) / na, np.asarray(variance_b) / nb
        difference = a - b
        se = np.sqrt(va + vb)
        welch = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        pooled = (a * na + b * nb) / (na + nb)
        pooled_se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        means, shares = kind == KINDS.index("mean"), kind == KINDS.index("share")
        df = np.where(means & (se > 0), welch, np.inf)
        statistic_se = np.where(shares, pooled_se, se)
        statistic = np.abs(difference) / statistic_se
        p = 2 * _st.t.sf(statistic, df)
    degenerate = statistic_se == 0
    p = np.where(degenerate, np.where(difference == 0, 1.0, 0.0), p)
    return PairTests(kind, a, b, na, nb, difference, se, df, p)


@dataclass(frozen=True)
class Families:
    """Corrected p-values of many families at once, and each pair's family ``level``
    and ``size`` (see :func:`cxresearch.stats.family_level`)."""

    p_adjusted: np.ndarray
    level: np.ndarray
    size: np.ndarray


def adjust_grouped(p: np.ndarray, family: np.ndarray, method: str = "holm") -> np.ndarray:
    """p-values adjusted within each family (integer ids), as ``multipletests`` does.

    With the ``m`` p-values of a family sorted, ``p_(1) <= ... <= p_(m)``:

    - ``"bonferroni"``: ``min(1, m p)``;
    - ``"holm"`` (Holm 1979, *Scand. J. Statist.* 6, 65-70):
      ``max_{j <= i} min(1, (m - j + 1) p_(j))``;
    - ``"fdr_bh"`` (Benjamini & Hochberg 1995, *JRSS B* 57, 289-300):
      ``min_{j >= i} min(1, m p_(j) / j)``.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {method!r}")
    p, family = np.asarray(p, dtype=float), np.asarray(family)
    if len(p) == 0:
        return p.copy()
    order = np.lexsort((p, family))
    f, sorted_p = family[order], p[order]
    starts = np.r_[0, np.flatnonzero(f[1:] != f[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(f)])
    m = np.repeat(sizes, sizes)
    rank = np.arange(len(f)) - np.repeat(starts, sizes)  # 0-based rank within the family
    if method == "bonferroni":
        adjusted = sorted_p * m.astype(float)
    elif method == "holm":
        raw = pd.Series((m - rank) * sorted_p)
        adjusted = raw.groupby(f).cummax().to_numpy()
    else:
        raw = pd.Series((sorted_p / ((rank + 1) / m))[::-1])
        adjusted = raw.groupby(f[::-1]).cummin().to_numpy()[::-1]
    result = np.empty_like(p)
    result[order] = np.minimum(adjusted, 1.0)
    return result


def correct_families(
    p: np.ndarray, family: np.ndarray, confidence: float = 0.95, method: str = "holm"
) -> Families:
    """Adjusted p-values and, per pair, its family's interval level and size.

    The level follows :func:`cxresearch.stats.family_level`, with ``alpha = 1 -
    confidence``, ``m`` tests and ``r`` rejections (adjusted p at most alpha) in the
    family: Bonferroni ``1 - alpha / m``; Holm ``1 - alpha / max(m - r, 1)``;
    Benjamini-Hochberg ``1 - max(r, 1) alpha / m``. A pair is significant when its
    interval at that level excludes zero (see :class:`PairTests.interval`).
    """
    adjusted = adjust_grouped(p, family, method)
    family = np.asarray(family)
    if len(p) == 0:
        return Families(adjusted, np.asarray(adjusted), np.zeros(0, dtype=int))
    _, index = np.unique(family, return_inverse=True)
    alpha = 1 - confidence
    m = np.bincount(index).astype(float)
    rejected = np.bincount(index, adjusted <= alpha, minlength=len(m))
    if method == "bonferroni":
        level = 1 - alpha / m
    elif method == "holm":
        level = 1 - alpha / np.maximum(m - rejected, 1)
    else:
        level = 1 - np.maximum(rejected, 1) * alpha / m
    return Families(adjusted, level[index], m[index].astype(int))


# -- the whole banner: cells across, rows down, tests per family ---------------------------
@dataclass(frozen=True)
class Row:
    """A measure down the side: its key, label, statistic, kind and per-respondent values
    (0/1 for shares, 0-10 scores for NPS; NaN: no answer)."""

    measure: str
    label: str
    statistic: str
    kind: str
    values: np.ndarray


@dataclass(frozen=True)
class Column:
    """A banner column across: its name, each respondent's category and the categories."""

    name: str
    codes: np.ndarray  # the category of each respondent, -1: none
    categories: list[str]


def letter_names(k: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ...

    >>> letter_names(3), letter_names(28)[-2:]
    (['A', 'B', 'C'], ['AA', 'AB'])
    """
    out = []
    for i in range(k):
        letters, i = "", i + 1
        while i:
            i, r = divmod(i - 1, 26)
            letters = chr(65 + r) + letters
        out.append(letters)
    return out


@dataclass(frozen=True)
class Cells:
    """The banner's cells across (Total first): banner column, category, letter."""

    banner: np.ndarray
    category: np.ndarray
    letter: np.ndarray
    group: np.ndarray  # 0: Total, i: the i-th banner column
    codes: np.ndarray  # stacked: each respondent once per group, -1 outside every cell
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # cell a, cell b, group
    groups: int = 1  # the Total and each banner column

    @classmethod
    def of(cls, columns: list[Column], n: int) -> Cells:
        banner, category, letter, group = [TOTAL], [TOTAL], [""], [0]
        codes, pairs, offset = [np.zeros(n, dtype=np.intp)], [], 1
        for g, column in enumerate(columns, start=1):
            k = len(column.categories)
            banner += [column.name] * k
            category += column.categories
            letter += letter_names(k)
            group += [g] * k
            codes.append(np.where(column.codes >= 0, column.codes + offset, -1))
            a, b = np.triu_indices(k, 1)
            pairs.append((a + offset, b + offset, np.full(len(a), g)))
            offset += k
        a, b, g = (np.concatenate(p) for p in zip(*pairs, strict=True)) if pairs else ([],) * 3
        return cls(
            np.asarray(banner, dtype=object),
            np.asarray(category, dtype=object),
            np.asarray(letter, dtype=object),
            np.asarray(group),
            np.concatenate(codes),
            (np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp), np.asarray(g, dtype=int)),
            len(columns) + 1,
        )


def compute(rows: list[Row], columns, weights, min_base, confidence, correction):
    """The long table of cells (one per row and banner cell, Total first) and the table
    of tests (one per pair of tested cells of one banner column in one row)."""
    cells = Cells.of(columns, len(weights))
    stats = [statistics_of(r.kind, sums, confidence) for r, sums in row_sums(rows, cells, weights)]
    return tabulate(rows, cells, stats, min_base, confidence, correction)


def row_sums(rows: list[Row], cells: Cells, weights: np.ndarray):
    """``(row, its cells' sums)`` for every row (:func:`cell_sums` over the stacked
    codes of :class:`Cells`: every respondent in the Total and in a category of
    each banner column)."""
    k, groups = len(cells.banner), cells.groups
    stacked_weights = np.tile(weights, groups)
    for r in rows:
        yield r, cell_sums(r.kind, np.tile(r.values, groups), stacked_weights, cells.codes, k)


def tabulate(rows: list[Row], cells: Cells, stats: list[CellStatistics], min_base, confidence,
             correction):  # fmt: skip
    """The table of cells and the table of tests from each row's cell statistics
    (the rows' values are not used)."""
    k = len(cells.banner)
    field_names = ("value", "low", "high", "n", "n_eff", "estimate", "variance")
    flat = {f: np.concatenate([getattr(s, f) for s in stats]) for f in field_names}
    r = len(rows)
    table = pd.DataFrame(
        {
            "measure": np.repeat([x.measure for x in rows], k),
            "label": np.repeat([x.label for x in rows], k),
            "statistic": np.repeat([x.statistic for x in rows], k),
            "kind": np.repeat([x.kind for x in rows], k),
            "banner": np.tile(cells.banner, r),
            "category": np.tile(cells.category, r),
            "letter": np.tile(cells.letter, r),
            **{f: flat[f] for f in ("value", "low", "high")},
            "n": flat["n"].astype(int),
            "n_eff": flat["n_eff"],
        }
    )
    table["below_min_base"] = table["n"] < min_base
    table["tested"] = (
        ~table["below_min_base"].to_numpy()
        & (np.tile(cells.group, r) > 0)
        & (flat["n"] >= 2)
        & (flat["n_eff"] > 1)
        & np.isfinite(flat["estimate"])
        & np.isfinite(flat["variance"])
    )
    tests = _tests(table, flat, cells, rows, confidence, correction)
    above: list[list[str]] = [[] for _ in range(len(table))]
    significant = tests[tests["significant"]]
    for hi, other in sorted(zip(significant["_high_cell"], significant["_low_cell"], strict=True)):
        above[hi].append(table.at[other, "letter"])
    table["above"] = [tuple(a) for a in above]
    return table, tests.drop(columns=["_high_cell", "_low_cell"])


_TEST_COLUMNS = (
    "measure", "label", "statistic", "kind", "banner", "category", "letter", "value", "n",
    "other", "other_letter", "other_value", "other_n",
)  # fmt: skip


def _tests(table, flat, cells, rows, confidence, correction) -> pd.DataFrame:
    """Every pair of tested cells of one banner column in one row, corrected per family."""
    k, r = len(cells.banner), len(rows)
    pa, pb, pg = cells.pairs
    row = np.repeat(np.arange(r), len(pa))
    a, b = row * k + np.tile(pa, r), row * k + np.tile(pb, r)
    tested = table["tested"].to_numpy()
    keep = tested[a] & tested[b]
    a, b, row = a[keep], b[keep], row[keep]
    family = row * (cells.group.max() + 1) + np.tile(pg, r)[keep]
    kind = np.asarray([KINDS.index(x.kind) for x in rows], dtype=np.intp)[row]
    pairs = pair_tests(
        kind, flat["estimate"][a], flat["estimate"][b], flat["variance"][a],
        flat["variance"][b], flat["n_eff"][a], flat["n_eff"][b],
    )  # fmt: skip
    families = correct_families(pairs.p, family, confidence, correction)
    low, high = pairs.interval(families.level)
    raw_low, raw_high = pairs.interval(np.full(len(a), confidence))
    frame = table.loc[a, list(_TEST_COLUMNS[:9])].reset_index(drop=True)
    other = table.loc[b, ["category", "letter", "value", "n"]].reset_index(drop=True)
    for name, column in zip(_TEST_COLUMNS[9:], other.columns, strict=True):
        frame[name] = other[column].to_numpy()
    frame["difference"] = frame["value"].astype(float) - frame["other_value"].astype(float)
    frame["low"], frame["high"], frame["raw_low"], frame["raw_high"] = low, high, raw_low, raw_high
    frame["p"], frame["p_adjusted"] = pairs.p, families.p_adjusted
    frame["significant"] = (low > 0) | (high < 0)
    frame["family_size"], frame["family_level"] = families.size, families.level
    frame["test"] = [TESTS[KINDS[i]] for i in kind]
    total = row * k  # the Total cell of each pair's row
    sd = np.sqrt(flat["variance"][total]) * np.where(kind == KINDS.index("mean"), 1.0, 100.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["effect"] = frame["difference"].to_numpy(dtype=float) / sd
    up = frame["difference"].to_numpy(dtype=float) > 0
    frame["_high_cell"], frame["_low_cell"] = np.where(up, a, b), np.where(up, b, a)
    frame[["n", "other_n"]] = frame[["n", "other_n"]].astype(int)
    return frame
