"""Key drivers of a Dask study: :func:`drivers_dask`, the same :class:`Drivers`
as :func:`cxresearch.drivers`.

Point estimates, exactly, from per-partition sums (two passes over the data):

1. counts, sums, smallest and largest answer per touchpoint among the
   respondents who answered the outcome (which touchpoints the model can use,
   and the columns' means), and the brand's weighted sums behind performance,
   reach, gap and stated importance;
2. the weighted sums of the pairwise-complete correlations of
   ``[x, y, y_impact]`` (:func:`~cxresearch.importance.pairwise_sums`, centred
   at pass 1's means as in memory). Importance, slopes and R² follow from them
   by the in-memory model's own code
   (:func:`~cxresearch.analyses.driver_model.importance_from_correlation`);
   the R² of the fitted slopes is a quadratic form of the same sums
   (:func:`fitted_r2_from_sums`). A yes/no outcome's logistic model is fitted
   by Newton steps whose gradient and Hessian are sums over partitions
   (:func:`_logistic_point`), one pass per step.

Intervals: the bag of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan
2014, "A scalable bootstrap for massive data", JRSS B 76(4), 795-816). In
pass 2 each partition keeps, for each of ``BLB_SUBSETS`` subsets, the rows
whose seeded hash of the respondent id falls below ``b / n``: about
``b = max(n^0.7, 10 (p + 2))`` respondents per subset (more when some pair
of touchpoints is rarely rated together: :func:`subset_size`), whatever the
partitioning. Each subset (in memory: a few hundred thousand rows for 10^8
respondents) is resampled ``n_boot / BLB_SUBSETS`` times with
multinomial(n, 1/b) counts, the model refitted with weights ``w x counts``,
and the deviations' percentiles averaged over subsets around the exact
estimate (:func:`~cxresearch.analyses.driver_model.blb_intervals`).

``n_boot`` and ``random_state`` mean what they mean in memory: the number of
resamples in all (``BLB_SUBSETS`` subsets of ``n_boot // BLB_SUBSETS``, at
least 2; 0: no intervals) and the seed of every random step. Deterministic
for a given ``random_state`` whatever the number of partitions: a row's
membership of a subset depends only on its id and the seed, the subset's rows
are ordered by that hash, and the resamples are drawn from one seeded
generator; only the point estimate's sums change order (rounding, far below
1e-9).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._lazy import LazyModule
from ...importance import correlation_from_sums, nearest_correlation, pairwise_sums
from .._engine import dask_version
from ..driver_model import (
    BLB_GAMMA,
    BLB_SUBSETS,
    CHUNK,
    DriverData,
    DriverFit,
    Intervals,
    blb_intervals,
    blb_resamples,
    blb_spread,
    check_enough,
    fit_description,
    impact_scale,
    importance_from_correlation,
    no_intervals,
    usable_touchpoints,
)
from ..drivers import FIGURES, Drivers, ModelSummary, driver_result, driver_setup, halo_of

dask = LazyModule("dask")

MIN_SUBSET_PER_COLUMN = 10  # a subset holds at least 10 respondents per model column ...
MIN_PAIR_ANSWERS = 50  # ... and, on average, 50 who rated the least often rated pair
NEWTON_STEPS = 50  # as logistic_fit's iterations
NEWTON_TOLERANCE = 1e-10  # as logistic_fit's: the largest step's size


@dataclass(frozen=True)
class Columns:
    """The columns one partition reads, and whose rows are the brand's."""

    outcome: str
    nps: bool
    experiences: tuple[str, ...]
    expectations: tuple[str | None, ...]
    importances: tuple[str | None, ...]
    weight: str | None
    brand_column: str | None
    brand: str | None

    @classmethod
    def of(cls, study, outcome: str, touchpoints, weighted: bool, brand: str | None):
        return cls(
            study.codebook.outcomes[outcome].column,
            outcome == "nps",
            tuple(tp.experience.column for tp in touchpoints),
            tuple(None if tp.expectation is None else tp.expectation.column for tp in touchpoints),
            tuple(None if tp.importance is None else tp.importance.column for tp in touchpoints),
            study.codebook.weight if weighted else None,
            study.codebook.brand_column,
            brand,
        )

    @property
    def read(self) -> list[str]:
        """Every column a partition reads (what the study's ``frame`` is asked for)."""
        named = (
            self.outcome,
            *self.experiences,
            *self.expectations,
            *self.importances,
            self.weight,
            self.brand_column if self.brand is not None else None,
        )
        return list(dict.fromkeys(c for c in named if c is not None))

    def weights(self, frame: pd.DataFrame) -> np.ndarray:
        if self.weight is None:
            return np.ones(len(frame))
        return frame[self.weight].to_numpy(dtype=float)

    def y(self, frame: pd.DataFrame) -> np.ndarray:
        """The outcome as numbers (a yes/no outcome as 0/1; NaN: no answer)."""
        values = frame[self.outcome].astype("Float64")
        return values.to_numpy(dtype=float, na_value=np.nan)

    def x(self, frame: pd.DataFrame, columns=None) -> np.ndarray:
        names = list(self.experiences if columns is None else columns)
        return frame[names].to_numpy(dtype=float, na_value=np.nan).reshape(len(frame), len(names))

    def mine(self, frame: pd.DataFrame) -> np.ndarray:
        """The brand's rows (every row when no brand is chosen)."""
        if self.brand_column is None or self.brand is None:
            return np.ones(len(frame), dtype=bool)
        same = frame[self.brand_column] == self.brand
        return same.fillna(False).to_numpy(dtype=bool)


def chosen_brand(study, brand: str | None) -> str | None:
    """As :meth:`Study.brand_rows`: ``"auto"`` is the study's brand; None (or no
    brand column) means every respondent."""
    chosen = study.brand if brand == "auto" else brand
    return None if study.codebook.brand_column is None else chosen


# --- pass 1: counts, ranges, means, the brand's figures --------------------------------


def first_pass(frame: pd.DataFrame, columns: Columns) -> dict[str, np.ndarray]:
    """One partition's counts and sums: of the respondents who answered the
    outcome (per touchpoint: answers, sum, smallest and largest; of the
    outcome: sum, smallest and largest), and the brand's weighted sums behind
    performance, reach and gap, and every row's behind stated importance."""
    y = columns.y(frame)
    keep = ~np.isnan(y)
    x = columns.x(frame)
    kept = x[keep]
    present = ~np.isnan(kept)
    w = columns.weights(frame)
    mine = columns.mine(frame)
    experience = x[mine]
    answered, w_mine = ~np.isnan(experience), w[mine]
    out = {
        "rows": np.array([len(frame)]),
        "kept": np.array([int(keep.sum())]),
        "x_count": present.sum(axis=0),
        "pairs": present.T.astype(float) @ present,
        "x_sum": np.where(present, kept, 0.0).sum(axis=0),
        "x_low": np.fmin.reduce(kept, axis=0, initial=np.inf),
        "x_high": np.fmax.reduce(kept, axis=0, initial=-np.inf),
        "y_sum": np.array(
            [y[keep].sum(), impact_scale("nps" if columns.nps else "", y[keep]).sum()]
        ),
        "y_low": np.array([np.min(y[keep], initial=np.inf)]),
        "y_high": np.array([np.max(y[keep], initial=-np.inf)]),
        "brand_n": np.array([int(mine.sum())]),
        "brand_w": np.array([w_mine.sum()]),
        "perf_n": answered.sum(axis=0),
        "perf_w": w_mine @ answered,
        "perf_wx": w_mine @ np.where(answered, experience, 0.0),
    }
    out.update(_paired_sums(frame, columns.expectations, experience, mine, w_mine, "gap"))
    out.update(_own_sums(frame, columns.importances, w, "stated"))
    return out


def _paired_sums(frame, others, experience, mine, w, name) -> dict[str, np.ndarray]:
    """Per touchpoint, over the brand's rows with both answers: count, ``sum w``
    and ``sum w (experience - other)`` (zeros where the touchpoint has no other item)."""
    count, weight, total = (np.zeros(len(others)) for _ in range(3))
    for j, column in enumerate(others):
        if column is None:
            continue
        difference = experience[:, j] - frame[column].to_numpy(dtype=float, na_value=np.nan)[mine]
        both = ~np.isnan(difference)
        count[j], weight[j], total[j] = both.sum(), w[both].sum(), w[both] @ difference[both]
    return {f"{name}_n": count, f"{name}_w": weight, f"{name}_wx": total}


def _own_sums(frame, items, w, name) -> dict[str, np.ndarray]:
    """Per touchpoint, over every row that answered the item: count, ``sum w``, ``sum w x``."""
    count, weight, total = (np.zeros(len(items)) for _ in range(3))
    for j, column in enumerate(items):
        if column is None:
            continue
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        has = ~np.isnan(values)
        count[j], weight[j], total[j] = has.sum(), w[has].sum(), w[has] @ values[has]
    return {f"{name}_n": count, f"{name}_w": weight, f"{name}_wx": total}


_SMALLEST, _LARGEST = ("x_low", "y_low"), ("x_high", "y_high")


def merge(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The partitions' counts and sums added up (smallest and largest answers
    combined by min and max)."""
    total = dict(parts[0])
    for part in parts[1:]:
        for key, value in part.items():
            if key in _SMALLEST:
                total[key] = np.fmin(total[key], value)
            elif key in _LARGEST:
                total[key] = np.fmax(total[key], value)
            else:
                total[key] = total[key] + value
    return total


def figures_of(totals: dict[str, np.ndarray], used: list[int]) -> pd.DataFrame:
    """:func:`~cxresearch.analyses.drivers.touchpoint_figures` from pass 1's totals."""
    kept = int(totals["kept"][0])

    def ratio(name: str, base: str = "") -> np.ndarray:
        n, w, wx = totals[f"{name}_n"], totals[f"{name}_w"], totals[f"{name}_wx"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, wx / w, np.nan)

    with np.errstate(divide="ignore", invalid="ignore"):
        reach = totals["perf_w"] / totals["brand_w"][0] if totals["brand_n"][0] else None
    p = len(totals["x_count"])
    figures = pd.DataFrame(
        {
            "missing": (kept - totals["x_count"]) / kept,
            "n_answers": totals["x_count"].astype(int),
            "stated_importance": ratio("stated"),
            "performance": ratio("perf"),
            "n_performance": totals["perf_n"].astype(int),
            "gap": ratio("gap"),
            "reach": np.full(p, np.nan) if reach is None else reach,
        }
    )
    return figures[list(FIGURES)].iloc[used].reset_index(drop=True)


# --- pass 2: the correlations' sums and the subsets of the bag of little bootstraps -----


@dataclass(frozen=True)
class Subsets:
    """How pass 2 picks the rows of the bag of little bootstraps' subsets: a
    row belongs to subset j when the seeded hash of its id, read as a number
    in [0, 1), is below ``share``."""

    keys: tuple[str, ...]  # one 16-character hash key per subset
    share: float

    @classmethod
    def of(cls, random_state: int, count: int, share: float) -> Subsets:
        keys = tuple(
            hashlib.blake2b(f"{random_state}/{j}".encode(), digest_size=8).hexdigest()
            for j in range(count)
        )
        return cls(keys, share)

    def hashes(self, ids: pd.Index, j: int) -> np.ndarray:
        """The rows' 64-bit hashes for subset j (of the ids as text)."""
        text = np.asarray(ids.astype(str), dtype=object)
        return pd.util.hash_array(text, hash_key=self.keys[j], categorize=False)

    def pick(self, hashes: np.ndarray) -> np.ndarray:
        return (hashes >> np.uint64(11)).astype(float) * 2.0**-53 < self.share


def second_pass(
    frame: pd.DataFrame, columns: Columns, used: list[int], shift: np.ndarray, subsets: Subsets
) -> dict:
    """One partition's :func:`~cxresearch.importance.pairwise_sums` of
    ``[x, y, y_impact] - shift`` (the respondents who answered the outcome,
    touchpoints ``used``), summed over chunks of rows, and its rows of each
    subset (hash, experiences, outcome, weight)."""
    y = columns.y(frame)
    keep = ~np.isnan(y)
    x = columns.x(frame, [columns.experiences[j] for j in used])[keep]
    y, w = y[keep], columns.weights(frame)[keep]
    data = np.column_stack([x, y, impact_scale("nps" if columns.nps else "", y)]) - shift
    sums = None
    for start in range(0, len(data), CHUNK):
        part = pairwise_sums(data[start : start + CHUNK], w[start : start + CHUNK])
        sums = part if sums is None else tuple(a + b for a, b in zip(sums, part, strict=True))
    if sums is None:
        size = len(shift)
        sums = tuple(np.zeros((size, size)) for _ in range(4))
    ids = frame.index[keep]
    rows = []
    for j in range(len(subsets.keys)):
        hashes = subsets.hashes(ids, j)
        inside = subsets.pick(hashes)
        rows.append((hashes[inside], x[inside], y[inside], w[inside]))
    return {"sums": sums, "subsets": rows}


def fitted_r2_from_sums(sums, means: np.ndarray, slopes: np.ndarray) -> float:
    """The R² of y on the fitted ``sum_j b_j (x_j - m_j)`` (0 where j is not
    answered), as :meth:`DriverData.fitted_r2`, from the pairwise sums.

    With ``s0, s1, s2`` of :func:`~cxresearch.importance.pairwise_sums` (y in
    column p, answered by every row) and ``C_jk = s2_jk - m_k s1_jk - m_j s1_kj
    + m_j m_k s0_jk`` (``sum w (x_j - m_j)(x_k - m_k)`` over the rows that
    answered both): ``sum w f = sum_j b_j (s1_jj - m_j s0_jj)``,
    ``sum w f^2 = b' C b``, ``sum w f y = sum_j b_j (s2_jp - m_j s1_pj)``,
    ``sum w y = s1_pp``, ``sum w y^2 = s2_pp``; R² is the squared correlation
    of f and y from these moments.
    """
    s0, s1, s2, _ = sums
    p = len(slopes)
    m, b = means[:p], slopes
    cross = (
        s2[:p, :p]
        - s1[:p, :p] * m[None, :]
        - s1[:p, :p].T * m[:, None]
        + np.outer(m, m) * s0[:p, :p]
    )
    idx = np.arange(p)
    total = s0[p, p]
    moments = np.array(
        [
            b @ (s1[idx, idx] - m * s0[idx, idx]),
            s1[p, p],
            b @ cross @ b,
            s2[p, p],
            b @ (s2[:p, p] - m * s1[p, :p]),
        ]
    )
    f, y, ff, yy, fy = moments / total
    denominator = (ff - f * f) * (yy - y * y)
    return float((fy - f * y) ** 2 / denominator) if denominator > 0 else 0.0


def subset_size(n: int, p: int, pairs: np.ndarray) -> int:
    """The bag of little bootstraps' subset size: ``b = n^BLB_GAMMA``, but at
    least ``MIN_SUBSET_PER_COLUMN`` respondents per column of the model and
    enough for ``MIN_PAIR_ANSWERS`` expected answers to the pair of touchpoints
    rated together least often (``pairs``: respondents who rated both, per
    pair), so that every pairwise correlation is estimable in a subset; at
    most n (then each subset is the whole sample and the bag of little
    bootstraps is the ordinary bootstrap, in ``BLB_SUBSETS`` rounds)."""
    rarest = float(pairs.min()) if pairs.size else float(n)
    needed = MIN_PAIR_ANSWERS * n / rarest if rarest > 0 else float(n)
    return min(n, max(int(n**BLB_GAMMA), MIN_SUBSET_PER_COLUMN * (p + 2), int(np.ceil(needed))))


def _stacked(parts: list, j: int) -> tuple[np.ndarray, ...]:
    """Subset j's rows from every partition, ordered by their hash."""
    hashes, x, y, w = (np.concatenate([part["subsets"][j][k] for part in parts]) for k in range(4))
    order = np.argsort(hashes, kind="stable")
    return x[order], y[order], w[order]


# --- the analysis ----------------------------------------------------------------------


@dask_version("drivers")
def drivers_dask(
    study,
    *,
    outcome: str | None = None,
    method: str = "relative_weights",
    brand: str | None = "auto",
    n_boot: int = 200,
    random_state: int = 0,
    crosshair: str = "mean",
    weighted: bool = True,
    confidence: float = 0.95,
) -> Drivers:
    """Key drivers of a Dask study: the same :class:`Drivers` as
    :func:`cxresearch.drivers`, with the same parameters.

    The point estimates (importance, shares, slopes, R², performance, reach,
    gap, halo) equal the in-memory ones (to the rounding of the sums' order);
    the intervals are the bag of little bootstraps' (see the module's notes),
    whatever the study's size, so they differ from the in-memory ordinary
    bootstrap's by Monte Carlo error (within a quarter of the interval's
    width on the demo study, ``tests/test_dask_drivers_segments.py``). Memory:
    per partition, sums of size (p + 2)^2 and its share of the subsets; in
    the process that calls, the subsets (``BLB_SUBSETS`` x about n^0.7 rows).
    """
    outcome, item, touchpoints, binary = driver_setup(study, outcome, method)
    brand = chosen_brand(study, brand)
    columns = Columns.of(study, outcome, touchpoints, weighted, brand)
    parts = study.frame(columns.read).to_delayed()  # only these columns read and checked
    totals = merge(list(study.compute(*[dask.delayed(first_pass)(p, columns) for p in parts])))
    n = int(totals["kept"][0])
    used, notes = usable_touchpoints(
        touchpoints, totals["x_count"], totals["x_low"], totals["x_high"], n
    )
    check_enough(study, outcome, n, totals["y_low"][0], totals["y_high"][0], len(used))
    kept_touchpoints = tuple(touchpoints[j] for j in used)
    p = len(used)
    means = totals["x_sum"][used] / totals["x_count"][used]
    shift = np.concatenate([means, totals["y_sum"] / n])
    count = BLB_SUBSETS if n_boot > 0 else 0
    b = subset_size(n, p, totals["pairs"][np.ix_(used, used)])
    subsets = Subsets.of(random_state, count, b / n)
    second = list(
        study.compute(
            *[dask.delayed(second_pass)(part, columns, used, shift, subsets) for part in parts]
        )
    )
    sums = tuple(np.sum([part["sums"][k] for part in second], axis=0) for k in range(4))
    corr, centred_means, sds = correlation_from_sums(sums)
    corr = nearest_correlation(corr)
    model = _Model(outcome, kept_touchpoints, means)
    if binary:
        point = _logistic_point(
            study, parts, columns, [columns.experiences[j] for j in used], means
        )
    else:
        point = _scale_point(corr, centred_means, sds, sums, method)
    subset_data = [model.subset(*_stacked(second, j), binary) for j in range(count)]
    intervals = _blb(point, subset_data, n, method, binary, n_boot, random_state, confidence)
    summary = ModelSummary(
        kept_touchpoints,
        n,
        int(totals["rows"][0]) - n,
        notes,
        halo_of(corr, p),
        fit_description(method, binary),
    )
    return driver_result(
        study,
        outcome,
        summary,
        point,
        intervals,
        figures_of(totals, used),
        brand=brand,
        method=method,
        n_boot=n_boot,
        crosshair=crosshair,
        weighted=weighted,
        confidence=confidence,
    )


def _scale_point(corr, centred_means, sds, sums, method: str):
    """Importance, slopes and R² of a scale outcome from the summed correlations."""
    return importance_from_correlation(
        corr, sds, method, lambda slopes: fitted_r2_from_sums(sums, centred_means, slopes)
    )


@dataclass(frozen=True)
class _Model:
    """What a subset's in-memory model needs from the whole study."""

    outcome: str
    touchpoints: tuple
    means: np.ndarray  # each touchpoint's mean answer (a yes/no outcome's imputation)

    def subset(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, binary: bool) -> DriverData:
        """A subset as in-memory model data; for a yes/no outcome the missing
        experiences are filled with the whole study's means, as in memory."""
        if binary:
            x = np.where(np.isnan(x), self.means, x)
        return DriverData(
            x,
            y,
            impact_scale(self.outcome, y),
            w,
            0,
            np.ones(len(y), dtype=bool),
            self.touchpoints,
        )


def _blb(point, subsets, n, method, binary, n_boot, random_state, confidence) -> Intervals:
    """The bag of little bootstraps' intervals over the gathered subsets."""
    p = len(point[0])
    usable = [s for s in subsets if s.n >= p + 2]
    if n_boot == 0 or not usable:
        return no_intervals(p)
    alpha = (1 - confidence) / 2
    rng = np.random.default_rng(random_state)
    per_subset = blb_resamples(n_boot)
    spreads = []
    for data in usable:
        run = functools.partial(DriverFit(data, method, binary).run, None)
        spreads.append(blb_spread(run, n, data.n, per_subset, rng, alpha))
    sizes = [s.n for s in usable]
    words = (
        f"bag of little bootstraps: {len(usable)} subsets of {min(sizes):,} to "
        f"{max(sizes):,} respondents (about n^{BLB_GAMMA}, drawn by a seeded hash of "
        f"the respondent id) x {per_subset} resamples"
    )
    return blb_intervals(point, spreads, words)


# --- a yes/no outcome: logistic relative weights by Newton steps over partitions ---------


def _imputed(frame: pd.DataFrame, columns: Columns, names: list[str], means: np.ndarray):
    """The rows that answered the outcome: experiences (a missing one at the
    touchpoint's mean, as :attr:`DriverData.imputed`), outcome, weights."""
    y = columns.y(frame)
    keep = ~np.isnan(y)
    x = columns.x(frame, names)[keep]
    return np.where(np.isnan(x), means, x), y[keep], columns.weights(frame)[keep]


def imputed_moments(frame, columns: Columns, names: list[str], means: np.ndarray) -> dict:
    """``sum w``, ``sum w d`` and ``sum w d d'`` of the imputed experiences
    centred at ``means`` (``d = x - means``)."""
    x, _, w = _imputed(frame, columns, names, means)
    d = x - means
    return {"w": np.array([w.sum()]), "wx": w @ d, "wxx": d.T @ (d * w[:, None])}


@dataclass(frozen=True)
class Orthogonal:
    """Tonidandel & LeBreton's (2010) orthogonal counterparts of the imputed
    experiences, as :func:`~cxresearch.importance.logistic_relative_weights`
    builds them: ``z = ((x - mean) / sd) Lambda^-1`` with ``Lambda`` the
    symmetric square root of their weighted correlation matrix."""

    mean: np.ndarray
    sd: np.ndarray
    lam: np.ndarray
    inverse: np.ndarray

    @classmethod
    def of(cls, moments: dict, means: np.ndarray) -> Orthogonal:
        total = moments["w"][0]
        shifted = moments["wx"] / total
        cov = moments["wxx"] / total - np.outer(shifted, shifted)
        sd = np.sqrt(np.diag(cov))
        values, vectors = np.linalg.eigh(cov / np.outer(sd, sd))
        lam = vectors @ np.diag(np.sqrt(np.clip(values, 1e-12, None))) @ vectors.T
        return cls(means + shifted, sd, lam, np.linalg.solve(lam, np.eye(len(lam))))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.sd) @ self.inverse


def _designs(frame, columns, names, means, orthogonal: Orthogonal):
    """``[1, z]`` (the importance model) and ``[1, x]`` (the slopes' model), y, w."""
    x, y, w = _imputed(frame, columns, names, means)
    ones = np.ones((len(x), 1))
    return (np.hstack([ones, orthogonal(x)]), np.hstack([ones, x])), y, w


def _probability(design: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(design @ coefficients, -30, 30)))


def newton_sums(frame, columns, names, means, orthogonal, coefficients, done) -> list:
    """Per model not yet converged: the log-likelihood's gradient
    ``D'(w (y - p))`` and the Hessian ``D' diag(w p (1 - p)) D`` at
    ``coefficients`` (as :func:`~cxresearch.importance.logistic_fit`)."""
    designs, y, w = _designs(frame, columns, names, means, orthogonal)
    out = []
    for design, b, finished in zip(designs, coefficients, done, strict=True):
        if finished:
            out.append(None)
            continue
        fitted = _probability(design, b)
        out.append(
            (
                design.T @ (w * (y - fitted)),
                (design * (w * fitted * (1 - fitted))[:, None]).T @ design,
            )
        )
    return out


def final_moments(frame, columns, names, means, orthogonal, coefficients) -> dict:
    """The weighted sums behind the importance model's R² (the squared
    correlation of the fitted probabilities with y), the spread of its logit
    and of z, and the slopes' model's mean ``p (1 - p)``."""
    (design, raw), y, w = _designs(frame, columns, names, means, orthogonal)
    fitted = np.clip(_probability(design, coefficients[0]), 1e-12, 1 - 1e-12)
    logit = np.log(fitted / (1 - fitted))
    slopes_fitted = np.clip(_probability(raw, coefficients[1]), 1e-12, 1 - 1e-12)
    z = design[:, 1:]
    return {
        "w": np.array([w.sum()]),
        "logit": np.array([w @ logit, w @ logit**2]),
        "fy": np.array([w @ fitted, w @ fitted**2, w @ y, w @ y**2, w @ (fitted * y)]),
        "z": w @ z,
        "zz": w @ z**2,
        "pq": np.array([w @ (slopes_fitted * (1 - slopes_fitted))]),
    }


def _logistic_point(study, parts, columns: Columns, names: list[str], means: np.ndarray):
    """Logistic relative weights, their R² and the average marginal effects
    per point (:meth:`DriverFit.run` for a yes/no outcome) of a Dask study:
    one pass for the correlations of the imputed experiences, one per Newton
    step of both logistic models (the same start, steps and stopping rule as
    :func:`~cxresearch.importance.logistic_fit`), one for the final moments."""
    delayed = dask.delayed

    def summed(function, *args) -> list:
        return list(study.compute(*[delayed(function)(part, *args) for part in parts]))

    orthogonal = Orthogonal.of(merge(summed(imputed_moments, columns, names, means)), means)
    p = len(names)
    coefficients, done = [np.zeros(p + 1), np.zeros(p + 1)], [False, False]
    for _ in range(NEWTON_STEPS):
        found = summed(newton_sums, columns, names, means, orthogonal, coefficients, done)
        for k in range(2):
            if done[k]:
                continue
            gradient = np.sum([part[k][0] for part in found], axis=0)
            hessian = np.sum([part[k][1] for part in found], axis=0)
            step = np.linalg.solve(hessian + 1e-9 * np.eye(len(hessian)), gradient)
            coefficients[k] = coefficients[k] + step
            done[k] = bool(np.max(np.abs(step)) < NEWTON_TOLERANCE)
        if all(done):
            break
    m = merge(summed(final_moments, columns, names, means, orthogonal, coefficients))
    total = m["w"][0]
    logit_mean, logit_square = m["logit"] / total
    f, ff, y, yy, fy = m["fy"] / total
    r2 = float((fy - f * y) ** 2 / ((ff - f * f) * (yy - y * y)))
    z_sd = np.sqrt(m["zz"] / total - (m["z"] / total) ** 2)
    beta = coefficients[0][1:] * z_sd * np.sqrt(r2) / np.sqrt(logit_square - logit_mean**2)
    importance = (orthogonal.lam**2) @ (beta**2)
    slope = 100 * (m["pq"][0] / total) * coefficients[1][1:]
    return importance, slope, r2
