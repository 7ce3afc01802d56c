"""Customer segmentation into personas: :func:`segment` and its :class:`Segmentation`.

Respondents are segmented by their expectations, experiences and emotions
(and, optionally, profile columns) with the scikit-learn pipeline of
:mod:`cxresearch.analyses.clustering`, which also chooses k and checks the
result against shuffled data and by bootstrap stability. Segments are
numbered by size (1 = the largest) and described as personas
(:mod:`cxresearch.analyses.personas`).

Large studies: above ``LARGE_N`` respondents, k is chosen and stability
measured on a random sample of ``LARGE_N``; the final k-means model is
:class:`~sklearn.cluster.MiniBatchKMeans` fitted on everyone, and everyone is
assigned by ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline

from ..data.study import MIN_SEGMENT_RESPONDENTS
from ..errors import Problem, StudyError
from ..plots import k_scores_plot, segment_map
from ..results import Result
from ..tables import Findings, suppressed_note
from ._common import require
from .clustering import (
    SILHOUETTE_SAMPLE,
    Choice,
    Stability,
    build_pipeline,
    choose_k,
    null_silhouette,
    score_ks,
    stability,
)
from .personas import describe_segments, persona_cards_html

LARGE_N = 50_000
AGGLOMERATIVE_MAX_N = 10_000
STABILITY_SAMPLE = 10_000
CLEAR_STABILITY = 0.75  # mean bootstrap ARI (Hennig 2007 calls < 0.6 dissolved)
CLEAR_SILHOUETTE_MARGIN = 0.03  # silhouette above the shuffled-data reference


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
    if not numeric and not (profile and study.codebook.profile):
        require(study, "the segmentation", "touchpoints")
    categorical: list[str] = []
    if profile:
        for column in study.codebook.profile:
            is_number = pd.api.types.is_numeric_dtype(study.responses[column])
            if column not in numeric:
                (numeric if is_number else categorical).append(column)
    if study.n < MIN_SEGMENT_RESPONDENTS:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                f"the segmentation needs at least {MIN_SEGMENT_RESPONDENTS} respondents; "
                f"this study has {study.n}",
            )
        )
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


def for_segment(study, segment_number: int | None, random_state: int = 0, **options):
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
