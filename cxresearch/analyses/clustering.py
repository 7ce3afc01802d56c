"""The clustering machinery behind :func:`cxresearch.segment`: the scikit-learn
pipeline, the choice of k, and the checks that segments are real.

The model is a scikit-learn :class:`~sklearn.pipeline.Pipeline`: optionally
within-respondent centring of the ratings (:class:`RespondentCentring`), mean
imputation and standardisation of the items, optional one-hot encoding of
profile columns, then a clustering step (k-means, a Gaussian mixture, or Ward
agglomeration with nearest-centroid assignment). So ``get_params``,
``clone`` and ``predict`` on new respondents work as everywhere in
scikit-learn.

k is chosen from a range by the average rank over several criteria
(silhouette, Calinski-Harabasz, Davies-Bouldin, and BIC for mixtures).
Two checks follow: a null reference that keeps the items' correlations
(:func:`null_silhouettes`: Gaussian draws with the mean and covariance of the
prepared features, clustered with the same model and k) and bootstrap
stability (the adjusted Rand index between the labels of refits on resampled
respondents; Hennig 2007).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._lazy import LazyModule

if TYPE_CHECKING:  # scikit-learn loads when a segmentation is fitted, not on import
    from sklearn.pipeline import Pipeline

_base = LazyModule("sklearn.base")
_cluster = LazyModule("sklearn.cluster")
_compose = LazyModule("sklearn.compose")
_impute = LazyModule("sklearn.impute")
_metrics = LazyModule("sklearn.metrics")
_mixture = LazyModule("sklearn.mixture")
_pipeline = LazyModule("sklearn.pipeline")
_preprocessing = LazyModule("sklearn.preprocessing")
_utils = LazyModule("sklearn.utils")
_threads = LazyModule("threadpoolctl")

METHODS = ("kmeans", "gmm", "agglomerative")


SILHOUETTE_SAMPLE = 5_000


ESTIMATORS = ("AgglomerativeSegmenter", "RespondentCentring")


def __getattr__(name: str):
    """The module's own scikit-learn estimators, defined on first use (PEP 562):
    they derive from scikit-learn's base classes, and importing this module must
    not load scikit-learn (every chapter kernel imports it, few segment). Pickles
    and ``from ... import RespondentCentring`` find them here as usual."""
    if name in ESTIMATORS:
        globals().update(_define_estimators())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _define_estimators() -> dict[str, type]:
    """The classes named in ``ESTIMATORS``, under their module-level names."""

    class AgglomerativeSegmenter(_base.ClusterMixin, _base.BaseEstimator):
        """Ward agglomerative clustering that can ``predict``: new respondents go to
        the nearest segment centroid."""

        def __init__(self, n_clusters: int = 4):
            self.n_clusters = n_clusters

        def fit(self, X, y=None):
            self.labels_ = _cluster.AgglomerativeClustering(n_clusters=self.n_clusters).fit_predict(
                X
            )
            self.cluster_centers_ = np.vstack(
                [X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters)]
            )
            return self

        def predict(self, X):
            distances = ((X[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
            return distances.argmin(axis=1)

    class RespondentCentring(_base.TransformerMixin, _base.BaseEstimator):
        """Within-respondent profiles (ipsative centring; Cunningham, Cunningham &
        Green 1977; Fischer 2004): each rating is first put on 0-1 by its scale,
        ``(x - lowest) / (highest - lowest)``, then the respondent's own mean over
        the ratings they gave is subtracted, ``x'_ij = p_ij - mean_j(p_ij)``.

        What remains is how a respondent rates one touchpoint *relative to the
        others*: a general level (a halo: rating everything high or low) is
        removed, so segments of kind are not masked by segments of level. Columns
        not named pass through unchanged; missing ratings stay missing. Stateless:
        ``fit`` learns nothing."""

        def __init__(self, columns: tuple = (), scales: tuple = ()):
            self.columns = columns
            self.scales = scales

        def fit(self, X, y=None):
            return self

        def transform(self, X: pd.DataFrame) -> pd.DataFrame:
            columns = list(self.columns)
            low = np.array([float(s[0]) for s in self.scales])
            span = np.array([float(s[1]) - float(s[0]) for s in self.scales])
            share = (X[columns].astype("float64") - low) / np.where(span > 0, span, 1.0)
            out = X.copy()
            out[columns] = share.sub(share.mean(axis=1), axis=0)
            return out

    classes = {
        "AgglomerativeSegmenter": AgglomerativeSegmenter,
        "RespondentCentring": RespondentCentring,
    }
    for name, cls in classes.items():
        cls.__qualname__ = name
    return classes


def one_thread(compute: Callable) -> Callable:
    """Decorate a function of many small fits: OpenMP (k-means) and BLAS run on
    one thread while it computes.

    Why: the report runs two chapter kernels at a time on two cores, and
    scikit-learn's k-means starts an OpenMP thread per core; threads that wait
    for each other spin. On the 2-core benchmark machine, shared with other
    work, seven k-means fits took 4 to 6 times the CPU and 3 to 5 times the
    wall time on two threads that they took on one, at 4,000 and at 50,000
    respondents; a cold demo report used about 12 CPU seconds less (of 50).
    The numbers do not change: labels, silhouettes, scores, null reference and
    stability are the same bit for bit (``tests/test_speed_same_numbers.py``).
    The text themes' fits do the same (:mod:`cxresearch.analyses.text.coding`)."""

    @functools.wraps(compute)
    def limited(*args, **kwargs):
        with _threads.threadpool_limits(limits=1):
            return compute(*args, **kwargs)

    return limited


def _estimator(name: str) -> type:
    """One of ``ESTIMATORS`` (defined on the first call)."""
    return _define_estimators()[name]


def build_pipeline(
    numeric: list[str],
    categorical: list[str] = (),
    method: str = "kmeans",
    k: int = 4,
    random_state: int = 0,
    large: bool = False,
    centred: dict[str, tuple[float, float]] | None = None,
) -> Pipeline:
    """The segmentation pipeline: (centre per respondent,) impute and scale,
    one-hot profiles, cluster. ``centred`` maps the rating columns to centre
    per respondent to their scale's (lowest, highest) value; see
    :class:`RespondentCentring`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    steps = [
        (
            "scale",
            _pipeline.Pipeline(
                [
                    ("impute", _impute.SimpleImputer()),
                    ("standardize", _preprocessing.StandardScaler()),
                ]
            ),
            list(numeric),
        )
    ]
    if categorical:
        steps.append(
            (
                "profile",
                _preprocessing.OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(categorical),
            )
        )
    prepare = _compose.ColumnTransformer(steps)
    if centred:
        prepare = _pipeline.Pipeline(
            [
                (
                    "centre",
                    _estimator("RespondentCentring")(tuple(centred), tuple(centred.values())),
                ),
                ("columns", prepare),
            ]
        )
    if method == "kmeans":
        cluster = (
            _cluster.MiniBatchKMeans(
                n_clusters=k, n_init=3, batch_size=4096, random_state=random_state
            )
            if large
            else _cluster.KMeans(n_clusters=k, n_init=4, random_state=random_state)
        )
    elif method == "gmm":
        cluster = _mixture.GaussianMixture(
            n_components=k, covariance_type="diag", n_init=3, random_state=random_state
        )
    else:
        cluster = _estimator("AgglomerativeSegmenter")(n_clusters=k)
    return _pipeline.Pipeline([("prepare", prepare), ("cluster", cluster)])


@dataclass(frozen=True)
class Choice:
    """How k was chosen: the scores of every k and the reason in words."""

    k: int
    scores: pd.DataFrame
    reason: str


@one_thread
def score_ks(pipeline: Pipeline, data: pd.DataFrame, k_range, random_state: int) -> pd.DataFrame:
    """Silhouette, Calinski-Harabasz, Davies-Bouldin (and BIC for mixtures) per k
    (a fit that puts everyone in one segment scores worst on each)."""
    rows = []
    z = pipeline.named_steps["prepare"].fit_transform(data)
    sample = SilhouetteSample(z, random_state)  # the distances once for every k
    for k in range(k_range[0], k_range[1] + 1):
        model = _base.clone(pipeline.named_steps["cluster"]).set_params(**{_k_param(pipeline): k})
        labels = model.fit_predict(z) if hasattr(model, "fit_predict") else model.fit(z).predict(z)
        one = len(np.unique(labels)) < 2  # a degenerate fit: the worst score on each
        row = {
            "k": k,
            "silhouette": silhouette(z, labels, random_state, sample),
            "calinski_harabasz": 0.0 if one else _metrics.calinski_harabasz_score(z, labels),
            "davies_bouldin": np.inf if one else _metrics.davies_bouldin_score(z, labels),
        }
        if isinstance(model, _mixture.GaussianMixture):
            row["bic"] = model.bic(z)
        rows.append(row)
    return pd.DataFrame(rows)


def _k_param(pipeline: Pipeline) -> str:
    return (
        "n_components"
        if isinstance(pipeline.named_steps["cluster"], _mixture.GaussianMixture)
        else "n_clusters"
    )


def choose_k(scores: pd.DataFrame) -> Choice:
    """The k with the best average rank over the criteria (ties: the smaller k)."""
    better = {"silhouette": False, "calinski_harabasz": False, "davies_bouldin": True, "bic": True}
    criteria = [c for c in better if c in scores]
    ranks = pd.DataFrame({c: scores[c].rank(ascending=better[c], method="min") for c in criteria})
    mean_rank = ranks.mean(axis=1)
    best = int(mean_rank.idxmin())
    k = int(scores.loc[best, "k"])
    names = {
        "silhouette": "silhouette",
        "calinski_harabasz": "Calinski-Harabasz",
        "davies_bouldin": "Davies-Bouldin",
        "bic": "BIC",
    }
    parts = [
        f"{names[c]} {scores.loc[best, c]:.3g} "
        f"({_ordinal(int(ranks.loc[best, c]))} of {len(scores)})"
        for c in criteria
    ]
    reason = f"k = {k} has the best average rank over the criteria: " + ", ".join(parts) + "."
    return Choice(k, scores.assign(mean_rank=mean_rank), reason)


def _ordinal(n: int) -> str:
    return {1: "best", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


NULL_DRAWS = 20
NULL_SAMPLE = 1_500  # respondents per null draw (at most)
NULL_QUANTILE = 0.95


@dataclass(frozen=True)
class NullReference:
    """Silhouettes of the same model and k on ``draws`` data sets without
    segments but with the study's correlations (see :func:`null_silhouettes`)."""

    silhouettes: tuple[float, ...]
    n: int

    @property
    def draws(self) -> int:
        return len(self.silhouettes)

    @property
    def mean(self) -> float:
        return float(np.mean(self.silhouettes))

    @property
    def below(self) -> int:
        """How many draws are at most :attr:`upper`: ``ceil(NULL_QUANTILE x draws)``."""
        return int(np.ceil(NULL_QUANTILE * self.draws - 1e-9))

    @property
    def upper(self) -> float:
        """The null's ``NULL_QUANTILE`` quantile as an order statistic: the
        :attr:`below`-th smallest silhouette (19th of 20 draws)."""
        return float(np.sort(self.silhouettes)[self.below - 1])

    def __str__(self) -> str:
        return (
            f"mean {self.mean:.3f}, at most {self.upper:.3f} in {self.below} of {self.draws} "
            f"draws of {self.n:,} respondents"
        )


@dataclass(frozen=True)
class GaussianReference:
    """The Gaussian with the sample mean and covariance of the rows of ``z``.

    Built from the singular value decomposition of the centred data,
    ``z - mean = U S V'``: a draw is ``x = mean + g diag(S / sqrt(m - 1)) V'``
    with ``g`` standard normal, whose covariance is ``V S^2 V' / (m - 1)``,
    the sample covariance, exactly, also when it is singular (one-hot profile
    columns, centred ratings)."""

    mean: np.ndarray
    factor: np.ndarray

    @classmethod
    def of(cls, z: np.ndarray) -> GaussianReference:
        mean = z.mean(axis=0)
        _, s, vt = np.linalg.svd(z - mean, full_matrices=False)
        return cls(mean, (s / np.sqrt(max(len(z) - 1, 1)))[:, None] * vt)

    def draw(self, n: int, rng) -> np.ndarray:
        return self.mean + rng.standard_normal((n, len(self.factor))) @ self.factor


@one_thread
def null_silhouettes(
    pipeline: Pipeline, data: pd.DataFrame, random_state: int, draws: int = NULL_DRAWS
) -> NullReference:
    """The silhouette of the fitted model's clustering step (same method, same k)
    on ``draws`` seeded samples from a Gaussian with the mean and covariance of
    the prepared features.

    Why this reference: a single multivariate Gaussian is the textbook
    population *without* segments (SigClust defines a cluster as data from one
    Gaussian; Liu, Hayes, Nobel & Marron 2008, JASA 103:1281-1293), and with the
    sample covariance it keeps what shuffling each column destroys, the
    correlations among the items: a general satisfaction factor (a halo)
    makes a k-means split look tidy (silhouette near 0.3) although respondents
    lie on a continuum, and a Gaussian with the same factor splits just as
    tidily. The PCA-aligned uniform box of the gap statistic (Tibshirani,
    Walther & Hastie 2001, JRSS B 63:411-423) also keeps the principal axes;
    it is built to choose k, and its flat density with hard edges is harder to
    beat than a survey's bell-shaped continuum of ratings, so it would call
    many moderately separated but real segments a continuum. Each draw holds at
    most ``NULL_SAMPLE`` respondents (the spread of the null grows slightly as
    n falls, which makes the check a little stricter, never looser).
    """
    rng = np.random.default_rng(random_state)
    z = np.asarray(pipeline.named_steps["prepare"].transform(data), dtype="float64")
    n = min(len(z), NULL_SAMPLE)
    reference = GaussianReference.of(z)
    scores = []
    for draw in range(draws):
        x = reference.draw(n, rng)
        model = _base.clone(pipeline.named_steps["cluster"])
        if "random_state" in model.get_params():
            model.set_params(random_state=random_state + draw + 1)
        labels = model.fit_predict(x) if hasattr(model, "fit_predict") else model.fit(x).predict(x)
        scores.append(silhouette(x, labels, random_state))
    return NullReference(tuple(scores), n)


def silhouette(
    z: np.ndarray, labels: np.ndarray, random_state: int, sample: SilhouetteSample | None = None
) -> float:
    """The mean silhouette (Rousseeuw 1987) on a seeded sample of at most
    ``SILHOUETTE_SAMPLE`` respondents; 0 when everyone is in one segment.

    For a respondent i, ``a_i`` is the mean distance to the others of its segment
    and ``b_i`` the smallest mean distance to another segment's respondents;
    ``s_i = (b_i - a_i) / max(a_i, b_i)`` (0 alone in a segment). ``sample``: the
    sample's distances computed once for several labellings of ``z``
    (:class:`SilhouetteSample`; the same value)."""
    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(z):
        return 0.0
    if sample is not None:
        return sample.score(labels)
    return float(
        _metrics.silhouette_score(
            z, labels, sample_size=min(SILHOUETTE_SAMPLE, len(z)), random_state=random_state
        )
    )


class SilhouetteSample:
    """The silhouette's seeded sample of the rows of ``z`` and their distances,
    shared by every labelling of the same rows (each k of :func:`score_ks`).

    The sample is the one ``silhouette_score(z, labels, sample_size=m,
    random_state=seed)`` draws, the first ``m = min(SILHOUETTE_SAMPLE, n)`` of
    ``RandomState(seed).permutation(n)``; the Euclidean distance matrix is
    computed once by ``pairwise_distances_chunked``, as ``silhouette_samples``
    computes it, so :meth:`score` returns the very value of ``silhouette_score``
    with a fraction of the work when several labellings are scored."""

    def __init__(self, z: np.ndarray, random_state: int):
        self.z, self.random_state = np.asarray(z), random_state

    @functools.cached_property
    def rows(self) -> np.ndarray:
        size = min(SILHOUETTE_SAMPLE, len(self.z))
        return _utils.check_random_state(self.random_state).permutation(len(self.z))[:size]

    @functools.cached_property
    def distances(self) -> np.ndarray:
        """``d_ij = ||z_i - z_j||`` over the sample, 0 on the diagonal (the chunks
        written into one array: no second copy of an m x m matrix)."""
        sample = self.z[self.rows]
        distances, start = None, 0
        for chunk in _metrics.pairwise_distances_chunked(sample):
            if distances is None:
                distances = np.empty((len(sample), len(sample)), dtype=chunk.dtype)
            distances[start : start + len(chunk)] = chunk
            start += len(chunk)
        return distances

    def score(self, labels: np.ndarray) -> float:
        """The mean silhouette of ``labels`` (one per row of ``z``) on the sample."""
        sampled = np.asarray(labels)[self.rows]
        return float(
            np.mean(_metrics.silhouette_samples(self.distances, sampled, metric="precomputed"))
        )


@dataclass(frozen=True)
class Stability:
    """Mean adjusted Rand index of bootstrap refits against the reference labels."""

    mean: float
    low: float
    high: float
    n_boot: int

    def __str__(self) -> str:
        if self.n_boot == 0:
            return "not measured (no bootstrap refits)"
        return f"{self.mean:.2f} [{self.low:.2f}, {self.high:.2f}] over {self.n_boot} refits"


@one_thread
def stability(
    pipeline: Pipeline,
    data: pd.DataFrame,
    n_boot: int,
    random_state: int,
    confidence: float = 0.95,
) -> Stability:
    """Bootstrap stability (Hennig 2007): refit on resampled respondents, label
    the original respondents with each refit, compare with the reference by ARI."""
    if n_boot == 0:
        return Stability(np.nan, np.nan, np.nan, 0)
    rng = np.random.default_rng(random_state)
    reference = pipeline.predict(data)
    scores = []
    for b in range(n_boot):
        rows = rng.integers(0, len(data), len(data))
        refit = _base.clone(pipeline)
        _seed(refit, random_state + b + 1)
        refit.fit(data.iloc[rows])
        scores.append(_metrics.adjusted_rand_score(reference, refit.predict(data)))
    scores = np.array(scores)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return Stability(float(scores.mean()), float(low), float(high), n_boot)


def _seed(pipeline: Pipeline, seed: int) -> None:
    cluster = pipeline.named_steps["cluster"]
    if "random_state" in cluster.get_params():
        cluster.set_params(random_state=seed)
