"""Themes in customers' comments: what they write about, how often, in what
mood, and what it goes with.

Comments are lemmatised and stripped of stop-words per language
(:mod:`.language`), then coded (:mod:`.coding`) by one of:

- a topic model (default): NMF themes per language, named by their top terms,
  ``k="auto"`` chosen by stability;
- a ``codeframe``: themes with keywords in several languages, each mapped to a
  touchpoint, as market researchers code;
- hand codes (``labels``) for some comments: a classifier codes the rest and
  reports its cross-validated precision and recall per theme.

Per theme: the base (comments mentioning it), its share of all comments with a
Wilson interval (Kish's n when weighted), the sentiment mix of those comments,
example comments (contacts masked by :func:`~cxresearch.analyses.quotes.mask_contacts`),
and the outcome of respondents who mention it against those who do not, with
an interval (:func:`.comments.outcome_gap`: NPS difference of two independent
samples, or Welch for means).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...cache import SURVEY_PARTS, memoised
from ...plots import _axes, _interval_dots, literal_text
from ...results import Result
from ...tables import Findings, format_difference, suppressed_note
from .._engine import dask_aware
from ..quotes import mask_contacts
from .coding import (
    code_with_frame,
    code_with_labels,
    discover,
    mentions_from_weights,
    parse_codeframe,
)
from .comments import Comments, aligned, collect, outcome_gap, share_rows
from .language import prepare
from .sentiment import CLASSES, score_comments

EXAMPLES = 3
NAME_TERMS = 4
THEME_COLUMNS = (
    "share", "share_low", "share_high", "n", *CLASSES, "mention", "other", "gap", "gap_low",
    "gap_high", "examples",
)  # fmt: skip


def no_themes_note(content: list[str], skipped: list[str]) -> str:
    """Why no (or not every) comment could be themed, in words."""
    if not content:
        return "No comments to find themes in."
    distinct = set(content)
    words = {w for d in distinct for w in d.split()}
    head = (
        f"Too few distinct comments to find themes: {len(content):,} comments, "
        f"{len(distinct - {''}):,} distinct, {len(words):,} distinct words."
    )
    if not words:
        return f"{head} No comment has words to theme (only emoji, numbers or stop-words)."
    return " ".join([head, *(f"{s}." for s in skipped)]) if skipped else head


@dataclass(frozen=True)
class Themes(Result):
    """Result of :func:`themes`. ``table``: per theme its ``theme`` name, ``terms``,
    ``language``, ``touchpoint``, comments ``n`` mentioning it and ``share`` (%)
    with interval, the negative / neutral / positive mix (%), the outcome of
    those who mention it and of the others with the ``gap`` and its interval,
    cross-validated ``precision`` and ``recall`` (hand codes only) and
    ``examples``. ``mentions``: comments x themes (bool). ``comments``: per
    comment respondent, language, sentiment, primary ``theme``. ``method``:
    nmf, codeframe or labels; ``k_scores``: stability per language and k."""

    table: pd.DataFrame
    mentions: pd.DataFrame
    comments: pd.DataFrame
    documents: tuple[str, ...]
    method: str
    outcome: str | None
    k_scores: dict
    min_base: int
    confidence: float = 0.95
    weighted: bool = False
    note: str = ""
    outcome_unit: str = ""  # "% points" for a yes/no outcome, else the scale's points

    def display(self) -> pd.DataFrame:
        t = self.table
        if t.empty:
            return pd.DataFrame({"themes": [self.note or "No themes."]})
        shown = pd.DataFrame(index=pd.Index(t["theme"], name="theme"))
        shown["touchpoint"] = t["touchpoint"].fillna("").to_numpy()
        small = t["n"].to_numpy() < self.min_base
        shown[f"share % [{self.interval}]"] = [
            f"{v:.1f} [{lo:.1f}, {hi:.1f}] n={n:,}"
            for v, lo, hi, n in zip(
                t["share"], t["share_low"], t["share_high"], t["n"], strict=True
            )
        ]
        shown["negative / neutral / positive %"] = [
            f"{a:.0f} / {b:.0f} / {c:.0f}"
            for a, b, c in zip(t["negative"], t["neutral"], t["positive"], strict=True)
        ]
        if self.outcome:
            shown[f"{self.outcome_title}: mention - not [{self.interval}]"] = [
                format_difference(g, lo, hi)
                for g, lo, hi in zip(t["gap"], t["gap_low"], t["gap_high"], strict=True)
            ]
        if "precision" in t:
            shown["precision / recall (cv)"] = [
                f"{p:.2f} / {r:.2f}" for p, r in zip(t["precision"], t["recall"], strict=True)
            ]
        shown["example"] = [e[0] if e else "" for e in t["examples"]]
        for column in shown.columns[1:]:
            shown.loc[small, column] = [suppressed_note(n, self.min_base) for n in t["n"][small]]
        return shown

    @property
    def outcome_title(self) -> str:
        """The outcome as reports name it ("NPS", "CSAT", "Retained")."""
        known = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
        name = self.outcome or ""
        return known.get(name, name.replace("_", " ").capitalize())

    def findings(self, top: int = 3) -> Findings:
        """The most mentioned themes with their share, mood and outcome gap."""
        if self.table.empty:
            return Findings((), self.note or "No themes.")
        t = self.table[self.table["n"] >= self.min_base]
        lines = []
        for r in t.nlargest(top, "share").itertuples():
            line = (
                f"'{r.theme}': {r.share:.0f}% of comments [{r.share_low:.0f}, {r.share_high:.0f}] "
                f"(n={r.n:,}), {r.negative:.0f}% of them negative"
            )
            if self.outcome and not np.isnan(r.gap):
                line += (
                    f"; {self.outcome_title} {format_difference(r.gap, r.gap_low, r.gap_high)}"
                    f"{' ' + self.outcome_unit if self.outcome_unit else ''} against the others"
                )
            lines.append(line + ".")
        return Findings(
            tuple(lines), self.note if t.empty and self.note else "No theme has enough comments."
        )

    def quotes(self, top: int = 2) -> Findings:
        """One example comment (contacts masked) of each of the ``top`` most
        mentioned themes with a base of at least the minimum."""
        t = self.table[self.table["n"] >= self.min_base] if len(self.table) else self.table
        lines = [
            f"“{r.examples[0]}” ({r.theme}, {r.share:.0f}% of comments)"
            for r in t.nlargest(top, "share").itertuples()
            if r.examples
        ] if len(t) else []  # fmt: skip
        return Findings(tuple(lines), self.note or "No theme has enough comments to quote.")

    def caption(self) -> str:
        how = {
            "nmf": "themes found by NMF topic model per language (named by top terms)",
            "codeframe": "themes coded with the codeframe's keywords",
            "labels": "themes coded by a classifier trained on hand codes (precision and recall "
            "cross-validated)",
        }[self.method]
        line = f"{how.capitalize()}; shares with Wilson {self.interval}s; contacts masked."
        return f"{line} {self.note}" if self.note else line

    @literal_text
    def plot(self, ax=None):
        """Every theme's share of comments with its interval."""
        t = self.table.sort_values("share", ascending=False).head(25).reset_index(drop=True)
        if t.empty:
            ax = _axes(ax, height=1.5)
            ax.text(0.5, 0.5, self.note or "No themes.", ha="center", va="center", wrap=True)
            ax.set_axis_off()
            return ax
        labels = [f"{name} (n={n:,})" for name, n in zip(t["theme"], t["n"], strict=True)]
        ax = _axes(ax, height=max(2.0, 0.4 * len(t) + 1))
        _interval_dots(
            ax, labels, t["share"], t["share_low"], t["share_high"],
            t["n"] >= self.min_base, None, self.min_base,
        )  # fmt: skip
        ax.set_xlabel(f"share of comments, % ({self.interval}s)")
        ax.set_title("What customers write about")
        return ax


def codebook_codeframe(study) -> dict | None:
    """The codebook's ``codeframe:`` as :func:`.coding.parse_codeframe` takes
    it ({theme: {keywords, touchpoint}}); None for texts or a codebook without one."""
    declared = getattr(getattr(study, "codebook", None), "codeframe", ())
    if not declared:
        return None
    return {t.theme: {"keywords": list(t.keywords), "touchpoint": t.touchpoint} for t in declared}


def _respondent_gap(comments: Comments, mention: np.ndarray, confidence: float) -> dict:
    """Outcome gap at respondent level: mentioned the theme in any comment or not."""
    frame = comments.frame
    per = (
        pd.DataFrame({"respondent": frame["respondent"].to_numpy(), "mention": mention})
        .groupby("respondent", sort=False)["mention"]
        .any()
    )
    first = frame.drop_duplicates("respondent").set_index("respondent")
    values = first["outcome"].reindex(per.index).to_numpy(dtype=float)
    weights = first["weight"].reindex(per.index).to_numpy(dtype=float)
    return outcome_gap(values, per.to_numpy(), weights, comments.is_nps, confidence)


def _examples(texts: list[str], rows: np.ndarray, order: np.ndarray) -> list[str]:
    picked = rows[np.argsort(-order[rows], kind="stable")][:EXAMPLES]
    return [mask_contacts(texts[i]) for i in picked]


def theme_table(comments, mentions, names, extra, sentiment_labels, order, confidence):
    """One row a theme: share, sentiment mix, outcome gap, examples."""
    w = comments.frame["weight"].to_numpy(dtype=float)
    texts = comments.texts
    rows = []
    for j, name in enumerate(names):
        m = mentions[:, j]
        row = {"theme": name, **{k: v[j] for k, v in extra.items()}}
        share = share_rows({"share": m.astype(float)}, w, confidence)
        row.update({k: share[k] for k in ("share", "share_low", "share_high")})
        row["n"] = int(m.sum())
        inside = sentiment_labels[m]
        for part in CLASSES:
            row[part] = 100 * float(np.mean(inside == part)) if len(inside) else np.nan
        gap = _respondent_gap(comments, m, confidence)
        row.update({k: gap[k] for k in ("mention", "other", "gap", "gap_low", "gap_high")})
        row["examples"] = _examples(texts, np.flatnonzero(m), order[:, j])
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["theme", *extra, *THEME_COLUMNS])
    return pd.DataFrame(rows)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


@memoised(parts=SURVEY_PARTS)
@dask_aware
def themes(
    study,
    *,
    k="auto",
    codeframe=None,
    labels=None,
    language: str = "auto",
    random_state: int = 0,
    outcome: str | None = None,
    segments=None,
    weighted: bool = True,
    sentiment=None,
    confidence: float = 0.95,
) -> Themes:
    """Themes of a study's comments (or of a list of texts): found by a topic
    model (``k`` themes per language, ``"auto"`` by stability), coded by a
    ``codeframe`` ({theme: {keywords: [...], touchpoint: id}}), or by a
    classifier trained on hand codes (``labels``: one theme name, a list of
    names or ``"a; b"`` per comment, None where uncoded). ``sentiment``: a
    :class:`~.sentiment.Sentiment` of the same comments (else one is computed:
    from the study's outcome as ratings, or the lexicon). A study whose
    codebook declares a ``codeframe:`` is coded by it unless ``codeframe`` or
    ``labels`` is given."""
    if codeframe is None and labels is None:
        codeframe = codebook_codeframe(study)
    comments = collect(study, outcome=outcome, segments=segments, weighted=weighted)
    if sentiment is None:
        scored, prepared, _ = score_comments(
            study, comments, labels=None, ratings=None, language=language,
            random_state=random_state,
        )  # fmt: skip
    else:
        scored, prepared = sentiment.comments, prepare(comments.texts, language)
    n = len(comments.frame)
    extra: dict[str, list] = {}
    if labels is not None:
        coded = code_with_labels(prepared.lemmas, aligned(labels, comments, "labels"), random_state)
        mentions, names, method = coded["mentions"], coded["names"], "labels"
        order = mentions.astype(float)
        extra = {"precision": list(coded["precision"]), "recall": list(coded["recall"])}
    elif codeframe is not None:
        frame = parse_codeframe(codeframe)
        mentions = code_with_frame(comments.texts, prepared.lemmas, frame)
        names, method, order = [t["name"] for t in frame], "codeframe", mentions.astype(float)
        extra = {"touchpoint": [t["touchpoint"] for t in frame]}
    else:
        found = discover(prepared.content, prepared.language, k, random_state)
        mentions, order, method = mentions_from_weights(found["weights"]), found["weights"], "nmf"
        names = _unique([" · ".join(t[:NAME_TERMS]) for t in found["terms"]])
        extra = {"terms": [", ".join(t) for t in found["terms"]], "language": found["language"]}
    extra.setdefault("touchpoint", [None] * len(names))
    if method == "nmf":  # a theme no comment mentions (a fitted theme too weak): dropped
        used = mentions.any(axis=0)
        mentions, order, names = mentions[:, used], order[:, used], list(np.array(names)[used])
        extra = {key: list(np.array(v, dtype=object)[used]) for key, v in extra.items()}
    note = ""
    if method == "nmf" and (found["skipped"] or not names):
        note = (
            no_themes_note(list(prepared.content), found["skipped"])
            if not names
            else "Not themed: " + "; ".join(found["skipped"]) + "."
        )
    labels_now = scored["sentiment"].to_numpy()
    table = theme_table(comments, mentions, names, extra, labels_now, order, confidence)
    primary = np.where(mentions.any(axis=1), order.argmax(axis=1) if len(names) else 0, -1)
    per_comment = scored[["respondent", "column", "touchpoint", "language", "sentiment"]].copy()
    per_comment["theme"] = [names[i] if i >= 0 else None for i in primary]
    return Themes(
        table,
        pd.DataFrame(mentions, columns=names),
        per_comment,
        tuple(prepared.content) if n else (),
        method,
        comments.outcome,
        found["scores"] if method == "nmf" else {},
        comments.min_base,
        confidence,
        comments.weighted,
        note,
        "% points" if comments.is_yes_no else "",
    )
