"""Logged losses against G iteration (WGAN Figs. 4-5: the W estimate is -Loss_D, median-filtered with window 101)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.artifacts.plotting import plot_over_seeds
from ganrepro.artifacts.runfiles import (
    colours,
    diverged_runs,
    finite_values,
    ident,
    losses,
    median_filter,
    params_of,
    status_of,
    where,
)
from ganrepro.core.errors import GanreproError


@kind(
    "loss_curve",
    params={
        "columns": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "default": ["loss_D"],
            "description": "losses.csv columns to show",
        },
        "median_filter": {
            "type": "integer",
            "minimum": 1,
            "default": 1,
            "description": "odd window, log rows",
        },
        "every": {"type": "integer", "minimum": 1, "default": 1, "description": "keep every k-th log row"},
    },
    columns=lambda p, ctx: [
        *IDENT,
        "iteration",
        "status",
        "final",
        *(x for c in p["columns"] for x in (c, f"{c}_filtered")),
    ],
)
def loss_curve(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Logged losses against G iteration, raw and median-filtered.

    Params: `columns` (list of losses.csv columns, default [loss_D]; e.g. [W_estimate], which the WGAN method
    logs as -Loss_D); `median_filter` (odd window in log rows, default 1 = none; WG plots W with 101), applied
    per seed to the full logged series before thinning (see `median_filter`); `every` (keep every k-th log row in
    the CSV, default 1; the last row of each seed is always kept).
    CSV: run, method, seed, run_id, iteration, status, final (last logged row of the seed), and per column
    `<col>` (raw) and `<col>_filtered`. A column a run does not log (e.g. W_estimate for the standard GAN) is
    NaN for that run; a column no run logs is an error. Plot: one panel per column, mean +- std over seeds of
    the filtered curve, one line per run key (its legend gives n seeds), each seed's curve drawn thin beneath.
    """
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    cols = p["columns"]
    cols = [cols] if isinstance(cols, str) else list(cols)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise GanreproError(f"{where(art)}: params.columns must be a non-empty list of losses.csv column names")
    window = p["median_filter"]
    if window % 2 == 0:
        raise GanreproError(f"{where(art)}: params.median_filter must be odd (a centred window), got {window}")
    every = p["every"]
    frames, seen = [], set()
    for key, runs in art.runs.items():
        for r in runs:
            st = status_of(r)
            df = losses(r)
            seen |= set(df.columns)
            out = pd.DataFrame({"iteration": df["iteration"].astype(int)})
            for k, v in reversed(ident(key, r).items()):
                out.insert(0, k, v)
            out["status"] = st.get("status")
            out["final"] = False
            if len(out):
                out.loc[out.index[-1], "final"] = True
            for c in cols:
                raw = finite_values(df[c]) if c in df.columns else pd.Series(np.nan, index=df.index)
                out[c] = raw.to_numpy()
                out[f"{c}_filtered"] = median_filter(raw, window).to_numpy()
            keep = (np.arange(len(out)) % every == 0) | out["final"].to_numpy()
            frames.append(out[keep])
    absent = [c for c in cols if c not in seen]
    if absent:
        files = ", ".join(str(r.dir / "losses.csv") for runs in art.runs.values() for r in runs)
        raise GanreproError(
            f"{where(art)}: column(s) {', '.join(absent)} in no losses.csv ({files}); "
            f"logged columns: {', '.join(sorted(seen - {'iteration'})) or 'none'}"
        )
    df = pd.concat(frames, ignore_index=True)

    colour = colours(list(art.runs))
    fig, axes = plt.subplots(1, len(cols), figsize=(5 * len(cols), 3.8), squeeze=False)
    for ax, c in zip(axes[0], cols, strict=True):
        for key, g in df.groupby("run", sort=False):
            plot_over_seeds(ax, g, "iteration", f"{c}_filtered", str(key), colour[key])
        ax.set_xlabel("G iteration")
        filt = f", median filter {window}" if window > 1 else ""
        ax.set_title(f"{c} (mean ± std over seeds{filt})", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)  # build() marks a figure of stand-in data
    return df, fig, {"diverged_runs": diverged_runs(art)}
