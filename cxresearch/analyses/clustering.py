"""The clustering machinery behind :func:`cxresearch.segment`: the scikit-learn
pipeline, the choice of k, and the checks that segments are real.

The model is a scikit-learn :class:`~sklearn.pipeline.Pipeline`: mean
imputation and standardisation of the items, optional one-hot encoding of
profile columns, then a clustering step (k-means, a Gaussian mixture, or Ward
agglomeration with nearest-centroid assignment). So ``get_params``,
``clone`` and ``predict`` on new respondents work as everywhere in
scikit-learn.

k is chosen from a range by the average rank over several criteria
(silhouette, Calinski-Harabasz, Davies-Bouldin, and BIC for mixtures).
Two checks follow: a null reference (the same data with each column
shuffled independently, which keeps every item's distribution and destroys
any segment structure) and bootstrap stability (the adjusted Rand index
between the labels of refits on resampled respondents; Hennig 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

METHODS = ("kmeans", "gmm", "agglomerative")


SILHOUETTE_SAMPLE = 5_000


class AgglomerativeSegmenter(ClusterMixin, BaseEstimator):
    """Ward agglomerative clustering that can ``predict``: new respondents go to
    the nearest segment centroid."""

    def __init__(self, n_clusters: int = 4):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        self.labels_ = AgglomerativeClustering(n_clusters=self.n_clusters).fit_predict(X)
        self.cluster_centers_ = np.vstack(
            [X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters)]
        )
        return self

    def predict(self, X):
        distances = ((X[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
        return distances.argmin(axis=1)


def build_pipeline(
    numeric: list[str],
    categorical: list[str] = (),
    method: str = "kmeans",
    k: int = 4,
    random_state: int = 0,
    large: bool = False,
) -> Pipeline:
    """The segmentation pipeline: impute and scale, one-hot profiles, cluster."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    steps = [
        (
            "scale",
            Pipeline([("impute", SimpleImputer()), ("standardize", StandardScaler())]),
            list(numeric),
        )
    ]
    if categorical:
        steps.append(
            (
                "profile",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(categorical),
            )
        )
    prepare = ColumnTransformer(steps)
    if method == "kmeans":
        cluster = (
            MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=random_state)
            if large
            else KMeans(n_clusters=k, n_init=4, random_state=random_state)
        )
    elif method == "gmm":
        cluster = GaussianMixture(
            n_components=k, covariance_type="diag", n_init=3, random_state=random_state
        )
    else:
        cluster = AgglomerativeSegmenter(n_clusters=k)
    return Pipeline([("prepare", prepare), ("cluster", cluster)])


@dataclass(frozen=True)
class Choice:
    """How k was chosen: the scores of every k and the reason in words."""

    k: int
    scores: pd.DataFrame
    reason: str


def score_ks(pipeline: Pipeline, data: pd.DataFrame, k_range, random_state: int) -> pd.DataFrame:
    """Silhouette, Calinski-Harabasz, Davies-Bouldin (and BIC for mixtures) per k."""
    rows = []
    z = pipeline.named_steps["prepare"].fit_transform(data)
    for k in range(k_range[0], k_range[1] + 1):
        model = clone(pipeline.named_steps["cluster"]).set_params(**{_k_param(pipeline): k})
        labels = model.fit_predict(z) if hasattr(model, "fit_predict") else model.fit(z).predict(z)
        row = {
            "k": k,
            "silhouette": silhouette_score(
                z, labels, sample_size=min(SILHOUETTE_SAMPLE, len(z)), random_state=random_state
            ),
            "calinski_harabasz": calinski_harabasz_score(z, labels),
            "davies_bouldin": davies_bouldin_score(z, labels),
        }
        if isinstance(model, GaussianMixture):
            row["bic"] = model.bic(z)
        rows.append(row)
    return pd.DataFrame(rows)


def _k_param(pipeline: Pipeline) -> str:
    return (
        "n_components"
        if isinstance(pipeline.named_steps["cluster"], GaussianMixture)
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


def null_silhouette(pipeline: Pipeline, data: pd.DataFrame, random_state: int) -> float:
    """Silhouette of the same model on the data with each column shuffled on its own."""
    rng = np.random.default_rng(random_state)
    shuffled = data.apply(lambda column: column.to_numpy()[rng.permutation(len(column))])
    fitted = clone(pipeline).fit(shuffled)
    z = fitted.named_steps["prepare"].transform(shuffled)
    labels = fitted.predict(shuffled)
    if len(np.unique(labels)) < 2:
        return 0.0
    return float(
        silhouette_score(
            z, labels, sample_size=min(SILHOUETTE_SAMPLE, len(z)), random_state=random_state
        )
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
        refit = clone(pipeline)
        _seed(refit, random_state + b + 1)
        refit.fit(data.iloc[rows])
        scores.append(adjusted_rand_score(reference, refit.predict(data)))
    scores = np.array(scores)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return Stability(float(scores.mean()), float(low), float(high), n_boot)


def _seed(pipeline: Pipeline, seed: int) -> None:
    cluster = pipeline.named_steps["cluster"]
    if "random_state" in cluster.get_params():
        cluster.set_params(random_state=seed)
