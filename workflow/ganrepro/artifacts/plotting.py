"""Drawing shared by artifact kinds. Its source is part of the code hash of every kind that imports from it
(`code_sha256`), so a change here marks exactly those kinds' committed figures as drawn by older code."""

from __future__ import annotations

from typing import Any

import pandas as pd


def plot_over_seeds(ax: Any, g: pd.DataFrame, x: str, y: str, key: str, colour: Any) -> None:
    """One run key's curve on `ax`: mean +- std over seeds of `y` against `x`, each seed's curve drawn thin beneath
    (a band alone hides an outlying seed), the legend giving n seeds. A curve of one or two points is drawn as
    points: a bare line of one point is invisible (a run that diverged at once)."""
    agg = g.groupby(x)[y].agg(["mean", "std"]).reset_index()
    if not agg["mean"].notna().any():
        return
    n_seeds = g["seed"].nunique()
    if n_seeds > 1:
        for _, one in g.groupby("seed"):
            ax.plot(one[x], one[y], color=colour, lw=0.6, alpha=0.35)
    label = f"{key} (n={n_seeds} seed{'s' if n_seeds > 1 else ''})"
    ax.plot(agg[x], agg["mean"], color=colour, label=label, marker="o" if len(agg) < 3 else None)
    sd = agg["std"].fillna(0)
    ax.fill_between(agg[x], agg["mean"] - sd, agg["mean"] + sd, color=colour, alpha=0.2)
