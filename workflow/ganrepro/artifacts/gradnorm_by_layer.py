"""Critic gradient norm per layer depth (Purdue Fig. 5, WGAN-GP Fig. 1b)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.artifacts.runfiles import colours, finite_values, ident, losses, params_of, status_of
from ganrepro.core.errors import GanreproError


@kind(
    "gradnorm_by_layer",
    params={
        "last_rows": {"type": "integer", "minimum": 1, "default": 10},
        "gradient_of": {"enum": ["activations", "weights"], "default": "activations"},
    },
    columns=[
        *IDENT,
        "layer_index",
        "param",
        "gradnorm",
        "iteration_from",
        "iteration_to",
        "n_rows",
        "status",
    ],
)
def gradnorm_by_layer(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Critic gradient norm per layer depth (Purdue Fig. 5, WGAN-GP Fig. 1b) from losses.csv.

    Params: `gradient_of` (default `activations`, the quantity of WGAN-GP §3.2): `activations` reads the
    `actgradnorm_D.<module>` columns (gradient of the critic's loss with respect to each activation layer's output,
    logged by runs that set `activation_gradnorm: true`); `weights` reads `gradnorm_D.<param>` (the last critic
    step's gradient per weight tensor: the gradient with respect to the activations times the layer's input, so a
    profile over depth differs from the paper's). `last_rows` (default 10): the mean over the last that many log
    rows whose gradient norms are all finite (a diverged run's NaN/Inf rows are skipped), 1 = the last such row.
    Layers are numbered from 1 (the layer or tensor nearest the critic's input) in the order of the columns, which
    is the module order.
    CSV: run, method, seed, run_id, layer_index, param, gradnorm, iteration_from, iteration_to, n_rows, status.
    Plot: gradient norm (log scale) vs layer index, mean over seeds per run key (band: min-max over seeds).
    """
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    last = p["last_rows"]
    prefix, flag = {
        "activations": ("actgradnorm_D.", "set `activation_gradnorm: true` on the run in paper.yaml and retrain it"),
        "weights": ("gradnorm_D.", "rerun it with this version of the engine"),
    }[p["gradient_of"]]
    rows = []
    for key, runs in art.runs.items():
        for r in runs:
            st = status_of(r)
            df = losses(r)
            gcols = [c for c in df.columns if c.startswith(prefix)]
            if not gcols:
                raise GanreproError(f"{r.dir / 'losses.csv'} has no {prefix}* columns (run {r.run_id}); {flag}")
            vals = df[gcols].apply(finite_values)
            ok = vals.notna().all(axis=1)
            tail = vals[ok].tail(last)
            its = df.loc[tail.index, "iteration"]
            for i, c in enumerate(gcols):
                rows.append(
                    {
                        **ident(key, r),
                        "layer_index": i + 1,
                        "param": c.removeprefix(prefix),
                        "gradnorm": float(tail[c].mean()) if len(tail) else np.nan,
                        "iteration_from": int(its.min()) if len(its) else np.nan,
                        "iteration_to": int(its.max()) if len(its) else np.nan,
                        "n_rows": len(tail),
                        "status": st.get("status"),
                    }
                )
    out = pd.DataFrame(rows)
    colour = colours(list(art.runs))
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, g in out.groupby("run", sort=False):
        agg = g.groupby("layer_index")["gradnorm"].agg(["mean", "min", "max"]).reset_index()
        agg = agg[agg["mean"] > 0]
        if len(agg):
            ax.plot(agg["layer_index"], agg["mean"], "o-", color=colour[key], label=str(key))
            ax.fill_between(agg["layer_index"], agg["min"], agg["max"], color=colour[key], alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel("critic layer (1 = input side)")
    ax.set_ylabel(f"gradient norm w.r.t. {p['gradient_of']}")
    ax.legend(fontsize=8)
    ax.set_title(f"{art.spec.get('title', art.name)} (mean of last {last} finite log rows)", fontsize=9)
    return out, fig, {}
