"""Customer segmentation: a scikit-learn pipeline, the choice of k, and its stability.

The model is a scikit-learn :class:`~sklearn.pipeline.Pipeline`: mean
imputation and standardisation of the touchpoint items (expectations,
experiences, emotions), optional one-hot encoding of profile columns, then a
clustering step (k-means, a Gaussian mixture, or Ward agglomeration with
nearest-centroid assignment). So ``get_params``, ``clone`` and ``predict`` on
new respondents work as everywhere in scikit-learn.

k is chosen from a range by the average rank over several criteria
(silhouette, Calinski-Harabasz, Davies-Bouldin, and BIC for mixtures), and
the result is checked twice: against a null reference (the same data with
each column shuffled independently, which keeps every item's distribution and
destroys any segment structure) and by bootstrap stability (the adjusted Rand
index between the labels of refits on resampled respondents; Hennig 2007).

Large studies: above ``LARGE_N`` respondents, k is chosen and stability
measured on a random sample of ``LARGE_N``; the final k-means model is
:class:`~sklearn.cluster.MiniBatchKMeans` fitted on everyone, and everyone is
assigned by ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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

from ..plots import k_scores_plot, segment_map
from ..results import Result
from ..tables import Findings, suppressed_note
from .personas import describe_segments, persona_cards_html

METHODS = ("kmeans", "gmm", "agglomerative")
LARGE_N = 50_000
AGGLOMERATIVE_MAX_N = 10_000
SILHOUETTE_SAMPLE = 5_000
STABILITY_SAMPLE = 10_000
CLEAR_STABILITY = 0.75  # mean bootstrap ARI (Hennig 2007 calls < 0.6 dissolved)
CLEAR_SILHOUETTE_MARGIN = 0.03  # silhouette above the shuffled-data reference


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


def feature_columns(study, features="auto") -> list[str]:
    """The columns to segment on: ``"auto"`` = every touchpoint's expectation,
    experience and emotion item; or ``"expectation"``/``"experience"``/
    ``"emotion"`` (or a list of them); or a list of column names."""
    kinds = ("expectation", "experience", "emotion")
    if isinstance(features, str):
        features = list(kinds) if features == "auto" else [features]
    if all(f in kinds for f in features):
        return [
            getattr(tp, kind).column
            for kind in features
            for tp in study.codebook.touchpoints
            if getattr(tp, kind) is not None
        ]
    missing = [f for f in features if f not in study.responses.columns]
    if missing:
        raise KeyError(f"not columns of the study: {', '.join(missing)}")
    return list(features)


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


@dataclass(frozen=True)
class Segmentation(Result):
    """Result of :func:`cxresearch.segment`.

    Attributes: ``labels`` (segment 1..k by respondent id), ``k``, ``choice``
    (scores per k and the reason), ``stability``, ``silhouette`` and
    ``silhouette_null``, ``clear`` (whether the structure is strong enough to
    act on) with ``verdict`` in words, ``profiles`` and ``personas`` (also
    ``table``; see :mod:`cxresearch.analyses.personas`), the fitted
    ``pipeline`` and the ``features``.
    """

    labels: pd.Series
    k: int
    choice: Choice
    stability: Stability
    silhouette: float
    silhouette_null: float
    clear: bool
    verdict: str
    pipeline: Pipeline
    features: list[str]
    profile_columns: list[str]
    method: str
    notes: tuple[str, ...]
    personas: pd.DataFrame
    segment_of_cluster: dict[int, int]
    map_points: pd.DataFrame
    profiles: dict = field(default_factory=dict)
    min_base: int = 30
    confidence: float = 0.95

    @property
    def table(self) -> pd.DataFrame:
        """The personas: one row per segment (name, n, share, description, NPS)."""
        return self.personas

    @property
    def k_scores(self) -> pd.DataFrame:
        return self.choice.scores

    def display(self) -> pd.DataFrame:
        """Persona, size and description per segment; small segments suppressed."""
        p = self.personas
        shown = pd.DataFrame(index=pd.Index(p["segment"], name="segment"))
        shown["persona"] = p["name"].to_numpy()
        shown["respondents"] = [
            f"{n:,} ({share:.0%})" for n, share in zip(p["n"], p["share"], strict=True)
        ]
        shown["description"] = [
            suppressed_note(n, self.min_base) if small else text
            for n, small, text in zip(p["n"], p["below_min_base"], p["description"], strict=True)
        ]
        return shown

    def findings(self, top: int = 3) -> Findings:
        """The verdict on the structure, then the largest personas in one line
        each: ``top`` lines in all."""
        lines = [self.verdict][:top]
        for row in self.personas.head(max(top - 1, 0)).to_dict("records"):
            if row["below_min_base"]:
                continue
            lines.append(
                f"{row['segment']}. {row['name']}, {row['n']:,} respondents "
                f"({row['share']:.0%}): {row['description']}"
            )
        return Findings(tuple(lines))

    def plot(self, ax=None):
        """Respondents on the first two principal components, coloured by segment."""
        return segment_map(self, ax=ax)

    def plot_k(self, ax=None):
        """The criteria for every k, the chosen k marked."""
        return k_scores_plot(self.choice, ax=ax)

    def caption(self) -> str:
        return f"{self.choice.reason} Stability interval: {self.interval}."

    def _repr_html_(self) -> str:
        return persona_cards_html(self)


def segment(
    study,
    *,
    features="auto",
    k="auto",
    method: str = "kmeans",
    k_range: tuple[int, int] = (2, 8),
    profile: bool = False,
    n_boot: int = 20,
    random_state: int = 0,
    confidence: float = 0.95,
) -> Segmentation:
    """Segment respondents into personas by their expectations, experiences and emotions.

    Parameters
    ----------
    study : Study
    features : "auto", a kind, or a list of columns
        See :func:`feature_columns`.
    k : "auto" or int
        The number of segments, or ``"auto"`` to choose it from ``k_range``.
    method : str
        ``"kmeans"``, ``"gmm"`` (Gaussian mixture, diagonal covariances) or
        ``"agglomerative"`` (Ward; fitted on at most 10,000 respondents).
    profile : bool
        Also segment on the profile columns (one-hot encoded when categorical).
    n_boot : int
        Bootstrap refits for the stability estimate.
    random_state : int
        Seed of every random step: same seed, same labels.

    confidence : float
        Level of the stability interval (and of the personas' NPS intervals).

    Returns
    -------
    Segmentation
    """
    numeric = feature_columns(study, features)
    categorical: list[str] = []
    if profile:
        for column in study.codebook.profile:
            is_number = pd.api.types.is_numeric_dtype(study.responses[column])
            if column not in numeric:
                (numeric if is_number else categorical).append(column)
    data = study.responses[numeric + categorical].copy()
    data[numeric] = data[numeric].astype("float64")
    for column in categorical:
        data[column] = data[column].astype("string").fillna("(missing)").astype(object)
    notes: list[str] = []
    rng = np.random.default_rng(random_state)
    sample = _sample(
        data, AGGLOMERATIVE_MAX_N if method == "agglomerative" else LARGE_N, rng, notes
    )
    base = build_pipeline(numeric, categorical, method, k_range[0], random_state)
    scores = score_ks(base, sample, k_range, random_state)
    choice = (
        choose_k(scores)
        if k == "auto"
        else Choice(int(k), scores, f"k = {int(k)} was set by the analyst.")
    )
    model = build_pipeline(numeric, categorical, method, choice.k, random_state).fit(sample)
    small = _sample(sample, STABILITY_SAMPLE, rng, [])
    stable = stability(model, small, n_boot, random_state, confidence)
    z = model.named_steps["prepare"].transform(small)
    silhouette = float(
        silhouette_score(
            z,
            model.predict(small),
            sample_size=min(SILHOUETTE_SAMPLE, len(z)),
            random_state=random_state,
        )
    )
    null = null_silhouette(model, small, random_state)
    if len(data) > LARGE_N and method == "kmeans":
        model = build_pipeline(numeric, categorical, method, choice.k, random_state, large=True)
        model.fit(data)
        notes.append(f"final model: MiniBatchKMeans fitted on all {len(data):,} respondents")
    clusters = model.predict(data)
    order = np.argsort(-np.bincount(clusters, minlength=choice.k), kind="stable")
    to_segment = {int(c): i + 1 for i, c in enumerate(order)}  # segment 1 = the largest
    labels = pd.Series([to_segment[int(c)] for c in clusters], index=data.index, name="segment")
    clear, verdict = _verdict(stable, silhouette, null)
    personas, profiles = describe_segments(study, labels, numeric, confidence)
    return Segmentation(
        labels=labels,
        k=choice.k,
        choice=choice,
        stability=stable,
        silhouette=silhouette,
        silhouette_null=null,
        clear=clear,
        verdict=verdict,
        pipeline=model,
        features=numeric,
        profile_columns=categorical,
        method=method,
        notes=tuple(notes),
        personas=personas,
        segment_of_cluster=to_segment,
        map_points=_map_points(model, data, labels, random_state),
        profiles=profiles,
        min_base=study.codebook.min_base,
        confidence=confidence,
    )


MAP_POINTS = 4_000


def _map_points(model: Pipeline, data: pd.DataFrame, labels: pd.Series, random_state: int):
    """Two principal components of the prepared features for a seeded sample of
    respondents, with their segments: what ``Segmentation.plot`` draws."""
    from sklearn.decomposition import PCA  # third-party, used only here

    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(len(data), size=min(MAP_POINTS, len(data)), replace=False))
    z = model.named_steps["prepare"].transform(data.iloc[rows])
    pca = PCA(n_components=2, random_state=random_state).fit(z)
    xy = pca.transform(z)
    points = pd.DataFrame(
        {"pc1": xy[:, 0], "pc2": xy[:, 1], "segment": labels.iloc[rows].to_numpy()},
        index=data.index[rows],
    )
    points.attrs["explained"] = tuple(pca.explained_variance_ratio_)
    return points


def _sample(data: pd.DataFrame, size: int, rng, notes: list[str]) -> pd.DataFrame:
    if len(data) <= size:
        return data
    notes.append(f"k chosen and stability measured on a random sample of {size:,} of {len(data):,}")
    return data.iloc[np.sort(rng.choice(len(data), size=size, replace=False))]


def _verdict(stable: Stability, silhouette: float, null: float) -> tuple[bool, str]:
    """Whether the segments are strong enough to act on, in words."""
    clear = stable.mean >= CLEAR_STABILITY and silhouette >= null + CLEAR_SILHOUETTE_MARGIN
    evidence = (
        f"stability (mean adjusted Rand index of bootstrap refits) {stable}; "
        f"silhouette {silhouette:.3f} against {null:.3f} for the same data with every "
        "column shuffled"
    )
    if clear:
        return True, f"Clear segment structure: {evidence}."
    return False, (
        f"No clear segment structure: {evidence}. Refits on resampled respondents do not "
        "reproduce the segments, or the data are barely more clustered than shuffled data: "
        "treat these segments as a convenient split, not as personas to design for."
    )


def for_segment(study, segment_number: int | None, *, random_state: int = 0, **options):
    """The study restricted to one segment's respondents (segments as
    :func:`segment` finds them with this seed and these ``options``: ``k``,
    ``method``, ``features``, ...), for a per-segment report; None returns the
    study as it is. The data-quality record notes the restriction."""
    if segment_number is None:
        return study
    labels = segment(study, random_state=random_state, n_boot=0, **options).labels
    if int(segment_number) not in set(labels):
        raise KeyError(f"no segment {segment_number}: the study has segments 1 to {labels.max()}")
    inside = labels == int(segment_number)
    note = (
        f"report restricted to segment {int(segment_number)} "
        f"({int(inside.sum()):,} of {len(labels):,} respondents, segmentation seed {random_state})"
    )
    quality = replace(study.quality, notes=(*study.quality.notes, note))
    return replace(study, responses=study.responses[inside.to_numpy()], quality=quality)


def assign_segments(study, segmentation: Segmentation) -> pd.Series:
    """Label the respondents of another study (e.g. a new wave) with a fitted segmentation."""
    columns = segmentation.features + segmentation.profile_columns
    missing = [c for c in columns if c not in study.responses.columns]
    if missing:
        raise KeyError(f"the study lacks the segmentation's columns: {', '.join(missing)}")
    data = study.responses[columns].copy()
    data[segmentation.features] = data[segmentation.features].astype("float64")
    for column in segmentation.profile_columns:
        data[column] = data[column].astype("string").fillna("(missing)").astype(object)
    clusters = segmentation.pipeline.predict(data)
    mapping = segmentation.segment_of_cluster
    return pd.Series([mapping[int(c)] for c in clusters], index=data.index, name="segment")
