"""Customer segmentation into personas: :func:`segment` and its :class:`Segmentation`.

Respondents are segmented by their expectations, experiences and emotions
(and, optionally, profile columns) with the scikit-learn pipeline of
:mod:`cxresearch.analyses.clustering`, which also chooses k. Segments are
numbered by size (1 = the largest) and described as personas
(:mod:`cxresearch.analyses.personas`).

Are the segments real? The silhouette of the segmentation is compared with
its distribution over ``NULL_DRAWS`` seeded data sets *without* segments but
with the study's correlations (a Gaussian with the mean and covariance of the
prepared features, clustered with the same model and k; see
:func:`~cxresearch.analyses.clustering.null_silhouettes`), and bootstrap
refits measure stability. The null's 95th percentile is an order statistic:
with 20 draws, the 19th smallest silhouette. Three verdicts (``structure``):

- ``"clear"``: silhouette at least ``CLEAR_SILHOUETTE_MARGIN`` (0.05) above
  the null's 95th percentile and mean bootstrap adjusted Rand index at least
  ``CLEAR_STABILITY`` (0.75): personas to design for.
- ``"weak"``: at least ``SEGMENT_SILHOUETTE_MARGIN`` (0.02) above the null's
  95th percentile, but not clear (smaller margin, not stable, or stability
  not measured): personas shown with a warning.
- ``"continuum"``: less than that: respondents differ by degree, not by
  kind. No personas: the labels are three *levels* of the overall rating
  (lower, middle, upper third; :class:`~.personas.Levels`).

Halo: in most surveys a general level (some respondents rate everything
high, others low) dominates, so raw ratings form a continuum or split into
"happy vs unhappy". ``centre="respondent"`` segments within-respondent
profiles instead (each rating on 0-1 by its scale, minus the respondent's own
mean): use it to find segments of *kind* (what a respondent rates high or
low relative to their own average) beneath a general level; keep the default
to segment on levels as they are (e.g. expectations that differ in height).

Missing answers are filled with the feature's mean before clustering; the
result's ``imputation`` table gives the share filled per feature, the notes
name the features above ``IMPUTATION_CAVEAT`` and the verdict carries the
caveat. Features nobody answered are dropped with a note.

Large studies: above ``LARGE_N`` respondents, k is chosen and stability
measured on a random sample of ``LARGE_N``; the final k-means model is
:class:`~sklearn.cluster.MiniBatchKMeans` fitted on everyone, and everyone is
assigned by ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..cache import SURVEY_PARTS, memoised
from ..data.study import MIN_SEGMENT_RESPONDENTS
from ..errors import Problem, StudyError
from ..plots import k_scores_plot, segment_map
from ..results import Result
from ..tables import Findings, suppressed_note
from ._common import require
from ._engine import dask_aware, on_dask
from .clustering import (
    NULL_DRAWS,
    Choice,
    NullReference,
    Stability,
    build_pipeline,
    choose_k,
    null_silhouettes,
    score_ks,
    silhouette,
    stability,
)
from .personas import Levels, describe_levels, describe_segments, persona_cards_html

if TYPE_CHECKING:  # scikit-learn loads when a segmentation is fitted, not on import
    from sklearn.pipeline import Pipeline

LARGE_N = 50_000
AGGLOMERATIVE_MAX_N = 10_000
STABILITY_SAMPLE = 10_000
CLEAR_STABILITY = 0.75  # mean bootstrap ARI (Hennig 2007 calls < 0.6 dissolved)
CLEAR_SILHOUETTE_MARGIN = 0.05  # silhouette above the null's 95th percentile: clear
# ... and for any segments at all: ratings' discrete steps (1-7 scales, answers piled at
# the ends) make a one-factor continuum look up to about 0.02 more clustered than the
# Gaussian reference, so less than that above the null is no evidence of segments
SEGMENT_SILHOUETTE_MARGIN = 0.02
IMPUTATION_CAVEAT = 0.10  # share of answers filled with the mean that the verdict mentions
CENTRES = (None, "respondent")
STRUCTURES = {
    "clear": "Clear segments",
    "weak": "Weak segments",
    "continuum": "A continuum, not segments",
}


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

    Attributes: ``labels`` (segment 1..k by respondent id; with a continuum the
    levels 1 = lower, 2 = middle, 3 = upper third of the overall rating),
    ``k`` (the number of segments fitted and tested), ``choice`` (scores per k
    and the reason), ``stability``, ``silhouette``, ``null`` (the silhouettes
    of the null draws) and ``silhouette_null`` (their 95th percentile),
    ``structure`` (``"clear"``, ``"weak"`` or ``"continuum"``), ``clear``
    (True only for ``"clear"``) with ``verdict`` in words, ``profiles`` and
    ``personas`` (also ``table``; with a continuum, the levels; see
    :mod:`cxresearch.analyses.personas`), ``imputation`` (missing answers
    filled per feature), ``centre``, the fitted ``pipeline`` and the
    ``features``.
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
    structure: str
    null: NullReference
    imputation: pd.DataFrame
    centre: str | None = None
    levels: Levels | None = None
    profiles: dict = field(default_factory=dict)
    min_base: int = 30
    confidence: float = 0.95

    @property
    def table(self) -> pd.DataFrame:
        """The personas (or levels): one row per segment (name, n, share, description, NPS)."""
        return self.personas

    @property
    def k_scores(self) -> pd.DataFrame:
        return self.choice.scores

    def imputation_display(self) -> pd.DataFrame:
        """The missing answers per feature as people read them: respondents,
        answers missing, their share in % and what was done with them."""
        t = self.imputation
        shown = pd.DataFrame(index=pd.Index(t["label"], name="feature"))
        shown["respondents"] = t["respondents"].map("{:,}".format).to_numpy()
        shown["answers missing"] = t["missing"].map("{:,}".format).to_numpy()
        shown["share missing"] = [_percent(v) for v in t["share_missing"]]
        shown["filled with"] = (
            t["filled_with"]
            .map({"mean": "the item's mean", "own category": "a category of its own"})
            .fillna("left out: nobody answered")
            .to_numpy()
        )
        return shown

    @property
    def imputation_note(self) -> str:
        """One line on the answers filled with the feature's mean ("" when none)."""
        return imputation_note(self.imputation)

    def display(self) -> pd.DataFrame:
        """Persona (or level), size and description per segment; small segments suppressed."""
        p = self.personas
        shown = pd.DataFrame(index=pd.Index(p["segment"], name="segment"))
        shown["level" if self.structure == "continuum" else "persona"] = p["name"].to_numpy()
        shown["respondents"] = [
            f"{n:,} ({share:.0%})" for n, share in zip(p["n"], p["share"], strict=True)
        ]
        shown["description"] = [
            suppressed_note(n, self.min_base) if small else text
            for n, small, text in zip(p["n"], p["below_min_base"], p["description"], strict=True)
        ]
        return shown

    def findings(self, top: int = 3) -> Findings:
        """The verdict on the structure, then the largest personas (or the levels)
        in one line each: ``top`` lines in all."""
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


@memoised(parts=SURVEY_PARTS)
@dask_aware
def segment(
    study,
    *,
    features="auto",
    k="auto",
    method: str = "kmeans",
    k_range: tuple[int, int] = (2, 8),
    profile: bool = False,
    centre: str | None = None,
    n_boot: int = 20,
    random_state: int = 0,
    confidence: float = 0.95,
    sample_size: int | None = None,
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
    centre : None or "respondent"
        None (the default): segment the ratings as given. ``"respondent"``:
        segment within-respondent profiles, each touchpoint rating put on 0-1
        by its scale minus the respondent's own mean rating, which removes a
        general level (halo). Use it when the raw verdict is a continuum or
        the personas are named by level ("Rates everything lower"): it finds
        what respondents rate high or low *relative to their own average*.
        Other numeric columns (profile numbers, columns without a scale) are
        left as they are.
    n_boot : int
        Bootstrap refits for the stability estimate.
    random_state : int
        Seed of every random step: same seed, same labels.
    confidence : float
        Level of the stability interval (and of the personas' NPS intervals).
    sample_size : int, optional
        For a study read with the Dask engine: the model is fitted on a seeded
        sample of about this many respondents (default 100,000) and every
        respondent is then assigned (:mod:`cxresearch.analyses.on_dask.segments`).
        In memory every respondent is segmented and it has no effect.

    Returns
    -------
    Segmentation
    """
    if centre not in CENTRES:
        raise ValueError(f"centre must be None or 'respondent', not {centre!r}")
    numeric = feature_columns(study, features)
    if not numeric and not (profile and study.codebook.profile):
        require(study, "the segmentation", "touchpoints")
    categorical: list[str] = []
    if profile:
        for column in study.codebook.profile:
            is_number = pd.api.types.is_numeric_dtype(study.responses[column])
            if column not in numeric:
                (numeric if is_number else categorical).append(column)
    _require_respondents(study, study.n, "this study has {n}")
    data = study.responses[numeric + categorical].copy()
    data[numeric] = data[numeric].astype("float64")
    for column in categorical:
        data[column] = data[column].astype("string").fillna("(missing)").astype(object)
    notes: list[str] = []
    imputation = imputation_table(study, data, numeric, categorical)
    numeric, data = _drop_empty(study, data, numeric, categorical, notes)
    centred = _centred_columns(study, numeric, centre, notes)
    k_range = _check_variety(study, data, k, k_range, notes)
    rng = np.random.default_rng(random_state)
    sample = _sample(
        data, AGGLOMERATIVE_MAX_N if method == "agglomerative" else LARGE_N, rng, notes
    )
    small = _sample(sample, STABILITY_SAMPLE, rng, [])
    fitted = _fit(
        data, sample, small, numeric, categorical, method, k, k_range, centred, random_state
    )
    choice, model = fitted.choice, fitted.model
    stable = stability(fitted.sample_model, small, n_boot, random_state, confidence)
    real, null = fitted.silhouette, fitted.null
    if fitted.note:
        notes.append(fitted.note)
    notes.extend(_imputation_notes(imputation))
    structure = _structure(stable, real, null)
    verdict = _verdict(structure, stable, real, null, centre, imputation)
    clusters = model.predict(data)
    order = np.argsort(-np.bincount(clusters, minlength=choice.k), kind="stable")
    to_segment = {int(c): i + 1 for i, c in enumerate(order)}  # segment 1 = the largest
    ratings = [c for c in numeric if c in _feature_labels(study)] or numeric
    levels = Levels.fit(data[ratings]) if structure == "continuum" else None
    if levels is not None:  # a continuum: levels of the overall rating, not personas
        labels = levels.assign(data[ratings])
        personas, profiles = describe_levels(study, labels, numeric, levels, confidence)
    else:
        labels = pd.Series([to_segment[int(c)] for c in clusters], index=data.index, name="segment")
        personas, profiles = describe_segments(study, labels, numeric, confidence)
    return Segmentation(
        labels=labels,
        k=choice.k,
        choice=choice,
        stability=stable,
        silhouette=real,
        silhouette_null=null.upper,
        clear=structure == "clear",
        verdict=verdict,
        pipeline=model,
        features=numeric,
        profile_columns=categorical,
        method=method,
        notes=tuple(notes),
        personas=personas,
        segment_of_cluster=to_segment,
        map_points=_map_points(model, data, labels, random_state),
        structure=structure,
        null=null,
        imputation=imputation,
        centre=centre,
        levels=levels,
        profiles=profiles,
        min_base=study.codebook.min_base,
        confidence=confidence,
    )


@dataclass(frozen=True)
class _Fitted:
    """The expensive part of a segmentation, shared by every ``n_boot``: the
    k choice, the model, its silhouette and the null reference."""

    choice: Choice
    sample_model: Pipeline  # fitted on the sample (stability refits it)
    model: Pipeline  # the final model (on every respondent when they are many)
    silhouette: float
    null: NullReference
    note: str


@memoised
def _fit(
    data: pd.DataFrame,
    sample: pd.DataFrame,
    small: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    method: str,
    k,
    k_range: tuple[int, int],
    centred: list[str],
    random_state: int,
) -> _Fitted:
    """Choose k on ``sample`` (or take the analyst's), fit the model, and
    measure the silhouette on ``small`` against the Gaussian null reference."""
    base = build_pipeline(numeric, categorical, method, k_range[0], random_state, centred=centred)
    scores = score_ks(base, sample, k_range, random_state)
    choice = (
        choose_k(scores)
        if k == "auto"
        else Choice(int(k), scores, f"k = {int(k)} was set by the analyst.")
    )
    model = build_pipeline(
        numeric, categorical, method, choice.k, random_state, centred=centred
    ).fit(sample)
    z = np.asarray(model.named_steps["prepare"].transform(small), dtype="float64")
    real = silhouette(z, model.predict(small), random_state)
    null = null_silhouettes(model, small, random_state, NULL_DRAWS)
    final, note = model, ""
    if len(data) > LARGE_N and method == "kmeans":
        final = build_pipeline(
            numeric, categorical, method, choice.k, random_state, large=True, centred=centred
        )
        final.fit(data)
        note = f"final model: MiniBatchKMeans fitted on all {len(data):,} respondents"
    return _Fitted(choice, model, final, real, null, note)


def _require_respondents(study, n: int, words: str) -> None:
    if n < MIN_SEGMENT_RESPONDENTS:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                f"the segmentation needs at least {MIN_SEGMENT_RESPONDENTS} respondents; "
                + words.format(n=n),
            )
        )


def imputation_table(
    study, data: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> pd.DataFrame:
    """Per feature: respondents, answers missing, their share, and what was done
    with them (``"mean"``: filled with the feature's mean; ``"own category"``:
    a profile category of its own; ``"dropped"``: nobody answered, the feature
    is left out)."""
    labels = _feature_labels(study)
    rows = []
    for column in numeric + categorical:
        values = study.responses[column]
        missing = int(values.isna().sum())
        filled = "own category" if column in categorical else "mean"
        rows.append(
            {
                "feature": column,
                "label": labels.get(column, column),
                "respondents": len(values),
                "missing": missing,
                "share_missing": missing / len(values) if len(values) else np.nan,
                "filled_with": "dropped" if missing == len(values) else filled,
            }
        )
    columns = ["feature", "label", "respondents", "missing", "share_missing", "filled_with"]
    return pd.DataFrame(rows, columns=columns)


def _feature_labels(study) -> dict[str, str]:
    """column -> e.g. "Website (experience)"."""
    return {
        getattr(tp, kind).column: f"{tp.label} ({kind})"
        for tp in study.codebook.touchpoints
        for kind in ("expectation", "experience", "emotion")
        if getattr(tp, kind) is not None
    }


def _filled(imputation: pd.DataFrame) -> pd.DataFrame:
    return imputation[(imputation["filled_with"] == "mean") & (imputation["missing"] > 0)]


def imputation_note(imputation: pd.DataFrame) -> str:
    """One line on the answers filled with the feature's mean ("" when none)."""
    filled = _filled(imputation)
    if filled.empty:
        return ""
    top = filled.nlargest(3, "share_missing")
    named = ", ".join(f"{r.label} {_percent(r.share_missing)}" for r in top.itertuples())
    means = imputation[imputation["filled_with"] == "mean"]
    return (
        f"Missing answers filled with the feature's mean (mean imputation) in {len(filled)} of "
        f"{len(means)} features, on average {_percent(means['share_missing'].mean())} of answers "
        f"per feature; most: {named} (the table of missing answers lists every feature)."
    )


def _percent(share: float) -> str:
    return "under 1%" if 0 < share < 0.005 else f"{share:.0%}"


def _imputation_notes(imputation: pd.DataFrame) -> list[str]:
    notes = [imputation_note(imputation)] if len(_filled(imputation)) else []
    dropped = imputation[imputation["filled_with"] == "dropped"]
    if len(dropped):
        notes.append(
            f"left out because nobody answered them: {', '.join(dropped['label'])} "
            f"({len(dropped)} of {len(imputation)} features)"
        )
    return notes


def _drop_empty(study, data, numeric, categorical, notes) -> tuple[list[str], pd.DataFrame]:
    """Leave out the numeric features nobody answered; a StudyError when nothing
    is left, or when fewer respondents than the minimum answered anything."""
    empty = [c for c in numeric if data[c].isna().all()]
    kept = [c for c in numeric if c not in empty]
    if not kept and not categorical:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                "the segmentation has nothing to segment on: nobody answered any of its "
                f"features ({', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''})",
                column=empty[0] if empty else None,
            )
        )
    answered = int(data[kept].notna().any(axis=1).sum()) if kept else study.n
    _require_respondents(study, answered, "only {n} answered any of its features")
    if answered < len(data):
        notes.append(
            f"{len(data) - answered:,} respondents answered none of the features: they are "
            "placed at the average and join the nearest segment"
        )
    return kept, data.drop(columns=empty)


def _centred_columns(study, numeric, centre, notes) -> dict[str, tuple[float, float]] | None:
    """The rating columns to centre per respondent with their scales."""
    if centre is None:
        return None
    scales = {}
    for tp in study.codebook.touchpoints:
        for kind in ("expectation", "experience", "emotion"):
            item = getattr(tp, kind)
            if item is not None and item.column in numeric and hasattr(item, "scale"):
                scales[item.column] = (float(item.scale.low), float(item.scale.high))
    if len(scales) < 2:
        raise StudyError(
            Problem(
                str(study.codebook.path),
                "centre='respondent' compares each rating with the respondent's own mean "
                "rating and needs at least two touchpoint ratings among the features; "
                f"the segmentation has {len(scales)}",
            )
        )
    notes.append(
        f"within-respondent profiles: each of {len(scales)} ratings on 0-1 by its scale, "
        "minus the respondent's own mean rating (a general level, or halo, removed)"
    )
    others = [c for c in numeric if c not in scales]
    if others:
        notes.append(f"not centred (no rating scale): {', '.join(others)}")
    return scales


def _check_variety(study, data, k, k_range, notes) -> tuple[int, int]:
    """k needs more distinct answer patterns than segments: the range of k is
    cut to fit, and too few patterns to segment are a StudyError."""
    distinct = len(data.drop_duplicates())
    wanted = k_range[0] if k == "auto" else int(k)
    if distinct <= max(wanted, 2):
        raise StudyError(
            Problem(
                str(study.codebook.path),
                f"the segmentation needs more different answer patterns than segments: the "
                f"{len(data):,} respondents give only {distinct} different pattern(s) on "
                f"{len(data.columns)} features, too few for {wanted} segments",
            )
        )
    if k_range[1] >= distinct:
        notes.append(f"k chosen up to {distinct - 1}: only {distinct} different answer patterns")
        return (k_range[0], distinct - 1)
    return tuple(k_range)


def _structure(stable: Stability, real: float, null: NullReference) -> str:
    """``"continuum"`` when the silhouette is less than ``SEGMENT_SILHOUETTE_MARGIN``
    above the null's 95th percentile; ``"clear"`` when it is at least
    ``CLEAR_SILHOUETTE_MARGIN`` above it and the mean bootstrap ARI is at least
    ``CLEAR_STABILITY``; else ``"weak"``."""
    if not real >= null.upper + SEGMENT_SILHOUETTE_MARGIN:
        return "continuum"
    if real >= null.upper + CLEAR_SILHOUETTE_MARGIN and stable.mean >= CLEAR_STABILITY:
        return "clear"
    return "weak"


def _verdict(
    structure: str,
    stable: Stability,
    real: float,
    null: NullReference,
    centre: str | None,
    imputation: pd.DataFrame,
) -> str:
    """The verdict in words: the structure, the evidence, what to do, the caveat."""
    evidence = (
        f"silhouette {real:.3f} against {null.mean:.3f} on average over {null.draws} data "
        f"sets without segments but with the same correlations (Gaussian reference), and at "
        f"most {null.upper:.3f} in {null.below} of the {null.draws}; stability (mean adjusted "
        f"Rand index of bootstrap refits) {stable}"
    )
    if structure == "clear":
        advice = "Personas to design for."
    elif structure == "weak":
        why = (
            "stability was not measured"
            if stable.n_boot == 0
            else "refits on resampled respondents do not reliably reproduce them"
            if stable.mean < CLEAR_STABILITY
            else f"not by a margin of {CLEAR_SILHOUETTE_MARGIN}"
        )
        advice = (
            f"The segments are more distinct than in data without segments, but {why}: "
            "treat them as a convenient split, not as personas to design for."
        )
    else:
        advice = (
            "Respondents differ by degree, not by kind, most often by a general level of "
            "satisfaction (a halo): they are shown as three levels of their overall rating "
            "instead of personas."
        )
        if centre is None:
            advice += (
                " To look for segments of kind beneath the general level, segment "
                "within-respondent profiles (centre='respondent')."
            )
    text = f"{STRUCTURES[structure]}: {evidence}. {advice}"
    heavy = _filled(imputation)
    heavy = heavy[heavy["share_missing"] > IMPUTATION_CAVEAT]
    if len(heavy):
        worst = heavy.nlargest(1, "share_missing").iloc[0]
        text += (
            f" Caveat: {len(heavy)} of {len(imputation)} features had more than "
            f"{IMPUTATION_CAVEAT:.0%} of answers missing, filled with the feature's mean (most: "
            f"{worst['label']}, {worst['share_missing']:.0%}); filled answers pull respondents "
            "towards the average and can blur or fake segments."
        )
    return text


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


def assign_segments(study, segmentation: Segmentation):
    """Label the respondents of another study (e.g. a new wave) with a fitted
    segmentation: its segments, or with a continuum its levels (by the first
    study's cut points of the overall rating). For a Dask study, a lazy
    Series: each partition is labelled on its own when computed."""
    columns = segmentation.features + segmentation.profile_columns
    missing = [c for c in columns if c not in study.responses.columns]
    if missing:
        raise KeyError(f"the study lacks the segmentation's columns: {', '.join(missing)}")
    if on_dask(study):
        meta = pd.Series([], dtype="int64", name="segment")
        return study.responses.map_partitions(segment_rows, segmentation, meta=meta)
    return segment_rows(study.responses, segmentation)


def segment_rows(responses: pd.DataFrame, segmentation: Segmentation) -> pd.Series:
    """The segment (or level) of every row of ``responses`` (indexed like it)."""
    columns = segmentation.features + segmentation.profile_columns
    data = responses[columns].copy()
    data[segmentation.features] = data[segmentation.features].astype("float64")
    for column in segmentation.profile_columns:
        data[column] = data[column].astype("string").fillna("(missing)").astype(object)
    if segmentation.levels is not None:
        return segmentation.levels.assign(data[segmentation.features]).astype("int64")
    if data.empty:
        return pd.Series([], index=data.index, dtype="int64", name="segment")
    clusters = segmentation.pipeline.predict(data)
    mapping = segmentation.segment_of_cluster
    return pd.Series(
        [mapping[int(c)] for c in clusters], index=data.index, name="segment", dtype="int64"
    )
