"""Every figure of cxresearch, seaborn-style: each takes ``ax=None`` and returns the Axes.

One theme for all (seaborn ``whitegrid`` with the colour-blind-safe
``colorblind`` palette). Functions never call ``plt.show()``.

Every text a chart draws is shown as written: brands, touchpoint labels,
categories and column names come from the user's data, and matplotlib would
otherwise read ``$...$`` as mathtext (``Ca$$h Mart`` fails to draw, ``$x^2$``
turns into a formula). See :func:`literal_text`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from ._lazy import LazyModule
from .stats import family_interval_label
from .tables import interval_label

# matplotlib and seaborn load only when a chart is drawn
_mpl = LazyModule("matplotlib")
plt = LazyModule("matplotlib.pyplot")
sns = LazyModule("seaborn")
_patches = LazyModule("matplotlib.patches")
_ticker = LazyModule("matplotlib.ticker")
_text = LazyModule("matplotlib.text")

PALETTE = "colorblind"
COLOURS = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
    "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
)  # fmt: skip
"""seaborn's ``colorblind`` palette (``sns.color_palette("colorblind").as_hex()``)."""
THEME = {
    **{"figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out"},
    **{"ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15"},
    **{"axes.axisbelow": True, "grid.linestyle": "-", "text.color": ".15"},
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    **{"lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True},
    **{"xtick.top": False, "ytick.right": False, "axes.grid": True, "axes.facecolor": "white"},
    **{"axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True},
    **{"axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True},
    **{"xtick.bottom": False, "ytick.left": False, "axes.linewidth": 1.25, "grid.linewidth": 1},
    **{"lines.linewidth": 1.5, "lines.markersize": 6, "patch.linewidth": 1},
    **{"xtick.major.width": 1.25, "ytick.major.width": 1.25, "xtick.minor.width": 1},
    **{"ytick.minor.width": 1, "xtick.major.size": 6, "ytick.major.size": 6},
    **{"xtick.minor.size": 4, "ytick.minor.size": 4, "font.size": 12, "axes.labelsize": 12},
    **{"axes.titlesize": 12, "xtick.labelsize": 11, "ytick.labelsize": 11},
    **{"legend.fontsize": 11, "legend.title_fontsize": 12},
}
"""seaborn 0.13's ``set_theme(style="whitegrid", context="notebook")`` as plain
rcParams (``sns.axes_style`` and ``sns.plotting_context``; a test keeps them
equal), so that opening a chapter does not import seaborn (and scipy.stats
with it). Left out: ``image.cmap`` ("rocket", a colour map only seaborn
registers; no chart of ours relies on the default map)."""
MAX_CHART_ROWS = 25  # more groups than this: a chart shows the largest, and says so


def set_theme() -> None:
    """The cxresearch look: white grid, colour-blind-safe palette, readable sizes
    (seaborn's whitegrid theme, :data:`THEME`, set without importing seaborn)."""
    plt.rcParams.update(THEME)
    plt.rcParams["axes.prop_cycle"] = _mpl.cycler(color=list(COLOURS))
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "axes.titleweight": "bold"})


LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


def _literal(figure) -> None:
    """Make every text of ``figure`` literal, tick labels included: the ticks
    the axes show are made now (a tick made later would read the global
    rcParams) and every text artist gets ``parse_math=False``, ``usetex=False``."""
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            axis.get_major_ticks()
            axis.get_minor_ticks()
    for text in figure.findobj(_text.Text):
        text.set_parse_math(False)
        text.set_usetex(False)


def literal_text(draw: Callable) -> Callable:
    """Decorate a chart function: it draws with mathtext and TeX off
    (:data:`LITERAL_TEXT`, matplotlib >= 3.5), and the texts of its figure stay
    literal when it is drawn later, whatever the global rcParams then, so that
    ``$``, ``_``, ``^`` and ``\\`` in the user's labels are shown as written."""

    @functools.wraps(draw)
    def literal(*args, **kwargs):
        # only these two settings are set and restored: plt.rc_context would restore
        # every rcParam, "interactive" included, which pyplot's first import in a
        # Jupyter kernel sets, so later charts would no longer show in notebooks
        rc = _mpl.rcParams
        before = {key: rc[key] for key in LITERAL_TEXT}
        rc.update(LITERAL_TEXT)
        try:
            ax = draw(*args, **kwargs)
            _literal(ax.figure)
        finally:
            rc.update(before)
        return ax

    return literal


def _axes(ax, width: float = 7.0, height: float = 3.5):
    if ax is None:
        _, ax = plt.subplots(figsize=(width, height))
    return ax


@literal_text
def nothing_to_chart(message: str, title: str, ax=None):
    """An empty chart that says why it is empty (every group below the minimum
    base, say), so a report shows the reason instead of failing."""
    ax = _axes(ax, height=2.0)
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    return ax


@literal_text
def estimate_dots(
    table: pd.DataFrame,
    statistic: str,
    by: list[str],
    min_base: int,
    ax=None,
    confidence: float = 0.95,
):
    """One statistic per group as a dot with its interval; small bases are
    not drawn but labelled ``suppressed (n=..)`` in their row."""
    rows = table[table["statistic"] == statistic].reset_index(drop=True)
    if rows.empty:
        raise KeyError(f"no statistic {statistic!r} in the table")
    total = len(rows)
    if total > MAX_CHART_ROWS:  # a readable chart: the groups with the largest bases
        rows = rows.loc[np.sort(rows["n"].nlargest(MAX_CHART_ROWS).index)].reset_index(drop=True)
    labels = rows[by].astype(str).agg(" / ".join, axis=1) if by else pd.Series(["All respondents"])
    labels = [f"{label}  (n={n:,})" for label, n in zip(labels, rows["n"], strict=False)]
    ax = _axes(ax, height=max(1.6, 0.45 * len(rows) + 1))
    y = np.arange(len(rows))[::-1]
    shown = ~rows["below_min_base"].to_numpy()
    colour = COLOURS[0]
    ax.errorbar(
        rows["value"][shown],
        y[shown],
        xerr=[(rows["value"] - rows["low"])[shown], (rows["high"] - rows["value"])[shown]],
        fmt="o",
        color=colour,
        ecolor=colour,
        capsize=3,
    )
    for yi in y[~shown]:
        ax.text(
            0.5,
            yi,
            f"suppressed: base below {min_base}",
            transform=ax.get_yaxis_transform(),
            ha="center",
            va="center",
            color="grey",
            fontsize=9,
        )
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{statistic} (dot: estimate; bar: {interval_label(confidence)})")
    ax.set_ylabel(" / ".join(by) if by else "")
    title = f"{statistic} by {' and '.join(by)}" if by else statistic
    if total > len(rows):
        title += f"\n({len(rows)} of {total} groups: those with the largest bases)"
    ax.set_title(title)
    return ax


@literal_text
def answered_shares(quality_table: pd.DataFrame, ax=None):
    """Share of respondents who answered each item ("don't know" and blank apart)."""
    t = quality_table.sort_values("answered_share")
    ax = _axes(ax, height=max(2.0, 0.22 * len(t) + 1))
    total = t["answered"] + t["dont_know"] + t["no_answer"]
    left = np.zeros(len(t))
    colours = list(COLOURS)
    for part, colour, label in (
        ("answered", colours[0], "answered"),
        ("dont_know", colours[1], '"don\'t know" code'),
        ("no_answer", colours[7], "no answer"),
    ):
        share = (t[part] / total).to_numpy()
        ax.barh(t["column"], share, left=left, color=colour, label=label)
        left += share
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_ticker.PercentFormatter(1.0))
    ax.set_xlabel("share of respondents")
    ax.set_ylabel("column")
    ax.set_title("Answers per item")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=3, frameon=False)
    return ax


def _stage_colours() -> dict[str, tuple]:
    colours = list(COLOURS)
    return {"before": colours[0], "during": colours[2], "after": colours[4]}


@literal_text
def gap_bars(table: pd.DataFrame, by: str, min_base: int, ax=None, interval: str | None = None):
    """Gaps (experience - reference) as bars in journey order, coloured by stage,
    with their intervals (``interval`` names them, e.g. "simultaneous 95%
    interval"); small bases are labelled instead of drawn."""
    label = "label" if by == "touchpoint" else "stage"
    t = table.reset_index(drop=True)
    ax = _axes(ax, height=max(2.2, 0.38 * len(t) + 1))
    y = np.arange(len(t))[::-1]
    shown = ~t["below_min_base"].to_numpy()
    colours = [_stage_colours().get(s, "grey") for s in t["stage"]]
    ax.barh(y[shown], t["gap"][shown], color=np.array(colours, dtype=object)[shown].tolist())
    ax.errorbar(
        t["gap"][shown],
        y[shown],
        xerr=[(t["gap"] - t["low"])[shown], (t["high"] - t["gap"])[shown]],
        fmt="none",
        ecolor="black",
        capsize=2,
        linewidth=1,
    )
    for yi in y[~shown]:
        ax.text(
            0, yi, f"  suppressed: base below {min_base}", va="center", color="grey", fontsize=9
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [f"{name} (n={n:,})" for name, n in zip(t[label], t["n"], strict=True)])
    ax.set_xlabel(
        "gap: experience - expectation (negative = falls short)"
        + (f"; bars: {interval}s" if interval else "")
    )
    ax.set_ylabel("touchpoint" if by == "touchpoint" else "stage")
    ax.set_title("Expectations against experiences")
    handles = [_patches.Patch(color=c, label=s) for s, c in _stage_colours().items()]
    ax.legend(
        handles=handles, title="stage", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False
    )
    return ax


@literal_text
def gap_profile(table: pd.DataFrame, by: str, min_base: int, ax=None):
    """The journey-ordered gap profile of each group (segment, brand, ...):
    one line per group; cells below the minimum base are left out of the line."""
    t = table[~table["below_min_base"]]
    order = list(dict.fromkeys(table["label"]))
    ax = _axes(ax, width=9, height=4)
    sns.lineplot(data=t, x="label", y="gap", hue=by, marker="o", sort=False, ax=ax, palette=PALETTE)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right")
    ax.set_xlabel("touchpoint, in journey order")
    ax.set_ylabel("gap: experience - expectation")
    ax.set_title(f"Gap profile by {by}")
    hidden = int(table["below_min_base"].sum())
    if hidden:
        ax.annotate(
            f"{hidden} cells below base {min_base} not drawn",
            (0, -0.35),
            xycoords="axes fraction",
            color="grey",
            fontsize=8,
        )
    return ax


@literal_text
def ipa_chart(result, ax=None):
    """Importance-performance chart (Martilla & James 1977): touchpoints placed by
    derived importance and the brand's performance, quadrants named."""
    t = result.table
    ax = _axes(ax, width=8, height=6)
    colours = _stage_colours()
    for stage, rows in t.groupby("stage", sort=False):
        ax.scatter(
            rows["performance"],
            rows["share"],
            color=colours.get(stage, "grey"),
            label=stage,
            s=45,
            zorder=3,
        )
    # numbered markers with a key: labels never collide, however many touchpoints
    key = []
    for number, row in enumerate(t.sort_values("rank").itertuples(), start=1):
        ax.annotate(
            str(number),
            (row.performance, row.share),
            textcoords="offset points",
            xytext=(4, 3),
            fontsize=7,
            fontweight="bold",
        )
        small = row.n_performance < result.min_base
        key.append(f"{number:>2}  {row.label}" + (" (base below minimum)" if small else ""))
    ax.text(
        1.02,
        0.0,
        "\n".join(key),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=7,
        family="monospace",
    )
    x0, y0 = result.crosshair[1], result.crosshair[0]
    ax.axvline(x0, color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(y0, color="grey", linestyle="--", linewidth=0.8)
    corners = {
        "concentrate here": (0.02, 0.97, "left", "top"),
        "keep up the good work": (0.98, 0.97, "right", "top"),
        "low priority": (0.02, 0.03, "left", "bottom"),
        "possible overkill": (0.98, 0.03, "right", "bottom"),
    }
    for name, (x, y, ha, va) in corners.items():
        ax.text(
            x,
            y,
            name,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=9,
            color="dimgray",
            style="italic",
        )
    who = f"{result.brand}'s" if result.brand else "mean"
    ax.set_xlabel(f"performance: {who} experience score")
    ax.set_ylabel(f"importance for {result.outcome_label}: % of explained variance")
    ax.set_title(f"Importance-performance: drivers of {result.outcome_label}")
    ax.legend(title="stage", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


@literal_text
def segment_map(segmentation, ax=None):
    """Respondents on the first two principal components of the segmentation's
    prepared features, coloured by segment (the seeded sample kept by the result)."""
    points = segmentation.map_points
    names = dict(zip(segmentation.personas["segment"], segmentation.personas["name"], strict=True))
    hue = [f"{s}. {names[s]}" for s in points["segment"]]
    ax = _axes(ax, width=8, height=6)
    sns.scatterplot(
        x=points["pc1"],
        y=points["pc2"],
        hue=hue,
        hue_order=sorted(set(hue)),
        s=12,
        alpha=0.6,
        linewidth=0,
        palette=PALETTE,
        ax=ax,
    )
    first, second = points.attrs["explained"]
    ax.set_xlabel(f"first principal component ({first:.0%} of variance)")
    ax.set_ylabel(f"second principal component ({second:.0%} of variance)")
    ax.set_title(f"Segments on the map of respondents (sample of {len(points):,})")
    ax.legend(title="segment", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


@literal_text
def k_scores_plot(choice, ax=None):
    """Each criterion against k (rescaled so that up is better), the chosen k marked."""
    scores = choice.scores
    better_low = {"davies_bouldin", "bic"}
    criteria = [
        c for c in ("silhouette", "calinski_harabasz", "davies_bouldin", "bic") if c in scores
    ]
    ax = _axes(ax, width=7, height=3.8)
    for criterion in criteria:
        values = scores[criterion].astype(float)
        span = values.max() - values.min() or 1.0
        scaled = (values - values.min()) / span
        if criterion in better_low:
            scaled = 1 - scaled
        ax.plot(scores["k"], scaled, marker="o", label=criterion.replace("_", "-"))
    ax.axvline(choice.k, color="black", linestyle="--", linewidth=0.8)
    ax.set_xticks(scores["k"])
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("criterion, rescaled 0-1 (1 = best)")
    ax.set_title(f"Choosing k: k = {choice.k} chosen")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


def _mark_suppressed_cells(ax, suppressed: np.ndarray, note: str) -> None:
    """Grey the heatmap cells whose base is below the minimum and write the note in
    them: seaborn masks a missing cell and leaves it blank (it annotates only the
    cells it colours), so a suppressed base would otherwise look like no data."""
    for row, col in zip(*np.nonzero(suppressed), strict=True):
        ax.add_patch(
            _patches.Rectangle((col, row), 1, 1, facecolor="#e6e6e6", edgecolor="white", lw=0.5)
        )
        ax.text(col + 0.5, row + 0.5, note, ha="center", va="center", color="#555555", fontsize=9)


@literal_text
def comparison_heatmap(comparison, ax=None):
    """Brand x touchpoint experience scores; a competitor's cell is marked + or -
    where it is significantly above or below the brand; small bases are greyed."""
    v = comparison.values
    if v["touchpoint"].notna().any():
        v = v[v["touchpoint"].notna()]  # touchpoints; else the KPIs themselves
    kind = next(k for k in ("mean", "share", "nps") if (v["kind"] == k).any())
    v = v[v["kind"] == kind]
    brands = [comparison.brand] + [b for b in dict.fromkeys(v["brand"]) if b != comparison.brand]
    order = list(dict.fromkeys(v["label"]))
    grid = v.pivot_table(index="label", columns="brand", values="value", sort=False).reindex(
        index=order, columns=brands
    )
    small = (
        v.pivot_table(
            index="label", columns="brand", values="below_min_base", sort=False, aggfunc="first"
        )
        .reindex(index=order, columns=brands)
        .fillna(True)
    )
    t = comparison.table
    sig = t[t["significant"]].set_index(["label", "competitor"])["difference"]
    text = grid.map(lambda x: f"{x:.2f}")
    for (label, rival), difference in sig.items():
        if label in text.index and rival in text.columns:
            text.loc[label, rival] += " -" if difference > 0 else " +"
    small = small.astype(bool)
    shown = grid.where(~small)
    ax = _axes(ax, width=2 + 1.4 * len(brands), height=max(3, 0.42 * len(order) + 1.2))
    anything = shown.notna().to_numpy().any()
    sns.heatmap(
        shown,
        annot=text.where(~small, "").to_numpy(),
        fmt="",
        cmap="cividis",
        cbar=bool(anything),
        cbar_kws={"label": {"mean": "mean experience", "share": "share %", "nps": "NPS"}[kind]},
        **({} if anything else {"vmin": 0.0, "vmax": 1.0}),
        linewidths=0.5,
        ax=ax,
    )
    _mark_suppressed_cells(ax, small.to_numpy(), f"n<{comparison.min_base}")
    ax.set_xlabel("brand (own brand first)")
    ax.set_ylabel("touchpoint" if kind == "mean" else "measure")
    what = {"mean": "Experience", "share": "Share", "nps": "NPS"}[kind]
    ax.set_title(f"{what} by brand (+/-: significantly above/below {comparison.brand})")
    return ax


@literal_text
def leader_dots(comparison, ax=None):
    """The brand's score and the leader's on every touchpoint."""
    p = comparison.positions
    ax = _axes(ax, height=max(2.5, 0.4 * len(p) + 1))
    if p.empty:
        ax.text(0.5, 0.5, "no touchpoint scores to compare", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    y = np.arange(len(p))[::-1]
    colours = list(COLOURS)
    ax.hlines(y, p["brand_value"], p["leader_value"], color="lightgrey", linewidth=2)
    ax.scatter(p["leader_value"], y, color=colours[1], label="market leader", zorder=3)
    ax.scatter(p["brand_value"], y, color=colours[0], label=comparison.brand, zorder=3)
    ax.set_yticks(y, [f"{row.label} ({row.position})" for row in p.itertuples()])
    ax.set_xlabel("score (mean experience, or share % for feedback reasons)")
    ax.set_ylabel("touchpoint (position of the brand)")
    ax.set_title(f"{comparison.brand} against the leader")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


@literal_text
def funnel_bars(result, ax=None):
    """Sessions reaching each funnel step (share of the first step), the
    abandonment step marked."""
    t = result.table
    hue = result.by
    ax = _axes(ax, width=8, height=4)
    sns.barplot(
        data=t,
        x="step",
        y="share_of_start",
        hue=hue,
        palette=PALETTE if hue else None,
        color=None if hue else COLOURS[0],
        ax=ax,
    )
    ax.yaxis.set_major_formatter(_ticker.PercentFormatter(1.0))
    ax.set_xlabel("funnel step, in order")
    ax.set_ylabel("sessions reaching the step (share of the first)")
    worst = result.abandonment.iloc[0]
    ax.set_title(
        f"Web funnel: most sessions are lost after '{worst['step']}' "
        f"({worst['drop']:.0%} do not continue)"
    )
    return ax


@literal_text
def journey_map(result, ax=None):
    """The journey map: touchpoints left to right through the three stages,
    expectation and experience lines, pain points marked by circle size."""
    t = result.table
    if result.by:
        t = t[t[result.by] == t[result.by].iloc[0]]
    t = t.reset_index(drop=True)
    x = np.arange(len(t))
    colours = list(COLOURS)
    ax = _axes(ax, width=max(8, 0.7 * len(t) + 2), height=4.8)
    for stage, colour in _stage_colours().items():
        inside = np.flatnonzero(t["stage"].to_numpy() == stage)
        if len(inside):
            ax.axvspan(inside[0] - 0.5, inside[-1] + 0.5, color=colour, alpha=0.08)
            ax.text(
                (inside[0] + inside[-1]) / 2,
                1.02,
                stage.upper(),
                transform=ax.get_xaxis_transform(),
                ha="center",
                fontsize=9,
                color=colour,
                fontweight="bold",
            )
    ax.plot(x, t["expectation"], marker="s", color=colours[7], label="expectation")
    ax.plot(x, t["experience"], marker="o", color=colours[0], label="experience")
    pain = t["pain"].to_numpy()
    if pain.max() > 0:
        ax.scatter(
            x,
            t["experience"],
            s=1200 * pain / pain.max(),
            facecolors="none",
            edgecolors=colours[3],
            linewidths=1.5,
            label="pain point (size = pain score)",
        )
    ax.set_xticks(x, t["label"], rotation=45, ha="right")
    ax.set_xlabel("touchpoint, in journey order")
    ax.set_ylabel("mean score (1-7)")
    ax.set_title("Customer journey map", pad=18)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


def _interval_dots(ax, labels, values, lows, highs, shown, highlight=None, min_base=None):
    """Horizontal dots with intervals, one row per label (top to bottom);
    rows not ``shown`` read "suppressed" instead of a dot."""
    colours = list(COLOURS)
    y = np.arange(len(labels))[::-1]
    values, lows, highs = (np.asarray(a, dtype=float) for a in (values, lows, highs))
    shown = np.asarray(shown, dtype=bool)
    strong = np.zeros(len(labels), dtype=bool) if highlight is None else np.asarray(highlight)
    for mask, colour in ((shown & ~strong, colours[7]), (shown & strong, colours[0])):
        if mask.any():
            ax.errorbar(
                values[mask],
                y[mask],
                xerr=[(values - lows)[mask], (highs - values)[mask]],
                fmt="o",
                color=colour,
                ecolor=colour,
                capsize=3,
            )
    for yi in y[~shown]:
        note = "suppressed" + (f": base below {min_base}" if min_base else "")
        ax.text(0.5, yi, note, transform=ax.get_yaxis_transform(), ha="center", va="center",
                color="grey", fontsize=9)  # fmt: skip
    ax.set_yticks(y, labels)
    return ax


@literal_text
def change_dots(result, ax=None):
    """Every measure's change between the last two waves with its interval;
    significant changes in colour, the others grey."""
    t = result.table
    ax = _axes(ax, height=max(2.0, 0.35 * len(t) + 1))
    _interval_dots(
        ax,
        list(t["label"]),
        t["change"],
        t["low"],
        t["high"],
        ~t["below_min_base"],
        t["significant"],
        result.min_base,
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"change {result.last} - {result.previous} (the measure's own units)")
    label = family_interval_label(result.correction, result.family_level, result.confidence)
    ax.set_title(f"What moved since {result.previous} ({label}s)")
    return ax


@literal_text
def operations_chart(result, ax=None):
    """Median (dot) and 90th percentile (diamond) of each operational measure
    with their intervals, and the target (vertical tick)."""
    t = result.table.reset_index(drop=True)
    labels = [
        (f"{row[result.by]}: " if result.by else "") + f"{row['label']} ({row['unit']})"
        for row in t.to_dict("records")
    ]
    ax = _axes(ax, height=max(2.0, 0.5 * len(t) + 1))
    colours = list(COLOURS)
    y = np.arange(len(t))[::-1]
    shown = ~t["below_min_base"].to_numpy()
    drawn = t.loc[shown, ["median", "p90", "median_high", "p90_high", "target"]].to_numpy(float)
    finite = drawn[np.isfinite(drawn)]
    edge = 1.15 * finite.max() if finite.size else 1.0  # where "no upper bound" ends
    for column, marker, colour, name in (
        ("median", "o", colours[0], "median"),
        ("p90", "D", colours[3], "90th percentile"),
    ):
        value, low = t[column].to_numpy(float), t[f"{column}_low"].to_numpy(float)
        high = t[f"{column}_high"].to_numpy(float)
        open_top = shown & ~np.isfinite(high)
        high = np.where(open_top, edge, high)
        low = np.where(np.isfinite(low), low, 0.0)
        ax.errorbar(
            value[shown], y[shown], xerr=[(value - low)[shown], (high - value)[shown]],
            fmt=marker, color=colour, ecolor=colour, capsize=3, label=name,
        )  # fmt: skip
        if open_top.any():  # the interval has no upper bound: an arrow, not a cap
            ax.scatter(high[open_top], y[open_top], marker=">", color=colour, s=40)
            for yy in y[open_top]:
                ax.annotate("no upper bound", (edge, yy), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=8, color=colour)  # fmt: skip
    ax.scatter(t["target"], y, marker="|", s=400, color="black", label="target")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"time ({result.interval}s, order statistics)")
    ax.set_title("Waiting and response times against their targets")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


@literal_text
def smiley_bars(result, ax=None):
    """Sad, neutral and happy shares per touchpoint, stacked to 100%."""
    t = result.table[result.table["n"] >= result.min_base].reset_index(drop=True)
    if t.empty:
        return nothing_to_chart(
            f"No touchpoint with faces has a base of {result.min_base:,} or more.",
            "Feedback terminals: sad, neutral, happy",
            ax=ax,
        )
    ax = _axes(ax, height=max(2.0, 0.45 * len(t) + 1))
    y = np.arange(len(t))[::-1]
    left = np.zeros(len(t))
    colours = {"sad": "#d55e00", "neutral": "#bbbbbb", "happy": "#009e73"}
    for part, colour in colours.items():
        ax.barh(y, t[part], left=left, color=colour, label=part)
        left += t[part].to_numpy()
    ax.set_yticks(y, [f"{label} (n={n:,})" for label, n in zip(t["label"], t["n"], strict=True)])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of faces pressed (%)")
    ax.set_title("Feedback terminals: sad, neutral, happy")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


@literal_text
def negative_share_dots(result, ax=None):
    """The share of negative records of each group with its interval."""
    t = result.table.reset_index(drop=True)
    labels = list(t[result.by].astype(str)) if result.by else ["all"]
    labels = [f"{label} (n={n:,})" for label, n in zip(labels, t["records"], strict=True)]
    ax = _axes(ax, height=max(2.0, 0.45 * len(t) + 1))
    _interval_dots(
        ax, labels, t["negative"], t["negative_low"], t["negative_high"],
        t["records"] >= result.min_base, None, result.min_base,
    )  # fmt: skip
    ax.set_xlabel(f"negative records, % ({result.interval}s)")
    ax.set_title("Negative feedback by " + (result.by or "group"))
    return ax


@literal_text
def priority_bars(result, ax=None):
    """The outcome change that would go with each priority reaching its goal alone
    (a scenario if the link is causal; priorities are not additive),
    with its interval, in rank order."""
    p = result.priorities
    if p.empty:
        return nothing_to_chart("No priorities: no touchpoint needs action.", "Priorities", ax=ax)
    ax = _axes(ax, height=max(2.0, 0.5 * len(p) + 1))
    _interval_dots(
        ax,
        [f"{r.rank}. {r.label}" for r in p.itertuples()],
        p["expected_change"],
        p["expected_low"],
        p["expected_high"],
        np.ones(len(p), dtype=bool),
        np.ones(len(p), dtype=bool),
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(
        f"if causal: {result.outcome_label} change with this goal alone "
        f"({result.outcome_unit}), {result.interval}"
    )
    ax.set_title("Priorities: one scenario each, not additive")
    return ax


@literal_text
def distribution_bars(result, ax=None):
    """Every item's answers as a 100% stacked bar, each point of its scale coloured
    from red (its lowest point) to green (its highest); the first group only when
    the scorecard is grouped."""
    d = result.distribution
    t = result.table
    if result.by:
        first = {c: t[c].iloc[0] for c in result.by}
        for column, value in first.items():
            d, t = d[d[column] == value], t[t[column] == value]
    shown = t[~t["below_min_base"]]
    d = d[d["item"].isin(set(shown["item"]))]
    if shown.empty:
        return nothing_to_chart(
            f"No item has a base of {result.min_base:,} or more.", "Rated items", ax=ax
        )
    labels = list(dict.fromkeys(shown["label"]))
    ax = _axes(ax, width=8, height=max(2.0, 0.32 * len(labels) + 1.2))
    cmap = plt.get_cmap("RdYlGn")
    y = {label: i for i, label in enumerate(labels[::-1])}
    for _, rows in d.groupby("item", sort=False):
        rows = rows.sort_values("value")
        span = max(rows["value"].max() - rows["value"].min(), 1)
        left = 0.0
        for row in rows.itertuples():
            colour = cmap(0.1 + 0.8 * (row.value - rows["value"].min()) / span)
            share = 0.0 if np.isnan(row.share) else row.share
            ax.barh(y[row.label], share, left=left, color=colour, edgecolor="white")
            left += share
    ax.set_yticks(list(y.values()), list(y.keys()))
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of answers (%), from the lowest point of each scale (red) to the highest")
    title = "Every rated item: the distribution of answers"
    if result.by:
        title += " (" + ", ".join(f"{c} {v}" for c, v in first.items()) + ")"
    ax.set_title(title)
    return ax
