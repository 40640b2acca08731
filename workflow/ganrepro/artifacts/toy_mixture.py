"""WGAN paper Fig. 2: modes covered, % high-quality samples and exact W1 on the 8-Gaussian mixture over training."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import kind

# torch, the data samplers and the training engine are imported inside the builders: validating and planning
# import this module for its declarations and must stay torch-free.


def _load_G(run: Any, snap_path: Any) -> Any:
    import torch

    from ganrepro.train.engine import build_models

    cfg = json.loads((run.dir / "config.json").read_text())
    G, _ = build_models(cfg, "cpu")
    G.load_state_dict(torch.load(snap_path, map_location="cpu", weights_only=True)["G"])
    return G.train()  # reference nets are always used in train mode (docs/references.md §8.2, #15)


@kind(
    "toy_mixture",
    params={
        "n_eval": {"type": "integer", "minimum": 2},
        "eval_seed": {"type": "integer", "minimum": 0},
        "hq_k": {"type": "number", "exclusiveMinimum": 0},
        "n_stage_panels": {"type": "integer", "minimum": 1},
        "plot_limit": {"type": "number", "exclusiveMinimum": 0},
    },
    required=("n_eval", "eval_seed", "hq_k", "n_stage_panels", "plot_limit"),
    columns=[
        "run",
        "method",
        "seed",
        "iteration",
        "final",
        "modes_covered",
        "pct_high_quality",
        "w1",
        "n_generated",
        "n_real",
    ],
)
def toy_mixture(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Modes covered, % high-quality samples and exact W1 (2,500 vs 2,500) over training, per method and seed."""
    import matplotlib.pyplot as plt  # here: validating imports this module
    import torch

    from ganrepro import data
    from ganrepro.measure.toy import mode_stats, w1_exact
    from ganrepro.train import latent
    from ganrepro.train.engine import snapshots

    p = art.spec["params"]
    n = p["n_eval"]
    rows, final_samples, stage_samples = [], {}, {}
    real = None
    for key, runs in art.runs.items():
        for run in runs:
            cfg = run.config
            ds_kw = {k: v for k, v in cfg["dataset"].items() if k != "name"}
            ds = data.build(cfg["dataset"]["name"], seed=p["eval_seed"], **ds_kw)
            real = ds.sample(n).numpy()
            modes, std = ds.modes.numpy(), ds.mode_std
            z = latent.draw(
                latent.law_of(cfg["method"]),
                n,
                cfg["G"]["nz"],
                generator=torch.Generator().manual_seed(p["eval_seed"]),
            )
            snaps = snapshots(run.dir)
            for k, sp in enumerate(snaps):
                G = _load_G(run, sp)
                with torch.no_grad():
                    x = G(z).numpy()
                it = int(sp.stem.split("_")[1])
                ok = bool(np.isfinite(x).all())
                st = mode_stats(x, modes, std, p["hq_k"]) if ok else {"modes_covered": 0, "pct_high_quality": 0.0}
                rows.append(
                    {
                        "run": key,
                        "method": cfg["method"]["name"],
                        "seed": run.seed,
                        "iteration": it,
                        "final": k == len(snaps) - 1,
                        **st,
                        "w1": w1_exact(x, real) if ok else math.nan,
                        "n_generated": n,
                        "n_real": n,
                    }
                )
                if run.seed == runs[0].seed:
                    stage_samples.setdefault(key, []).append((it, x))
            final_samples[key] = stage_samples[key][-1][1]
    df = pd.DataFrame(rows)

    keys = list(art.runs)
    n_stage = p["n_stage_panels"]
    fig, axes = plt.subplots(len(keys) + 1, n_stage, figsize=(3 * n_stage, 3 * (len(keys) + 1)), squeeze=False)
    lim = p["plot_limit"]
    gx, gy = np.mgrid[-lim:lim:100j, -lim:lim:100j]
    for r, key in enumerate(keys):
        stages = stage_samples[key]
        pick = np.unique(np.linspace(0, len(stages) - 1, n_stage).round().astype(int))
        for c, idx in enumerate(pick):
            it, x = stages[idx]
            ax = axes[r, c]
            _kde_contour(ax, x, gx, gy)
            ax.scatter(x[:500, 0], x[:500, 1], s=2, c="tab:blue", alpha=0.5)
            ax.scatter(real[:, 0], real[:, 1], s=1, c="tab:orange", alpha=0.2)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_title(f"{key} it {it}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    for c, (col, title) in enumerate(
        [
            ("w1", "exact W1 (2500 vs 2500)"),
            ("modes_covered", "modes covered"),
            ("pct_high_quality", "% high-quality"),
        ]
    ):
        if c >= n_stage:
            break
        ax = axes[-1, c]
        for key in keys:
            g = df[df.run == key].groupby("iteration")[col]
            m, s = g.mean(), g.std().fillna(0)
            ax.plot(m.index, m.values, label=key)
            ax.fill_between(m.index, m - s, m + s, alpha=0.2)
        ax.set_title(title + " (mean ± std over seeds)", fontsize=8)
        ax.set_xlabel("G iteration")
    axes[-1, 0].legend(fontsize=7)
    for c in range(3, n_stage):
        axes[-1, c].axis("off")
    fig.suptitle("WGAN Fig. 2: mixture of 8 Gaussians (green: KDE, blue: samples, orange: data)")
    return df, fig, {}


def _kde_contour(ax: Any, x: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
    from scipy.stats import gaussian_kde

    try:
        kde = gaussian_kde(x[:2500].T)
        zz = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
        ax.contourf(gx, gy, zz, levels=8, cmap="Greens")
    except (np.linalg.LinAlgError, ValueError):
        pass  # collapsed samples have a singular covariance: no KDE to draw, the scatter still shows them
