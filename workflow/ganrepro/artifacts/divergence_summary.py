"""Whether, when and why each run diverged, and how much its loss fluctuated at the end (TV-WGAN Figs. 2, 4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.artifacts.runfiles import (
    colours,
    diverged_runs,
    finite_values,
    ident,
    losses,
    params_of,
    status_of,
)
from ganrepro.core.errors import GanreproError


@kind(
    "divergence_summary",
    params={
        "column": {"type": "string", "default": "loss_D"},
        "window": {"type": "integer", "minimum": 1, "default": 100},
    },
    columns=[
        *IDENT,
        "status",
        "diverged",
        "diverged_at",
        "divergence_reason",
        "iterations_done",
        "iterations_planned",
        "column",
        "last_iteration",
        "final_value",
        "max_abs",
        "rolling_std",
        "window_rows",
    ],
)
def divergence_summary(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Did each run diverge, when and why (TV-WGAN Figs. 2/4: GP-WGAN explosion / fluctuation), and how much
    the loss fluctuated at the end.

    Params: `column` (losses.csv column, default loss_D), `window` (default 100 log rows).
    CSV, one row per run and seed: run, method, seed, run_id, status, diverged (bool), diverged_at,
    divergence_reason, iterations_done, iterations_planned, column, last_iteration (last logged), final_value
    (last finite value of the column), max_abs (largest finite |value|), rolling_std (sample std of the last
    `window` finite values), window_rows (how many there were). Plot: the column against iteration per run
    (symlog scale), colour per run key, an x at the divergence iteration.
    """
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    col, window = p["column"], p["window"]  # declared, with defaults, in @kind above
    rows, curves = [], []
    for key, runs in art.runs.items():
        for r in runs:
            st = status_of(r)
            df = losses(r)
            if col not in df.columns:
                raise GanreproError(
                    f"{r.dir / 'losses.csv'} has no column {col!r} (run {r.run_id}); "
                    f"logged columns: {', '.join(c for c in df.columns if c != 'iteration')}"
                )
            v = finite_values(df[col])
            fin = v.dropna()
            tail = fin.tail(window)
            rows.append(
                {
                    **ident(key, r),
                    "status": st.get("status"),
                    "diverged": st.get("status") == "diverged",
                    "diverged_at": st.get("diverged_at"),
                    "divergence_reason": st.get("divergence_reason"),
                    "iterations_done": st.get("iterations_done"),
                    "iterations_planned": st.get("iterations_planned"),
                    "column": col,
                    "last_iteration": int(df["iteration"].iloc[-1]) if len(df) else np.nan,
                    "final_value": float(fin.iloc[-1]) if len(fin) else np.nan,
                    "max_abs": float(fin.abs().max()) if len(fin) else np.nan,
                    "rolling_std": float(tail.std()) if len(tail) > 1 else np.nan,
                    "window_rows": len(tail),
                }
            )
            curves.append((key, r, st, df["iteration"].to_numpy(), v.to_numpy()))
    out = pd.DataFrame(rows)
    out["diverged_at"] = out["diverged_at"].astype("Int64")
    colour = colours(list(art.runs))
    fig, ax = plt.subplots(figsize=(7, 4))
    labelled = set()
    for key, _r, st, its, v in curves:
        ax.plot(its, v, color=colour[key], lw=1, label=None if key in labelled else str(key))
        labelled.add(key)
        at = st.get("diverged_at")
        if st.get("status") == "diverged" and at is not None:
            ok = np.isfinite(v) & (its <= at)
            y = v[ok][-1] if ok.any() else 0.0
            ax.plot([at], [y], "x", color=colour[key], ms=9, mew=2)
            ax.annotate(
                f"diverged @ {at}",
                (at, y),
                fontsize=7,
                color=colour[key],
                xytext=(3, 3),
                textcoords="offset points",
            )
    finite = np.abs(np.concatenate([c[4] for c in curves] or [np.zeros(0)]))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    # linear up to the typical magnitude, logarithmic beyond it: explosions stay on the plot, small losses too
    ax.set_yscale("symlog", linthresh=float(np.median(finite)) if len(finite) else 1.0)
    ax.set_xlabel("G iteration")
    ax.set_ylabel(col)
    ax.legend(fontsize=8)
    ax.set_title(f"{art.spec.get('title', art.name)}: {col}, x = divergence", fontsize=9)
    return out, fig, {"diverged_runs": diverged_runs(art)}
