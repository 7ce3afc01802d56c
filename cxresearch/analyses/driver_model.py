"""The driver model behind :func:`cxresearch.drivers`: the data, one fit, the
bootstrap around it, and the scenarios :func:`cxresearch.strategy` builds on it.

:class:`DriverData` holds the experiences (missing where a respondent gave no
answer), the outcome and the weights, and drops touchpoints the model cannot
use with a note; :class:`DriverFit` estimates importance (relative weights or
Shapley from the pairwise-complete correlation matrix, or logistic relative
weights), R-squared and the per-point slopes on a resample;
:func:`bootstrap_intervals` resamples respondents (the ordinary bootstrap, or
the bag of little bootstraps for large studies); :func:`scenarios` computes
"if the link is causal, reaching the goal would go with ..." for one touchpoint
at a time, bootstrapping the whole chain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._lazy import LazyModule
from ..data.codebook import BinaryItem
from ..errors import Problem, StudyError
from ..importance import (
    correlation_from_sums,
    logistic_fit,
    logistic_relative_weights,
    nearest_correlation,
    pairwise_sums,
    relative_weights,
    shapley_r2,
)

_optimize = LazyModule("scipy.optimize")  # loaded when a censored model is fitted
_special = LazyModule("scipy.special")

MIN_ANSWERS = 3  # a touchpoint with fewer answers (or no variance) leaves the model
CHUNK = 65536
# the NPS answer's latent scale: 0 means "below 0.5", 10 "at least 9.5" (the end cells'
# inner edges), a passive 7-8 lies in [6.5, 8.5)
NPS_FLOOR, NPS_CEILING = 0.5, 9.5
DETRACTOR_BELOW, PROMOTER_FROM = 6.5, 8.5


@dataclass(frozen=True)
class DriverData:
    """The model's data: respondents who answered the outcome (``keep`` marks
    them among the study's rows) and the touchpoints the model can use."""

    x: np.ndarray  # experiences (NaN: no answer), respondents with an outcome
    y: np.ndarray  # the outcome
    y_impact: np.ndarray  # the outcome on the impact scale (NPS contribution for nps)
    w: np.ndarray
    n_excluded: int
    keep: np.ndarray  # bool per study row: answered the outcome
    touchpoints: tuple  # the Touchpoints kept, in journey order
    notes: tuple[str, ...] = ()  # touchpoints dropped, in words

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def missing(self) -> np.ndarray:
        """The share of the model's respondents without an answer, per touchpoint."""
        return np.isnan(self.x).mean(axis=0)

    @cached_property
    def _centred(self) -> np.ndarray:
        """[x, y, y_impact], centred once at the sample means (keeps the
        cross-products below free of cancellation); NaN stays NaN."""
        data = np.column_stack([self.x, self.y, self.y_impact])
        return data - np.nanmean(data, axis=0)

    @cached_property
    def imputed(self) -> np.ndarray:
        """The experiences with a missing answer replaced by the touchpoint's mean
        (the logistic model for a yes/no outcome needs complete rows)."""
        return np.where(np.isnan(self.x), np.nanmean(self.x, axis=0), self.x)

    def correlation(
        self, v: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairwise-complete correlations of [x, y, y_impact] under weights v (of
        ``rows``; None: all), made positive semi-definite (Higham 2002), with the
        columns' means (centred units) and standard deviations. Summed over
        chunks of rows."""
        data = self._centred if rows is None else self._centred[rows]
        sums = None
        for start in range(0, len(data), CHUNK):
            part = pairwise_sums(data[start : start + CHUNK], v[start : start + CHUNK])
            sums = part if sums is None else tuple(a + b for a, b in zip(sums, part, strict=True))
        corr, means, sds = correlation_from_sums(sums)
        return nearest_correlation(corr), means, sds

    def fitted_r2(
        self, v: np.ndarray, rows: np.ndarray | None, means: np.ndarray, slopes: np.ndarray
    ) -> float:
        """R² of the outcome on the model's predictions ``sum_j b_j (x_j - mean_j)``
        (a touchpoint not used counts at its mean), weights v, over chunks of rows."""
        data = self._centred if rows is None else self._centred[rows]
        p = len(slopes)
        moments = np.zeros(5)
        for start in range(0, len(data), CHUNK):
            block, weight = data[start : start + CHUNK], v[start : start + CHUNK]
            fitted = np.nan_to_num(block[:, :p] - means[:p]) @ slopes
            y = block[:, p]
            moments += [
                weight @ fitted,
                weight @ y,
                weight @ (fitted * fitted),
                weight @ (y * y),
                weight @ (fitted * y),
            ]
        total = v.sum()
        f, y, ff, yy, fy = moments / total
        denominator = (ff - f * f) * (yy - y * y)
        return float((fy - f * y) ** 2 / denominator) if denominator > 0 else 0.0

    @classmethod
    def of(cls, study, outcome, touchpoints, weighted) -> DriverData:
        """The model data of ``outcome``; touchpoints with fewer than
        ``MIN_ANSWERS`` answers or without variance are dropped with a note; a
        StudyError in words when too few respondents answered the outcome."""
        r = study.responses
        y = study.outcome(outcome).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(y)
        x = np.column_stack(
            [r[tp.experience.column].to_numpy(dtype=float)[keep] for tp in touchpoints]
        ).reshape(int(keep.sum()), len(touchpoints))
        lows, highs = (
            np.fmin.reduce(x, axis=0, initial=np.inf),
            np.fmax.reduce(x, axis=0, initial=-np.inf),
        )
        used, notes = usable_touchpoints(
            touchpoints, (~np.isnan(x)).sum(axis=0), lows, highs, int(keep.sum())
        )
        y = y[keep]
        check_enough(study, outcome, len(y), *_range(y), len(used))
        w = study_weights(study, weighted)[keep]
        return cls(
            x[:, used],
            y,
            impact_scale(outcome, y),
            w,
            int((~keep).sum()),
            keep,
            tuple(touchpoints[j] for j in used),
            notes,
        )


def impact_scale(outcome: str, y: np.ndarray) -> np.ndarray:
    """The outcome on the impact scale: for NPS each answer's contribution
    (+100 promoter 9-10, 0 passive, -100 detractor 0-6), else the outcome itself."""
    if outcome != "nps":
        return y
    return np.where(y >= 9, 100.0, np.where(y <= 6, -100.0, 0.0))


def _range(y: np.ndarray) -> tuple[float, float]:
    return (float(y.min()), float(y.max())) if len(y) else (np.nan, np.nan)


def usable_touchpoints(
    touchpoints, counts: np.ndarray, lows: np.ndarray, highs: np.ndarray, n: int
) -> tuple[list[int], tuple[str, ...]]:
    """The positions of the touchpoints the model can use and, in words, why the
    others are left out: fewer than ``MIN_ANSWERS`` answers, or one answer for
    all (``lows``/``highs``: the smallest and largest answer) among the ``n``
    respondents who answered the outcome."""
    used, notes = [], []
    for j, tp in enumerate(touchpoints):
        count = int(counts[j])
        if count < MIN_ANSWERS or highs[j] == lows[j]:
            why = f"{count} answer(s)" if count < MIN_ANSWERS else f"every answer is {lows[j]:g}"
            notes.append(
                f"{tp.label} left out of the driver model: {why} among the "
                f"{n:,} respondents who answered the outcome."
            )
        else:
            used.append(j)
    return used, tuple(notes)


def study_weights(study, weighted: bool) -> np.ndarray:
    """The survey weight of every study row (ones when unweighted)."""
    column = study.codebook.weight
    if weighted and column is not None:
        return study.responses[column].to_numpy(dtype=float)
    return np.ones(len(study.responses))


def check_enough(study, outcome: str, n: int, low: float, high: float, p: int) -> None:
    """A StudyError in words when the model cannot be estimated: ``n``
    respondents answered the outcome (from ``low`` to ``high``), ``p``
    touchpoints are usable."""
    item = study.codebook.outcomes[outcome]
    path = str(study.codebook.path)
    needed = max(MIN_ANSWERS, p + 2)
    if n < needed:
        raise StudyError(
            Problem(
                path,
                f"the key-driver analysis of {outcome} needs at least {needed} respondents who "
                f"answered it; this study has {n}",
                item.column,
            )
        )
    if high == low:
        raise StudyError(
            Problem(
                path,
                "the key-driver analysis needs an outcome that varies; every respondent "
                f"who answered {outcome} gave {low:g}",
                item.column,
            )
        )
    if p == 0:
        raise StudyError(
            Problem(
                path,
                "the key-driver analysis needs touchpoint experiences with at least "
                f"{MIN_ANSWERS} different answers among the respondents who answered "
                f"{outcome}; no touchpoint has them",
            )
        )


def fit_description(method: str, binary: bool) -> str:
    """The model in words, as results and captions state it."""
    if binary:
        return (
            "logistic relative weights (Tonidandel & LeBreton 2010); missing "
            "experiences replaced by the touchpoint's mean (understates touchpoints "
            "with many missing answers: see the missing column)"
        )
    return (
        "exact Shapley / LMG decomposition of R² (Lindeman et al. 1980)"
        if method == "shapley"
        else "relative weights (Johnson 2000)"
    ) + (
        " on the pairwise-complete correlation matrix (each pair of touchpoints "
        "on the respondents who rated both; nearest correlation matrix, Higham "
        "2002, where needed)"
    )


def importance_from_correlation(
    corr: np.ndarray, sds: np.ndarray, method: str, fitted_r2
) -> tuple[np.ndarray, np.ndarray, float]:
    """Importance, slopes per point (on the impact scale) and R² of a scale
    outcome from the correlation matrix of ``[x, y, y_impact]`` and each
    column's standard deviation; ``fitted_r2(slopes)`` is the R² the slopes
    of y on x reach on the respondents.

    The relative weights (or Shapley shares) decompose the R² implied by the
    pairwise matrix (of a customer who used every touchpoint); they are scaled
    to the R² the model reaches on the respondents.
    """
    p = len(corr) - 2
    rxx, rxy = corr[:p, :p], corr[:p, p]
    weights = shapley_r2(rxx, rxy) if method == "shapley" else relative_weights(rxx, rxy)
    r2 = fitted_r2(slopes_from_correlation(corr, sds, p))
    implied = weights.sum()
    importance = weights * (r2 / implied) if implied > 0 else np.zeros(p)
    return importance, slopes_from_correlation(corr, sds, p + 1), r2


def slopes_from_correlation(corr: np.ndarray, sds: np.ndarray, column: int) -> np.ndarray:
    """OLS of ``column`` of ``[x, y, y_impact]`` on x from the correlations and
    each column's own standard deviation; least squares (minimum norm) stays
    defined when two touchpoints' experiences are collinear."""
    p = len(corr) - 2
    cov_xx = corr[:p, :p] * np.outer(sds[:p], sds[:p])
    cov_xy = corr[:p, column] * sds[:p] * sds[column]
    return np.linalg.lstsq(cov_xx, cov_xy, rcond=None)[0]


class DriverFit:
    """One estimation of importance, R-squared and per-point coefficients on a resample."""

    def __init__(self, model: DriverData, method: str, binary: bool):
        self.model, self.method, self.binary = model, method, binary
        self.description = fit_description(method, binary)

    def run(
        self, rows: np.ndarray | None, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Fit on ``rows`` (None: all) with each respondent counted ``counts``
        times: ones for the sample, multinomial counts for a bootstrap resample
        (the same as resampling rows). Returns importance, slopes per point on
        the impact scale, and R-squared."""
        m = self.model
        w = m.w if rows is None else m.w[rows]
        v = w * counts
        if self.binary:
            x, y = (m.imputed, m.y) if rows is None else (m.imputed[rows], m.y[rows])
            keep = v > 0
            x, y, v = x[keep], y[keep], v[keep]
            importance, r2 = logistic_relative_weights(x, y, v)
            coefficients, fitted = logistic_fit(x, y, v)
            slope = 100 * np.average(fitted * (1 - fitted), weights=v) * coefficients[1:]
            return importance, slope, r2
        corr, means, sds = m.correlation(v, rows)
        return importance_from_correlation(
            corr, sds, self.method, lambda slopes: m.fitted_r2(v, rows, means, slopes)
        )

    def predictor(self, counts: np.ndarray):
        """The scenario model on a resample as ``(index, link, coefficients)``:
        ``index(x)`` is the linear predictor of experiences ``x`` (NaN: not used),
        ``link`` maps it to the impact scale (None: identity) and
        ``coefficients[j]`` is touchpoint j's coefficient in the index. (The
        NPS scenario uses the censored model of the 0-10 answer instead:
        :meth:`answer_model`.)

        One regression on every respondent of the outcome (on the impact scale;
        logistic for a yes/no outcome), weights w x counts, on the experiences
        (centred, a non-user at 0) and one indicator per distinct pattern of use
        (the missing-indicator method, Cohen & Cohen 1983, ch. 7): a customer who
        did not use a touchpoint has its own level instead of being counted at
        the users' mean. Unlike the pairwise-complete slopes of :meth:`run`, it
        recovers the per-point effect when use is not random (a queue only in a
        shop one visits) and the rest of the outcome differs between users and
        non-users; see ``tests/test_scenario_coverage.py``.
        """
        m = self.model
        v = m.w * counts
        p = m.x.shape[1]
        if self.binary:
            keep = v > 0
            coefficients, _ = logistic_fit(self._design(m.x[keep]), m.y[keep], v[keep])

            def index(x):
                return coefficients[0] + self._design(x) @ coefficients[1:]

            return index, _logistic_percent, coefficients[1 : p + 1]
        b = self._least_squares(v, p + 1)
        y_mean = np.nanmean(m.y_impact)  # _centred's shift

        def index(x):
            return y_mean + b[0] + self._design(x) @ b[1:]

        return index, None, b[1 : p + 1]

    def answer_model(self, counts: np.ndarray) -> AnswerModel:
        """The censored (Tobit) regression of the 0-10 NPS answer on a resample
        (weights w x counts), with the columns of :meth:`predictor`: the
        centred experiences (a non-user at 0) and the use indicators.

        The answer is the latent answer ``y* = x'b + e``, ``e ~ N(0, sigma^2)``,
        rounded and kept within 0-10: an answer of 10 says only ``y* >= 9.5``
        (right-censored), an answer of 0 ``y* < 0.5`` (left-censored), the inner
        edges of the end cells (Tobin 1958; Amemiya 1984, "Tobit models: a
        survey", J. Econometrics 24). Least squares of the capped answer
        flattens the slopes when many answers sit at 10 (about 14% with the
        demo's 7% at 10; ``tests/test_scenario_coverage.py``); the maximum
        likelihood estimate (:func:`tobit_fit`, started from least squares) does not.
        """
        m = self.model
        v = m.w * counts
        keep = v > 0
        design = self._answer_design[keep]
        start = self._least_squares(v, m.x.shape[1])
        start[0] += np.nanmean(m.y)  # _centred's shift
        coefficients, sigma = tobit_fit(design, m.y[keep], v[keep], start, NPS_FLOOR, NPS_CEILING)
        return AnswerModel(self, coefficients, sigma)

    @cached_property
    def _answer_design(self) -> np.ndarray:
        """``[1, design]`` of every respondent of the model (the answer model's columns)."""
        design = self._design(self.model.x)
        return np.column_stack([np.ones(len(design)), design])

    @cached_property
    def _use_columns(self) -> np.ndarray:
        """The touchpoints whose use indicator enters the scenario model: one per
        distinct pattern of missing answers (a queue used exactly by the store's
        users shares the store's), none for a touchpoint everyone rated."""
        present = ~np.isnan(self.model.x)
        kept, seen = [], set()
        for j in range(present.shape[1]):
            key = present[:, j].tobytes()
            if not present[:, j].all() and key not in seen:
                seen.add(key)
                kept.append(j)
        return np.array(kept, dtype=int)

    @cached_property
    def _x_mean(self) -> np.ndarray:
        """The experiences' centring, as in the model's ``_centred``."""
        return np.nanmean(self.model.x, axis=0)

    def _design(self, x: np.ndarray) -> np.ndarray:
        """The scenario model's columns without the intercept: the centred
        experiences (0 when not used) and the use indicators."""
        used = ~np.isnan(x)
        return np.column_stack(
            [np.where(used, x - self._x_mean, 0.0), used[:, self._use_columns].astype(float)]
        )

    def _least_squares(self, v: np.ndarray, column: int) -> np.ndarray:
        """Weighted least squares of ``_centred``'s ``column`` on ``[1, design]``,
        from normal equations summed over chunks of rows (minimum norm when
        columns are collinear)."""
        k = 1 + self.model.x.shape[1] + len(self._use_columns)
        xtx, xty = np.zeros((k, k)), np.zeros(k)
        for rows, design in self._chunks():
            weight, block = v[rows], self.model._centred[rows]
            xtx += design.T @ (design * weight[:, None])
            xty += design.T @ (weight * block[:, column])
        return np.linalg.lstsq(xtx, xty, rcond=None)[0]

    def _chunks(self):
        """``(rows, [1, design])`` per chunk of ``CHUNK`` respondents of
        ``_centred``; a model of one chunk keeps its design (every resample's
        least squares reuses it), a larger one builds each chunk's in turn."""
        n = self.model.n
        if n <= CHUNK:
            return [(slice(0, n), self._whole_design)]
        return (
            (slice(start, start + CHUNK), self._chunk_design(slice(start, start + CHUNK)))
            for start in range(0, n, CHUNK)
        )

    @cached_property
    def _whole_design(self) -> np.ndarray:
        """:meth:`_chunk_design` of every respondent (a model of one chunk)."""
        return self._chunk_design(slice(0, self.model.n))

    def _chunk_design(self, rows: slice) -> np.ndarray:
        """``[1, centred experiences (0 when not used), use indicators]`` of ``rows``."""
        p = self.model.x.shape[1]
        block = self.model._centred[rows, :p]
        used = ~np.isnan(block)
        indicators = used[:, self._use_columns].astype(float)
        return np.column_stack([np.ones(len(block)), np.where(used, block, 0.0), indicators])


def _logistic_percent(eta: np.ndarray) -> np.ndarray:
    return 100 / (1 + np.exp(-np.clip(eta, -30, 30)))


@dataclass(frozen=True)
class AnswerModel:
    """The censored regression of the 0-10 answer (:meth:`DriverFit.answer_model`):
    ``coefficients`` of ``[1, design]`` and the latent answer's ``sigma``."""

    fit: DriverFit
    coefficients: np.ndarray
    sigma: float

    @property
    def slopes(self) -> np.ndarray:
        """The latent answer's change per point of each touchpoint's experience."""
        return self.coefficients[1 : self.fit.model.x.shape[1] + 1]

    def index(self, x: np.ndarray) -> np.ndarray:
        """The latent answer's mean for experiences ``x`` (NaN: not used)."""
        return self.coefficients[0] + self.fit._design(x) @ self.coefficients[1:]


def tobit_fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, start: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, float]:
    """Weighted maximum likelihood of the two-limit Tobit model (Tobin 1958;
    Amemiya 1984): ``y* = x'b + e``, ``e ~ N(0, sigma^2)``; an observation with
    ``y <= low`` says ``y* <= low``, one with ``y >= high`` says ``y* >= high``,
    any other is ``y*`` itself. With ``z = (y - x'b) / sigma`` the log-likelihood is

        sum_i w_i [ log phi(z_i) - log sigma      (inside the limits)
                    log Phi((low - x_i'b) / sigma)    (at or below low)
                    log Phi((x_i'b - high) / sigma) ] (at or above high)

    minimised (negated, per unit of weight) over ``(b, log sigma)`` by Newton
    steps in a trust region with the analytic gradient and Hessian
    (:class:`_TobitLikelihood`), from ``start`` (least squares)
    and the residuals' standard deviation. When the likelihood has no finite
    maximum (a few answers, all at a limit or fitted exactly), the least-squares
    start is returned as it is. Returns ``(b, sigma)``; when columns
    of ``x`` are collinear, ``b`` is the maximiser of least norm, as least
    squares' (the likelihood does not change along the null space of ``x``).
    """
    w = w / w.sum()
    residual = y - x @ start
    least_squares_sigma = float(np.sqrt(max(w @ residual**2, 1e-12)))
    theta = np.append(start, np.log(least_squares_sigma))
    likelihood = _TobitLikelihood(x, y, w, low, high)
    try:
        with np.errstate(all="ignore"):
            result = _optimize.minimize(
                likelihood.loss,
                theta,
                jac=True,
                hess=likelihood.hessian,
                method="trust-exact",
                options={"gtol": 1e-9, "maxiter": 200},
            )
        solution = result.x
    except (ValueError, np.linalg.LinAlgError):  # the likelihood has no finite maximum
        solution = np.full_like(theta, np.nan)
    if not np.isfinite(solution).all():
        # a handful of answers (a pilot, or a bootstrap resample of one) can be all
        # at a limit or fitted exactly: no finite maximum, so keep least squares
        return start, least_squares_sigma
    return _row_space(x, solution[:-1]), float(np.exp(solution[-1]))


def _row_space(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b`` projected on the row space of ``x``: ``V_k V_k' b`` over the right
    singular vectors whose singular value is kept (:func:`_kept`); ``b`` itself
    when ``x`` has full rank, checked first from the singular values alone (the
    singular vectors cost most of the decomposition)."""
    if _kept(np.linalg.svd(x, compute_uv=False), x.shape).all():
        return b
    _, singular, vt = np.linalg.svd(x, full_matrices=False)
    kept = _kept(singular, x.shape)
    return b if kept.all() else vt[kept].T @ (vt[kept] @ b)


def _kept(singular: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The singular values above ``s_max max(shape) eps`` (numpy's rank tolerance)."""
    return singular > singular[0] * max(shape) * np.finfo(float).eps


@dataclass(frozen=True)
class _TobitTerms:
    """The per-observation terms of the Tobit likelihood at one ``theta``."""

    sigma: float
    z: np.ndarray  # the standardised answer inside; the argument of Phi at a limit
    log_cdf: np.ndarray  # log Phi(z)
    log_pdf: np.ndarray  # log phi(z) = -z^2 / 2 - log(2 pi) / 2
    mills: np.ndarray  # the inverse Mills ratio phi(z) / Phi(z)


def _tobit_terms(theta, x, y, lower, upper, low, high) -> _TobitTerms:
    """Per observation, with ``mu = x'b``: ``z`` = ``(y - mu) / sigma`` inside,
    ``(low - mu) / sigma`` at or below low, ``(mu - high) / sigma`` at or above
    high; ``log Phi(z)``, ``log phi(z)`` and ``lambda = phi(z) / Phi(z)``."""
    b, sigma = theta[:-1], np.exp(theta[-1])
    mu = x @ b
    z = np.where(lower, (low - mu) / sigma, np.where(upper, (mu - high) / sigma, (y - mu) / sigma))
    log_cdf = _special.log_ndtr(z)
    log_pdf = -0.5 * z * z - 0.5 * np.log(2 * np.pi)
    return _TobitTerms(sigma, z, log_cdf, log_pdf, np.exp(log_pdf - log_cdf))


class _TobitLikelihood:
    """The two-limit Tobit likelihood of one data set (:func:`tobit_fit`) as
    the trust-region solver asks for it: :meth:`loss` (with the gradient) and
    :meth:`hessian` at the same ``theta``, sharing the per-observation terms
    (:func:`_tobit_terms`, computed once per ``theta``)."""

    def __init__(self, x, y, w, low: float, high: float):
        self.x, self.y, self.w, self.low, self.high = x, y, w, low, high
        self.lower, self.upper = y <= low, y >= high
        self.censored = self.lower | self.upper
        self._last: tuple[np.ndarray, _TobitTerms] | None = None

    def terms(self, theta: np.ndarray) -> _TobitTerms:
        if self._last is None or not np.array_equal(self._last[0], theta):
            terms = _tobit_terms(theta, self.x, self.y, self.lower, self.upper, self.low, self.high)
            self._last = (np.array(theta, copy=True), terms)
        return self._last[1]

    def loss(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The negative log-likelihood per unit of weight and its gradient in
        ``(b, log sigma)``: with ``lambda`` the inverse Mills ratio of a censored
        observation's standardised limit, d/d(x'b) is ``z / sigma`` inside,
        ``-lambda / sigma`` below, ``+lambda / sigma`` above; d/d(log sigma) is
        ``z^2 - 1`` inside and ``-lambda z`` at a limit."""
        t, lower, upper, w = self.terms(theta), self.lower, self.upper, self.w
        z, mills = t.z, t.mills
        loglik = np.where(self.censored, t.log_cdf, t.log_pdf - theta[-1])
        d_mu = np.where(lower, -mills, np.where(upper, mills, z)) / t.sigma
        d_log_sigma = np.where(self.censored, -mills * z, z * z - 1)
        gradient = np.append(self.x.T @ (w * d_mu), w @ d_log_sigma)
        return -float(w @ loglik), -gradient

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """The Hessian of :meth:`loss` in ``(b, log sigma)``. Inside the limits the
        second derivatives of ``log phi(z) - log sigma`` in ``(x'b, log sigma)``
        are ``-1 / sigma^2``, ``-2 z / sigma`` and ``-2 z^2``; at a limit, with
        ``a`` = -1 below and +1 above, ``lambda' = -lambda (z + lambda)``, they are
        ``lambda' / sigma^2``, ``-a (lambda' z + lambda) / sigma`` and
        ``lambda z + lambda' z^2``."""
        t, x, w, censored = self.terms(theta), self.x, self.w, self.censored
        z, mills, sigma = t.z, t.mills, t.sigma
        slope = -mills * (z + mills)  # lambda'
        a = np.where(self.lower, -1.0, 1.0)
        mu_mu = np.where(censored, slope, -1.0) / sigma**2
        mu_s = np.where(censored, -a * (slope * z + mills), -2 * z) / sigma
        s_s = np.where(censored, mills * z + slope * z * z, -2 * z * z)
        hessian = np.empty((x.shape[1] + 1, x.shape[1] + 1))
        hessian[:-1, :-1] = x.T @ (x * (w * mu_mu)[:, None])
        hessian[:-1, -1] = hessian[-1, :-1] = x.T @ (w * mu_s)
        hessian[-1, -1] = w @ s_s
        return -hessian


@dataclass(frozen=True)
class Intervals:
    share: tuple[np.ndarray, np.ndarray]
    slope: tuple[np.ndarray, np.ndarray]
    r2: tuple[float, float]
    method: str


BLB_THRESHOLD = 100_000


BLB_SUBSETS = 5
BLB_GAMMA = 0.7  # a subset holds b = n^gamma respondents (Kleiner et al. 2014: 0.6-0.9)


def bootstrap_intervals(fit: DriverFit, point, n_boot: int, random_state: int, confidence: float):
    """Percentile bootstrap intervals of importance shares, slopes and R-squared.

    Up to ``BLB_THRESHOLD`` respondents: the ordinary bootstrap, ``n_boot``
    resamples of all respondents (Efron & Tibshirani 1993), percentile
    intervals. Above it: the bag of little bootstraps (Kleiner, Talwalkar,
    Sarkar & Jordan 2014, JRSS B 76(4)): ``BLB_SUBSETS`` random subsets of
    ``b = n^0.7`` respondents, each resampled ``n_boot / BLB_SUBSETS`` times
    with multinomial counts summing to n. The spread of each subset's
    resamples around the subset's own estimate is averaged over subsets and
    placed around the full-sample estimate (:func:`blb_intervals`). Same
    target, a fraction of the cost for a million respondents.
    """
    n = fit.model.n
    alpha = (1 - confidence) / 2
    rng = np.random.default_rng(random_state)
    if n_boot == 0:
        return no_intervals(fit.model.x.shape[1])
    if n <= BLB_THRESHOLD:
        runs = [fit.run(None, rng.multinomial(n, np.full(n, 1 / n))) for _ in range(n_boot)]
        quantiles = [np.quantile(a, [alpha, 1 - alpha], axis=0) for a in _statistics(runs)]
        method = f"ordinary bootstrap, {n_boot} resamples"
        (share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi) = quantiles
        return Intervals((share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi), method)
    b = int(n**BLB_GAMMA)
    per_subset = blb_resamples(n_boot)
    spreads = []
    for _ in range(BLB_SUBSETS):
        rows = np.sort(rng.choice(n, size=b, replace=False))
        run = functools.partial(fit.run, rows)
        spreads.append(blb_spread(run, n, b, per_subset, rng, alpha))
    method = f"bag of little bootstraps: {BLB_SUBSETS} subsets of {b:,} x {per_subset} resamples"
    return blb_intervals(point, spreads, method)


def no_intervals(p: int) -> Intervals:
    """The intervals of a model without bootstrap (``n_boot=0``): NaN."""
    nan = np.full(p, np.nan)
    return Intervals((nan, nan), (nan, nan), (np.nan, np.nan), "no bootstrap")


def blb_resamples(n_boot: int) -> int:
    """Resamples per subset of the bag of little bootstraps: ``n_boot`` shared
    by ``BLB_SUBSETS`` subsets, at least 2."""
    return max(2, n_boot // BLB_SUBSETS)


def blb_spread(run, n: int, b: int, resamples: int, rng, alpha: float) -> list[np.ndarray]:
    """One subset's part of the bag of little bootstraps: ``run(counts)`` fits
    the model on the subset's ``b`` respondents counted ``counts`` times; the
    subset's own estimate (every respondent counted n/b times) and
    ``resamples`` fits with multinomial(n, 1/b) counts (a resample of size n
    from the subset). Returns, per statistic (shares, slopes, R²), the
    ``alpha`` and ``1 - alpha`` quantiles of the resamples' deviations from
    the subset's estimate."""
    centre = _statistics([run(np.full(b, n / b))])
    runs = [run(rng.multinomial(n, np.full(b, 1 / b))) for _ in range(resamples)]
    return [
        np.quantile(a - c, [alpha, 1 - alpha], axis=0)
        for a, c in zip(_statistics(runs), centre, strict=True)
    ]


def blb_intervals(point, spreads: list[list[np.ndarray]], method: str) -> Intervals:
    """The bag of little bootstraps' intervals: the subsets' quantiles of the
    deviations (:func:`blb_spread`) averaged over subsets and placed around the
    full-sample estimate ``point``; shares kept within 0-100 and R² within 0-1.

    Kleiner et al. (2014) average each subset's quality assessment; averaging
    the deviations' quantiles rather than the subsets' raw percentile bounds
    keeps the interval centred on the full-sample estimate: a subset's own
    estimate departs from it by about ``sqrt(n / b)`` standard errors, more
    than the interval is wide.
    """
    quantiles = [
        estimate[0] + np.mean([spread[i] for spread in spreads], axis=0)
        for i, estimate in enumerate(_statistics([point]))
    ]
    quantiles[0] = np.clip(quantiles[0], 0, 100)  # shares of R-squared
    quantiles[2] = np.clip(quantiles[2], 0, 1)
    (share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi) = quantiles
    return Intervals((share_lo, share_hi), (slope_lo, slope_hi), (r2_lo, r2_hi), method)


def _statistics(runs) -> list[np.ndarray]:
    """Shares (% of R-squared), slopes and R-squared of a list of fits, stacked."""
    return [
        np.array([100 * r[0] / r[2] if r[2] > 0 else np.zeros_like(r[0]) for r in runs]),
        np.array([r[1] for r in runs]),
        np.array([r[2] for r in runs]),
    ]


# --- scenarios: one touchpoint at a time -------------------------------------------------


@dataclass(frozen=True)
class Goal:
    """How a touchpoint's goal is set: ``fixed`` (a codebook target, or a level
    held at its sample value), or the mean ``expectation`` answer (every study
    row, NaN: none) of the brand's customers who also rated their experience,
    recomputed in each resample; plus ``margin``, capped at ``top``."""

    column: int  # the touchpoint's column in the driver model
    top: float
    margin: float = 0.0
    fixed: float | None = None
    expectation: np.ndarray | None = None


@dataclass(frozen=True)
class ScenarioFrame:
    """Every study row: the model's experiences, the outcome on the impact
    scale, weights, which rows are the brand's, and the outcome's bounds."""

    x: np.ndarray
    y_impact: np.ndarray
    w: np.ndarray
    brand: np.ndarray
    bounds: tuple[float, float]
    answer: np.ndarray | None = None  # the 0-10 NPS answer (NaN: none); None unless NPS

    @classmethod
    def of(cls, study, model: DriverData, outcome: str, brand: str | None, weighted: bool):
        r = study.responses
        x = np.column_stack(
            [r[tp.experience.column].to_numpy(dtype=float) for tp in model.touchpoints]
        )
        y_impact = np.full(len(r), np.nan)
        y_impact[model.keep] = model.y_impact
        column = study.codebook.brand_column
        mine = (
            np.ones(len(r), dtype=bool)
            if brand is None or column is None
            else (r[column] == brand).fillna(False).to_numpy(dtype=bool)
        )
        item = study.codebook.outcomes[outcome]
        if outcome == "nps":
            bounds = (-100.0, 100.0)
        elif isinstance(item, BinaryItem):
            bounds = (0.0, 100.0)
        else:
            bounds = (float(item.scale.low), float(item.scale.high))
        answer = None
        if outcome == "nps":
            answer = np.full(len(r), np.nan)
            answer[model.keep] = model.y
        return cls(x, y_impact, study_weights(study, weighted), mine, bounds, answer)


@dataclass(frozen=True)
class ScenarioResult:
    """Per goal: the scenario's change of the outcome with its interval, and
    the brand's experience now, the goal and the reach (point estimates)."""

    change: np.ndarray
    low: np.ndarray
    high: np.ndarray
    current: np.ndarray
    goal: np.ndarray
    base: np.ndarray  # the goal's reference before the margin (the mean expectation)
    reach: np.ndarray
    level: float  # the brand's outcome now, on the impact scale
    n_brand: int
    method: str


def scenarios(
    fit: DriverFit,
    frame: ScenarioFrame,
    goals: list[Goal],
    n_boot: int,
    random_state: int,
    confidence: float,
) -> ScenarioResult:
    """If the link were causal: the brand's outcome with one touchpoint raised to
    its goal, the others as they are. One goal at a time; never summed.

    Notes
    -----
    For each goal: the brand's customers who used the touchpoint have their
    experience raised by the same amount s, capped at the scale's top, with s
    chosen so that their mean reaches the goal. The model (experiences and use
    indicators, :meth:`DriverFit.predictor`) predicts each customer's outcome
    before and after: for NPS each customer's own latent 0-10 answer moves by
    the censored (Tobit) model's slope times their change and NPS is recounted
    (:meth:`DriverFit.answer_model`, :func:`_nps_after`);
    otherwise a linear model (each prediction clipped to the outcome's bounds)
    or, for a yes/no outcome, the logistic model's probability. The scenario is
    the mean difference, kept within the outcome's bounds. The
    interval is a percentile bootstrap over the study's respondents of the whole
    chain: in each resample the model, the brand's experience now, its
    expectation (and so the goal), the reach and the scenario are recomputed.
    """
    point = _scenario(fit, frame, goals, np.ones(len(frame.w)))
    alpha = (1 - confidence) / 2
    rng = np.random.default_rng(random_state)
    n = len(frame.w)
    runs = [
        _scenario(fit, frame, goals, rng.multinomial(n, np.full(n, 1 / n)))["change"]
        for _ in range(n_boot)
    ]
    if runs:
        low, high = np.quantile(np.array(runs), [alpha, 1 - alpha], axis=0)
        method = f"bootstrap of the whole chain, {n_boot} resamples of respondents"
    else:
        low = high = np.full(len(goals), np.nan)
        method = "no bootstrap"
    mine = frame.brand & ~np.isnan(frame.y_impact)
    level = float(np.average(frame.y_impact[mine], weights=frame.w[mine])) if mine.any() else np.nan
    if np.isfinite(level):  # the interval, too, keeps the brand's outcome within its bounds
        room = (frame.bounds[0] - level, frame.bounds[1] - level)
        low, high = np.clip(low, *room), np.clip(high, *room)
    return ScenarioResult(
        point["change"],
        low,
        high,
        point["current"],
        point["goal"],
        point["base"],
        point["reach"],
        level,
        int(frame.brand.sum()),
        method,
    )


def _scenario(fit: DriverFit, frame: ScenarioFrame, goals: list[Goal], counts: np.ndarray):
    """One replicate of every goal's scenario (``counts``: respondents' multiplicities)."""
    mine = frame.brand & (counts > 0)
    x, v = frame.x[mine], (frame.w * counts)[mine]
    gain = _gain(fit, frame, counts, mine)
    out = {k: np.full(len(goals), np.nan) for k in ("change", "current", "goal", "base", "reach")}
    for g, goal in enumerate(goals):
        used = ~np.isnan(x[:, goal.column])
        if not used.any() or v.sum() <= 0:
            continue
        ratings, weights = x[used, goal.column], v[used]
        current = np.average(ratings, weights=weights)
        target, out["base"][g] = _goal_value(goal, mine, used, v)
        shift = _shift_to(ratings, weights, target, goal.top)
        delta = np.zeros(len(x))
        delta[used] = np.minimum(goal.top, ratings + shift) - ratings
        out["change"][g] = gain(goal.column, delta)
        out["current"][g], out["goal"][g] = current, target
        out["reach"][g] = weights.sum() / v.sum()
    return out


def _gain(fit: DriverFit, frame: ScenarioFrame, counts: np.ndarray, mine: np.ndarray):
    """``gain(j, delta)``: the brand's outcome change when touchpoint j's
    experiences (rows ``mine``) rise by ``delta``, on one resample.

    NPS: the censored model of the 0-10 answer (:meth:`DriverFit.answer_model`)
    moves each customer's latent answer by ``b_j delta`` and NPS is recounted
    (:func:`_nps_after`), so that the change follows the NPS categories rather
    than a straight line. Otherwise:
    the model's prediction before and after (clipped to the outcome's bounds),
    the change kept within the bounds given the brand's level now.
    """
    lo, hi = frame.bounds
    v = (frame.w * counts)[mine]
    if frame.answer is not None:
        model = fit.answer_model(counts[fit.model.keep])
        answer = frame.answer[mine]
        has = ~np.isnan(answer)
        answer, mean, weights = answer[has], model.index(frame.x[mine][has]), v[has]
        now = _nps_after(answer, 0.0, mean, model.sigma)

        def nps_gain(j: int, delta: np.ndarray) -> float:
            if weights.sum() <= 0:
                return np.nan
            after = _nps_after(answer, model.slopes[j] * delta[has], mean, model.sigma)
            return float(np.average(after - now, weights=weights))

        return nps_gain
    index, link, coefficients = fit.predictor(counts[fit.model.keep])
    answered = mine & ~np.isnan(frame.y_impact)
    w = (frame.w * counts)[answered]
    level = np.average(frame.y_impact[answered], weights=w) if w.sum() > 0 else np.nan
    eta = index(frame.x[mine])

    def predict(e):
        return np.clip(e if link is None else link(e), lo, hi)

    before = predict(eta)

    def model_gain(j: int, delta: np.ndarray) -> float:
        change = np.average(predict(eta + coefficients[j] * delta) - before, weights=v)
        return float(np.clip(change, lo - level, hi - level)) if np.isfinite(level) else change

    return model_gain


def _nps_after(answer: np.ndarray, d, mean: np.ndarray, sigma: float) -> np.ndarray:
    """Each customer's expected NPS contribution (+100 promoter, -100 detractor)
    when their latent 0-10 answer ``y*`` moves by ``d``: promoter when
    ``y* + d >= 8.5``, detractor when ``y* + d < 6.5``, integrated over where
    the customer's answer says ``y*`` lies.

    An answer 1-9 is its rounding cell (answer +- 0.5), ``y*`` taken as uniform
    in it: promoter with probability ``clip(answer + d - 8, 0, 1)``, detractor
    with ``clip(7 - answer - d, 0, 1)``. An answer at an end is censored: ``y*``
    follows the censored model's ``N(mean, sigma^2)`` (:meth:`DriverFit.answer_model`)
    truncated to ``y* >= 9.5`` (a 10) or ``y* < 0.5`` (a 0), and the
    probabilities are the truncated normal's (Amemiya 1984), e.g. for a 0 and
    ``d > 6``, detractor with ``Phi((6.5 - d - mean) / sigma) / Phi((0.5 - mean) / sigma)``.
    With d = 0 it is the NPS contribution of the answer itself."""
    shifted = answer + d
    promoter = np.clip(shifted - 8, 0, 1)
    detractor = np.clip(7 - shifted, 0, 1)
    d = np.broadcast_to(d, answer.shape)
    for cell, sign, edge in ((answer >= 10, 1.0, NPS_CEILING), (answer <= 0, -1.0, NPS_FLOOR)):
        if cell.any():  # sign -1 mirrors y* so that both ends are upper tails
            m, e = sign * mean[cell], sign * edge
            up = _upper_tail_share(m, sigma, e, sign * (PROMOTER_FROM - d[cell]))
            down = _upper_tail_share(m, sigma, e, sign * (DETRACTOR_BELOW - d[cell]))
            promoter[cell], detractor[cell] = (up, 1 - down) if sign > 0 else (1 - up, down)
    return 100 * (promoter - detractor)


def _upper_tail_share(mean: np.ndarray, sigma: float, edge: float, cut) -> np.ndarray:
    """``P(y >= cut | y >= edge)`` for ``y ~ N(mean, sigma^2)``, in logs (stable far
    in the tail): ``Phi((mean - max(cut, edge)) / sigma) / Phi((mean - edge) / sigma)``."""
    cut = np.maximum(cut, edge)
    return np.exp(
        _special.log_ndtr((mean - cut) / sigma) - _special.log_ndtr((mean - edge) / sigma)
    )


def _goal_value(
    goal: Goal, mine: np.ndarray, used: np.ndarray, v: np.ndarray
) -> tuple[float, float]:
    """The goal (reference + margin, capped at the top) and its reference; ``used``
    marks the rows ``mine`` who rated their experience of the goal's touchpoint."""
    if goal.fixed is not None:
        base = goal.fixed
    else:
        answers = goal.expectation[mine]
        has = ~np.isnan(answers) & used  # paired, as gaps
        base = np.average(answers[has], weights=v[has]) if has.any() else np.nan
    return float(min(goal.top, base + goal.margin)), float(base)


def _shift_to(ratings: np.ndarray, weights: np.ndarray, target: float, top: float) -> float:
    """The shift s >= 0 with ``mean(min(top, ratings + s)) = target`` (0 when the
    mean already reaches it; the largest useful shift when the target is the top):
    50 bisection steps on ``[0, top - min(ratings)]`` of the weighted mean
    ``m(s) = sum_i w_i min(top, r_i + s) / sum_i w_i``.

    The computed ``m(s)`` is nondecreasing in s (each rounded operation is), so
    outside a bracket ``below < s < above`` known to hold the root
    (:func:`_bracket`) a step's verdict is known without computing ``m``: the
    same steps, the same result, about a quarter of the work."""
    total = weights.sum()
    if not np.isfinite(target) or np.multiply(ratings, weights).sum() / total >= target:
        return 0.0
    mean = _capped_mean(ratings, weights, total, top)
    below, above = _bracket(ratings, weights, target, top, mean)
    low, high = 0.0, float(top - ratings.min())
    for _ in range(50):
        middle = (low + high) / 2
        if middle <= below or (middle < above and mean(middle) < target):
            low = middle
        else:
            high = middle
    return high


def _capped_mean(ratings: np.ndarray, weights: np.ndarray, total: float, top: float):
    """``m(s) = sum_i w_i min(top, r_i + s) / total``, the arithmetic of
    ``np.average`` (the same operations in the same order, so the same bits) in
    one reused buffer and without its checks."""
    buffer = np.empty_like(ratings)

    def mean(shift: float) -> float:
        np.add(ratings, shift, out=buffer)
        np.minimum(top, buffer, out=buffer)
        np.multiply(buffer, weights, out=buffer)
        return buffer.sum() / total

    return mean


def _bracket(ratings, weights, target: float, top: float, mean) -> tuple[float, float]:
    """Shifts ``below < above`` with ``mean(below) < target <= mean(above)``, checked
    on the computed mean: the exact root (:func:`_capped_root`) plus or minus
    ``1e-13 (1 + top - min(ratings))``; ``(-inf, inf)`` (no bracket) when the
    check fails."""
    root = _capped_root(ratings, weights, target, top)
    margin = 1e-13 * (1 + top - ratings.min())
    below, above = root - margin, root + margin
    if np.isfinite(root) and mean(below) < target <= mean(above):
        return below, above
    return -np.inf, np.inf


def _capped_root(ratings, weights, target: float, top: float) -> float:
    """The root of the piecewise-linear ``m(s) = target`` in closed form.

    With the respondents sorted by the shift ``c_i = top - r_i`` that caps them,
    ``W_k`` and ``R_k`` the weight and weighted ratings of the first k, and
    ``W``, ``R`` the totals: on the piece where exactly the first k are capped,
    ``m(s) = (top W_k + R - R_k + s (W - W_k)) / W``, so
    ``s = (target W - top W_k - (R - R_k)) / (W - W_k)``, k the first cap point
    where ``m`` reaches the target. NaN when no piece does (rounding at the top).
    """
    order = np.argsort(top - ratings, kind="stable")
    caps, w = top - ratings[order], weights[order]
    weight = np.concatenate([[0.0], np.cumsum(w)])
    rated = np.concatenate([[0.0], np.cumsum(w * ratings[order])])
    total, total_rated = weight[-1], rated[-1]
    at_caps = (top * weight[1:] + total_rated - rated[1:] + caps * (total - weight[1:])) / total
    k = int(np.searchsorted(at_caps, target))
    if k == len(caps) or total - weight[k] <= 0:
        return np.nan
    return (target * total - top * weight[k] - (total_rated - rated[k])) / (total - weight[k])
