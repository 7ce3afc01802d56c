"""Every figure of cxresearch, seaborn-style: each takes ``ax=None`` and returns the Axes.

One theme for all (seaborn ``whitegrid`` with the colour-blind-safe
``colorblind`` palette). Functions never call ``plt.show()``.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"


def set_theme() -> None:
    """The cxresearch look: white grid, colour-blind-safe palette, readable sizes."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "axes.titleweight": "bold"})


def _axes(ax, width: float = 7.0, height: float = 3.5):
    if ax is None:
        _, ax = plt.subplots(figsize=(width, height))
    return ax


def estimate_dots(table: pd.DataFrame, statistic: str, by: list[str], min_base: int, ax=None):
    """One statistic per group as a dot with its interval; small bases are
    not drawn but labelled ``suppressed (n=..)`` in their row."""
    rows = table[table["statistic"] == statistic].reset_index(drop=True)
    if rows.empty:
        raise KeyError(f"no statistic {statistic!r} in the table")
    labels = rows[by].astype(str).agg(" / ".join, axis=1) if by else pd.Series(["All respondents"])
    labels = [f"{label}  (n={n:,})" for label, n in zip(labels, rows["n"], strict=False)]
    ax = _axes(ax, height=max(1.6, 0.45 * len(rows) + 1))
    y = np.arange(len(rows))[::-1]
    shown = ~rows["below_min_base"].to_numpy()
    colour = sns.color_palette(PALETTE)[0]
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
    ax.set_xlabel(f"{statistic} (dot: estimate; bar: 95% interval)")
    ax.set_ylabel(" / ".join(by) if by else "")
    ax.set_title(f"{statistic} by {' and '.join(by)}" if by else statistic)
    return ax


def answered_shares(quality_table: pd.DataFrame, ax=None):
    """Share of respondents who answered each item ("don't know" and blank apart)."""
    t = quality_table.sort_values("answered_share")
    ax = _axes(ax, height=max(2.0, 0.22 * len(t) + 1))
    total = t["answered"] + t["dont_know"] + t["no_answer"]
    left = np.zeros(len(t))
    colours = sns.color_palette(PALETTE)
    for part, colour, label in (
        ("answered", colours[0], "answered"),
        ("dont_know", colours[1], '"don\'t know" code'),
        ("no_answer", colours[7], "no answer"),
    ):
        share = (t[part] / total).to_numpy()
        ax.barh(t["column"], share, left=left, color=colour, label=label)
        left += share
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("share of respondents")
    ax.set_ylabel("column")
    ax.set_title("Answers per item")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=3, frameon=False)
    return ax
