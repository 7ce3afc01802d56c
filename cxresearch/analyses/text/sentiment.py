"""Sentiment of customers' comments: one label a comment, and shares by group.

Each comment gets negative, neutral or positive, and its language. The label
comes from the best evidence there is, and the result says which was used:

``labels``
    hand labels for some comments: the labelled comments keep them; a text
    classifier (:mod:`.models`) trained on them labels the rest, and its
    stratified 5-fold cross-validated macro-F1 and confusion table against the
    hand labels are part of the result;
``ratings``
    no labels, but each comment's own score (NPS, CSAT, stars): the score's
    band (NPS 0-6 / 7-8 / 9-10; other scales the lower 40%, middle, upper 40%
    of the scale) trains the classifier, each rated comment is labelled by the
    model of the folds that did not see it, and the rest by the model of all;
    the macro-F1 then measures how well the words agree with the score;
``lexicon``
    neither: the small five-language lexicon of :mod:`.lexicon`.

Shares of each label overall and by brand, touchpoint, segment and wave are
weighted by the survey weights where the study has them, with Wilson
intervals on Kish's effective n (Kish 1965); groups under the study's minimum
base are suppressed in the people's table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...cache import SURVEY_PARTS, memoised
from ...errors import Problem, StudyError
from ...plots import _axes, _interval_dots, literal_text
from ...results import Result
from ...tables import Findings, suppressed_note
from .._engine import dask_aware
from .comments import Comments, aligned, collect, share_rows, study_column
from .language import prepare
from .lexicon import lexicon_labels
from .models import capped, confusion, cross_validated, macro_f1, text_model

CLASSES = ("negative", "neutral", "positive")
LABEL_WORDS = {
    "negative": "negative", "neg": "negative", "-1": "negative", "bad": "negative",
    "neutral": "neutral", "neu": "neutral", "0": "neutral", "mixed": "neutral",
    "positive": "positive", "pos": "positive", "1": "positive", "good": "positive",
}  # fmt: skip
MIN_LABELS = 20
LOW_BAND, HIGH_BAND = 0.4, 0.6


@dataclass(frozen=True)
class Sentiment(Result):
    """Result of :func:`sentiment`. ``table``: per dimension (``all``, ``brand``,
    ``touchpoint``, ``segment``, ``wave``) and group, comments ``n``, ``n_eff``
    and the negative, neutral and positive shares (%) with intervals.
    ``comments``: per comment its respondent, column, touchpoint, language,
    ``sentiment``, ``source`` (label, model or lexicon) and the class
    probabilities (``p_negative`` ...; the lexicon gives 1 or 0). ``method``:
    labels, ratings or lexicon; ``macro_f1``, ``confusion`` and ``folds``:
    the cross-validation (None with the lexicon)."""

    table: pd.DataFrame
    comments: pd.DataFrame
    method: str
    macro_f1: float | None
    confusion: pd.DataFrame | None
    folds: int | None
    min_base: int
    confidence: float = 0.95
    weighted: bool = False

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.MultiIndex.from_frame(t[["dimension", "group"]]))
        for part in CLASSES:
            shown[f"{part} % [{self.interval}]"] = [
                suppressed_note(n, self.min_base)
                if n < self.min_base
                else f"{v:.1f} [{lo:.1f}, {hi:.1f}]"
                for v, lo, hi, n in zip(
                    t[part], t[f"{part}_low"], t[f"{part}_high"], t["n"], strict=True
                )
            ]
        shown["comments"] = t["n"].map("{:,}".format).to_numpy()
        return shown

    def describe_method(self) -> str:
        """How the labels were made, in words."""
        if self.method == "lexicon":
            return "Labels from the five-language lexicon (no hand labels, no ratings)."
        against = "hand labels" if self.method == "labels" else "the comments' own score bands"
        return (
            f"Labels from a text classifier trained on {against}; {self.folds}-fold "
            f"cross-validated macro-F1 {self.macro_f1:.2f}."
        )

    def findings(self, top: int = 3) -> Findings:
        """The overall split, the method, and the groups with the most negative comments."""
        t = self.table
        overall = t[t["dimension"] == "all"].iloc[0]
        if overall["n"] < self.min_base:
            return Findings((), f"Too few comments to report (n={int(overall['n'])}).")
        lines = [
            f"{overall['negative']:.0f}% of {int(overall['n']):,} comments are negative "
            f"[{overall['negative_low']:.0f}, {overall['negative_high']:.0f}], "
            f"{overall['positive']:.0f}% positive. {self.describe_method()}"
        ]
        groups = t[(t["dimension"] != "all") & (t["n"] >= self.min_base)]
        for r in groups.nlargest(max(top - 1, 0), "negative").itertuples():
            lines.append(
                f"{r.dimension} {r.group}: {r.negative:.0f}% negative "
                f"[{r.negative_low:.0f}, {r.negative_high:.0f}] of {r.n:,} comments."
            )
        return Findings(tuple(lines[:top]), "No comments.")

    def caption(self) -> str:
        weighting = "weighted (Kish effective n)" if self.weighted else "unweighted"
        return f"Share of comments [Wilson {self.interval}]; {weighting}. {self.describe_method()}"

    @literal_text
    def plot(self, ax=None):
        """The negative share of every group with its interval."""
        t = self.table.reset_index(drop=True)
        labels = [
            f"{d}: {g} (n={n:,})"
            for d, g, n in zip(t["dimension"], t["group"], t["n"], strict=True)
        ]
        ax = _axes(ax, height=max(2.0, 0.4 * len(t) + 1))
        value = t["negative"].to_numpy(float)
        low = np.minimum(t["negative_low"].to_numpy(float), value)  # float noise at 0% / 100%
        high = np.maximum(t["negative_high"].to_numpy(float), value)
        _interval_dots(
            ax, labels, value, low, high, t["n"] >= self.min_base, None, self.min_base,
        )  # fmt: skip
        ax.set_xlabel(f"negative comments, % ({self.interval}s)")
        ax.set_title("Negative comments by group")
        return ax


def normalise_labels(values: np.ndarray, negative=(), positive=()) -> np.ndarray:
    """Hand labels as negative / neutral / positive (None where unlabelled)."""
    out = np.full(len(values), None, dtype=object)
    unknown = set()
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            continue
        text = str(v).strip()
        if text in negative:
            out[i] = "negative"
        elif text in positive:
            out[i] = "positive"
        elif text.lower().removesuffix(".0") in LABEL_WORDS:
            out[i] = LABEL_WORDS[text.lower().removesuffix(".0")]
        elif text:
            unknown.add(text)
    if unknown:
        raise ValueError(
            f"labels must be negative, neutral or positive; found {', '.join(sorted(unknown)[:5])}"
        )
    return out


def rating_bands(values: np.ndarray, scale, is_nps: bool) -> np.ndarray:
    """Scores as negative / neutral / positive: NPS 0-6 / 7-8 / 9-10, other
    scales the lower 40%, the middle and the upper 40% of the scale's range."""
    x = np.asarray(values, dtype=float)
    out = np.full(len(x), None, dtype=object)
    ok = ~np.isnan(x)
    if is_nps:
        out[ok] = np.where(x[ok] <= 6, "negative", np.where(x[ok] >= 9, "positive", "neutral"))
        return out
    low, high = (scale.low, scale.high) if scale is not None else (np.nanmin(x), np.nanmax(x))
    share = (x[ok] - low) / max(high - low, 1e-12)
    out[ok] = np.where(
        share < LOW_BAND, "negative", np.where(share > HIGH_BAND, "positive", "neutral")
    )
    return out


def _labels_of(study_or_texts, comments: Comments, labels) -> np.ndarray | None:
    """Hand labels per comment: ``labels=``, else a study's ``feedback: sentiment``
    column (the labels the reviews or posts came with), else None."""
    spec = getattr(getattr(study_or_texts, "codebook", None), "feedback", None)
    if labels is None and spec is not None and spec.sentiment:
        labels = spec.sentiment
    if labels is None:
        return None
    if isinstance(labels, str):
        values = study_column(study_or_texts, labels, comments, "labels")
        if spec is not None and labels == spec.sentiment:
            return normalise_labels(values, spec.negative, spec.positive)
        return normalise_labels(values)
    return normalise_labels(aligned(labels, comments, "labels"))


def _ratings_of(study_or_texts, comments: Comments, ratings) -> np.ndarray | None:
    if ratings is False:
        return None
    if ratings is None:
        if comments.outcome is None:
            return None
        return rating_bands(comments.frame["outcome"].to_numpy(), comments.scale, comments.is_nps)
    if isinstance(ratings, str):
        cb = study_or_texts.codebook
        item = cb.outcomes.get(ratings)
        column = item.column if item is not None else ratings
        values = study_column(study_or_texts, column, comments, "ratings")
        scale = getattr(item, "scale", None)
        return rating_bands(values.astype(float), scale, ratings == "nps")
    values = np.asarray(aligned(ratings, comments, "ratings"), dtype=float)
    return rating_bands(values, None, False)


def _too_few(comments: Comments, what: str, known: np.ndarray) -> StudyError:
    counts = pd.Series(known).value_counts().to_dict()
    return StudyError(
        [
            Problem(
                comments.path,
                f"sentiment needs at least {MIN_LABELS} {what} in two classes or more, "
                f"each with 2 comments or more; found {counts or 'none'}",
            )
        ]
    )


def learn(docs: list[str], known: np.ndarray, random_state: int) -> dict:
    """Cross-validate on the known labels, then label every comment: known ones
    by their out-of-fold prediction's model (kept only for the evaluation),
    unknown ones by a model fitted on (at most TRAIN_CAP of) all known ones."""
    has = np.flatnonzero(known != None)  # noqa: E711 - object array of labels or None
    train = capped(has, random_state)
    y = known[train].astype(str)
    predicted, proba_cv, folds = cross_validated([docs[i] for i in train], y, random_state)
    classes = np.unique(y)
    model = text_model(random_state).fit([docs[i] for i in train], y)
    proba = np.zeros((len(docs), len(classes)))
    rest = np.setdiff1d(np.arange(len(docs)), train)
    if len(rest):
        proba[rest] = model.predict_proba(np.asarray(docs, dtype=object)[rest])
    proba[train] = proba_cv
    return {
        "proba": proba,
        "classes": classes,
        "macro_f1": macro_f1(y, predicted),
        "confusion": confusion(y, predicted, [c for c in CLASSES if c in classes]),
        "folds": folds,
    }


def _enough(known: np.ndarray) -> bool:
    counts = pd.Series(known[known != None]).value_counts()  # noqa: E711
    return counts.sum() >= MIN_LABELS and len(counts) >= 2 and counts.min() >= 2


def score_comments(study_or_texts, comments: Comments, *, labels, ratings, language, random_state):
    """Every comment's language, label, source and class probabilities, and the method."""
    prepared = prepare(comments.texts, language)
    frame = comments.frame[["respondent", "column", "touchpoint"]].copy()
    frame["language"] = prepared.language
    frame["language_confidence"] = prepared.confidence
    hand = _labels_of(study_or_texts, comments, labels)
    bands = _ratings_of(study_or_texts, comments, ratings) if hand is None else None
    known, method = (hand, "labels") if hand is not None else (bands, "ratings")
    if known is not None and not _enough(known):
        if hand is not None:
            raise _too_few(comments, "hand labels", known)
        known = None
    if known is None:
        label, score = lexicon_labels(prepared.lemmas, prepared.language)
        for part in CLASSES:
            frame[f"p_{part}"] = (label == part).astype(float)
        frame["sentiment"], frame["source"] = label, "lexicon"
        frame["lexicon_score"] = score
        return (
            frame,
            prepared,
            {"method": "lexicon", "macro_f1": None, "confusion": None, "folds": None},
        )
    fit = learn(prepared.lemmas, known, random_state)
    for part in CLASSES:
        where = np.flatnonzero(fit["classes"] == part)
        frame[f"p_{part}"] = fit["proba"][:, where[0]] if len(where) else 0.0
    label = fit["classes"][fit["proba"].argmax(axis=1)].astype(object)
    if method == "labels":
        has = known != None  # noqa: E711
        label[has] = known[has]
        frame["source"] = np.where(has, "label", "model")
    else:
        frame["source"] = "model"
    frame["sentiment"] = label
    return (
        frame,
        prepared,
        {"method": method, **{k: fit[k] for k in ("macro_f1", "confusion", "folds")}},
    )


def shares_by_group(comments: Comments, labels: np.ndarray, confidence: float) -> pd.DataFrame:
    """Negative, neutral and positive shares overall and by each dimension's group."""
    frame = comments.frame
    w = frame["weight"].to_numpy(dtype=float)
    flags = {part: (labels == part).astype(float) for part in CLASSES}
    rows = [{"dimension": "all", "group": "all", **share_rows(flags, w, confidence)}]
    for dim in comments.dimensions:
        values = frame[dim].astype("string").fillna("(missing)")
        for group in sorted(values.unique()):
            inside = (values == group).to_numpy()
            part = {k: v[inside] for k, v in flags.items()}
            rows.append(
                {"dimension": dim, "group": group, **share_rows(part, w[inside], confidence)}
            )
    table = pd.DataFrame(rows)
    return table.astype({"n": int})


@memoised(parts=SURVEY_PARTS)
@dask_aware
def sentiment(
    study,
    *,
    labels=None,
    ratings=None,
    language: str = "auto",
    random_state: int = 0,
    outcome: str | None = None,
    segments=None,
    weighted: bool = True,
    confidence: float = 0.95,
) -> Sentiment:
    """One sentiment label a comment (negative / neutral / positive), with its
    language, and the shares by brand, touchpoint, segment and wave.

    ``study``: a Study (its ``text:`` columns and ``feedback.text``) or
    a list or Series of strings. ``labels``: hand labels for some comments (a
    study column name, a Series by respondent id, or a sequence as long as the
    comments with None where unlabelled). ``ratings``: None uses the study's
    outcome (``outcome=`` or the default one) as each comment's score, False
    uses none; or an outcome or column name, or a sequence of scores.
    ``language``: ``"auto"`` (per comment) or one code of ``pl ru bg ro en``.
    """
    comments = collect(study, outcome=outcome, segments=segments, weighted=weighted)
    frame, _, fit = score_comments(
        study, comments, labels=labels, ratings=ratings, language=language,
        random_state=random_state,
    )  # fmt: skip
    table = shares_by_group(comments, frame["sentiment"].to_numpy(), confidence)
    return Sentiment(
        table, frame, fit["method"], fit["macro_f1"], fit["confusion"], fit["folds"],
        comments.min_base, confidence, comments.weighted,
    )  # fmt: skip
