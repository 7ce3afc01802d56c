"""Which themes move the outcome, and what detractors say that promoters don't.

Per theme (from :func:`~.themes.themes`): the outcome of respondents who
mention it minus the others' with its interval, and Johnson's relative weights
(:func:`cxresearch.importance.relative_weights`) of the theme indicators
(respondent mentions the theme: 1/0) in a regression of the outcome, as the
share of the explained variance each theme carries, with a percentile
bootstrap interval (:data:`BOOTSTRAP` resamples of respondents, at most
:data:`BOOTSTRAP_CAP` of them, seeded).

Words: weighted log-odds with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, "Fightin' Words", Political Analysis 16(4), eq. 16-22)
between the comments of group a (detractors: NPS 0-6, or the lower 40% of
another scale) and group b (promoters: 9-10, or the upper 40%)::

    delta_i = log((y_ia + a_i) / (n_a + a0 - y_ia - a_i))
            - log((y_ib + a_i) / (n_b + a0 - y_ib - a_i))
    var(delta_i) ~ 1 / (y_ia + a_i) + 1 / (y_ib + a_i)
    z_i = delta_i / sqrt(var(delta_i))

with ``y`` the word counts (content lemmas), ``n`` the groups' word totals
and the prior ``a_i = a0 * pi_i``, ``pi_i`` the word's share of all words of
all comments, ``a0`` = :data:`PRIOR` (a prior of a thousand words: rare
words shrink to no difference). Words with ``|z| > 1.96`` differ beyond
chance at the 5% level (each word on its own).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...cache import SURVEY_PARTS, memoised
from ...importance import relative_weights, weighted_correlation
from ...plots import _axes, _interval_dots, literal_text
from ...results import Result
from ...stats import z_value
from ...tables import Findings, format_difference, suppressed_note
from .._engine import dask_aware
from .comments import collect
from .sentiment import HIGH_BAND, LOW_BAND
from .themes import Themes, themes

PRIOR = 1000.0
BOOTSTRAP = 200
BOOTSTRAP_CAP = 20_000
TOP_WORDS = 10


def fightin_words(
    docs_a: list[str], docs_b: list[str], prior: float = PRIOR, background: list[str] | None = None
) -> pd.DataFrame:
    """Monroe et al.'s weighted log-odds (eq. 16-22) of every word, group a vs b:
    counts, ``delta``, ``se`` and ``z`` (positive: more typical of a), sorted by z."""
    count_a = Counter(w for d in docs_a for w in d.split())
    count_b = Counter(w for d in docs_b for w in d.split())
    every = Counter(
        w for d in (background if background is not None else docs_a + docs_b) for w in d.split()
    )
    vocab = sorted(set(count_a) | set(count_b))
    if not vocab:
        return pd.DataFrame(columns=["word", "count_a", "count_b", "delta", "se", "z"])
    total = sum(every[w] for w in vocab)
    a = np.array([prior * every[w] / total for w in vocab])
    ya = np.array([count_a[w] for w in vocab], dtype=float)
    yb = np.array([count_b[w] for w in vocab], dtype=float)
    na, nb, a0 = ya.sum(), yb.sum(), a.sum()
    delta = np.log((ya + a) / (na + a0 - ya - a)) - np.log((yb + a) / (nb + a0 - yb - a))
    se = np.sqrt(1 / (ya + a) + 1 / (yb + a))
    table = pd.DataFrame(
        {"word": vocab, "count_a": ya.astype(int), "count_b": yb.astype(int), "delta": delta,
         "se": se, "z": delta / se}
    )  # fmt: skip
    return table.sort_values("z", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class ThemeDrivers(Result):
    """Result of :func:`theme_drivers`. ``table``: per theme its comments ``n``,
    the outcome ``gap`` (mention - not) with interval, and its relative weight
    (% of R^2) with bootstrap interval. ``words``: the fightin' words table
    (``side``: which group says it more). ``r2``: the themes' R^2."""

    table: pd.DataFrame
    words: pd.DataFrame
    outcome: str | None
    groups: tuple[str, str]
    r2: float
    min_base: int
    confidence: float = 0.95
    group_sizes: tuple[int, int] = (0, 0)

    def display(self) -> pd.DataFrame:
        t = self.table
        shown = pd.DataFrame(index=pd.Index(t["theme"], name="theme"))
        shown[f"{self.outcome}: mention - not [{self.interval}]"] = [
            suppressed_note(n, self.min_base) if n < self.min_base else format_difference(g, lo, hi)
            for g, lo, hi, n in zip(t["gap"], t["gap_low"], t["gap_high"], t["n"], strict=True)
        ]
        shown[f"relative weight, % of R² [{self.interval}]"] = [
            f"{w:.1f} [{lo:.1f}, {hi:.1f}]"
            for w, lo, hi in zip(t["weight"], t["weight_low"], t["weight_high"], strict=True)
        ]
        shown["comments"] = t["n"].map("{:,}".format).to_numpy()
        return shown

    def findings(self, top: int = 3) -> Findings:
        """The themes that go with the largest outcome drop, and the words that set
        detractors apart, in words."""
        lines = list(self.lowering(top).lines)
        a, b = self.groups
        said = self.words[(self.words["side"] == a)].head(5)
        if len(said):
            words = ", ".join(f"'{w}'" for w in said["word"])
            lines.append(f"{a.capitalize()} say {words} far more often than {b}.")
        return Findings(tuple(lines[:top]), "No theme goes with a lower outcome beyond chance.")

    def lowering(self, top: int = 3) -> Findings:
        """The themes whose mention goes with a lower outcome beyond chance, worst first."""
        t = self.table[(self.table["n"] >= self.min_base) & (self.table["gap_high"] < 0)]
        lines = [
            f"Who mentions '{r.theme}' has {self.outcome} "
            f"{format_difference(r.gap, r.gap_low, r.gap_high)} points against the others "
            f"(n={r.n:,})."
            for r in t.nsmallest(top, "gap").itertuples()
        ]
        return Findings(tuple(lines), "No theme goes with a lower outcome beyond chance.")

    def vocabulary(self, top: int = 8) -> Findings:
        """What each group says more often than the other, in words: the words
        whose weighted log-odds differ beyond chance, with their counts."""
        a, b = self.groups
        sizes = dict(zip(self.groups, self.group_sizes, strict=True))
        if min(self.group_sizes) < self.min_base:
            return Findings(
                (),
                f"Too few comments to compare {a} (n={sizes[a]:,}) with {b} (n={sizes[b]:,}); "
                f"at least {self.min_base} each are needed.",
            )
        lines = []
        for side, other, mine, theirs in (
            (a, b, "count_a", "count_b"),
            (b, a, "count_b", "count_a"),
        ):
            said = self.words[self.words["side"] == side].head(top)
            if len(said):
                listed = ", ".join(
                    f"'{r.word}' ({getattr(r, mine):,} vs {getattr(r, theirs):,})"
                    for r in said.itertuples()
                )
                lines.append(
                    f"{side.capitalize()} (n={sizes[side]:,} comments) write {listed} more "
                    f"often than {other} (n={sizes[other]:,})."
                )
        return Findings(
            tuple(lines),
            f"No word sets {a} apart from {b} beyond chance "
            f"({a}: n={sizes[a]:,}, {b}: n={sizes[b]:,} comments).",
        )

    def caption(self) -> str:
        return (
            f"Outcome gap with {self.interval}s; Johnson's relative weights of the theme "
            f"indicators (R²={self.r2:.2f}) with percentile bootstrap {self.interval}s."
        )

    @literal_text
    def plot(self, ax=None):
        """Each theme's outcome gap with its interval."""
        t = self.table.sort_values("gap").reset_index(drop=True)
        labels = [f"{name} (n={n:,})" for name, n in zip(t["theme"], t["n"], strict=True)]
        ax = _axes(ax, height=max(2.0, 0.4 * len(t) + 1))
        _interval_dots(
            ax, labels, t["gap"], t["gap_low"], t["gap_high"], t["n"] >= self.min_base,
            t["gap_high"] < 0, self.min_base,
        )  # fmt: skip
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"{self.outcome}: mention - not ({self.interval}s)")
        ax.set_title("Themes and the outcome")
        return ax


def _respondent_matrix(comments, found: Themes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = comments.frame
    mentions = found.mentions.set_axis(frame["respondent"].to_numpy()).groupby(level=0).any()
    first = frame.drop_duplicates("respondent").set_index("respondent").reindex(mentions.index)
    return (
        mentions.to_numpy(dtype=float),
        first["outcome"].to_numpy(float),
        first["weight"].to_numpy(float),
    )


def _weights_with_interval(x, y, w, confidence: float, random_state: int):
    ok = ~np.isnan(y)
    x, y, w = x[ok], y[ok], w[ok]
    keep = x.std(axis=0) > 0
    raw = np.full(x.shape[1], np.nan)
    low, high = raw.copy(), raw.copy()
    if keep.sum() == 0 or len(y) < 3:
        return raw, low, high, np.nan

    def weights_of(rows):
        with np.errstate(invalid="ignore", divide="ignore"):  # a theme absent from a resample
            r = weighted_correlation(np.column_stack([x[rows][:, keep], y[rows]]), w[rows])
        r = np.nan_to_num(r)
        return relative_weights(r[:-1, :-1], r[:-1, -1])

    every = np.arange(len(y))
    raw[keep] = weights_of(every)
    r2 = float(np.nansum(raw))
    rng = np.random.default_rng(random_state)
    size = min(len(y), BOOTSTRAP_CAP)
    draws = np.array([weights_of(rng.choice(len(y), size, replace=True)) for _ in range(BOOTSTRAP)])
    scale = np.sqrt(size / len(y))  # a capped resample: widen back to the full base
    centre = draws.mean(axis=0)
    alpha = (1 - confidence) / 2
    lo_q, hi_q = np.quantile(draws, [alpha, 1 - alpha], axis=0)
    low[keep] = raw[keep] - (centre - lo_q) * scale
    high[keep] = raw[keep] + (hi_q - centre) * scale
    return raw, np.clip(low, 0, None), high, r2


@memoised(parts=SURVEY_PARTS)
@dask_aware
def theme_drivers(
    study,
    *,
    themes_result: Themes | None = None,
    outcome: str | None = None,
    k="auto",
    codeframe=None,
    labels=None,
    random_state: int = 0,
    weighted: bool = True,
    confidence: float = 0.95,
) -> ThemeDrivers:
    """Which themes move the outcome, and the words that set detractors apart
    from promoters (the study's outcome, or ``outcome=``)."""
    comments = collect(study, outcome=outcome, weighted=weighted)
    if comments.outcome is None:
        raise ValueError("theme drivers need an outcome (the study has none)")
    found = themes_result or themes(
        study, k=k, codeframe=codeframe, labels=labels, outcome=comments.outcome,
        random_state=random_state, weighted=weighted, confidence=confidence,
    )  # fmt: skip
    x, y, w = _respondent_matrix(comments, found)
    raw, low, high, r2 = _weights_with_interval(x, y, w, confidence, random_state)
    table = found.table[["theme", "n", "gap", "gap_low", "gap_high"]].copy()
    gaps = ["gap", "gap_low", "gap_high"]
    table[gaps] = table[gaps].astype("float64")  # no gap (no outcome answers) is NaN
    share = 100 / r2 if r2 and r2 > 0 else np.nan
    table["weight"], table["weight_low"], table["weight_high"] = (
        raw * share,
        low * share,
        high * share,
    )
    values = comments.frame["outcome"].to_numpy(dtype=float)
    if comments.is_nps:
        low_side, high_side = values <= 6, values >= 9
        groups = ("detractors", "promoters")
    elif comments.is_yes_no:
        low_side, high_side = values == 0, values == 100
        groups = (f"those answering no to {comments.outcome}", "those answering yes")
    else:
        s = comments.scale
        part = (
            (values - s.low) / (s.high - s.low) if s is not None else np.full(len(values), np.nan)
        )
        low_side, high_side = part < LOW_BAND, part > HIGH_BAND
        groups = ("the least satisfied", "the most satisfied")
    docs = list(found.documents)
    words = fightin_words(
        [d for d, f in zip(docs, low_side, strict=True) if f],
        [d for d, f in zip(docs, high_side, strict=True) if f],
        background=docs,
    )
    cut = z_value(confidence)
    words["side"] = np.where(
        words["z"] > cut, groups[0], np.where(words["z"] < -cut, groups[1], "")
    )
    top = pd.concat([words.head(TOP_WORDS), words.tail(TOP_WORDS).iloc[::-1]])
    top = top[top["side"] != ""].drop_duplicates("word").reset_index(drop=True)
    return ThemeDrivers(
        table, top, comments.outcome, groups, r2, comments.min_base, confidence,
        (int(low_side.sum()), int(high_side.sum())),
    )  # fmt: skip
