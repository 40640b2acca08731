"""WGAN paper Fig. 3: a trained GAN discriminator and WGAN critic on two 1-D Gaussians, and their gradients."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import kind

# torch, the data samplers and the training engine are imported inside the builders: validating and planning
# import this module for its declarations and must stay torch-free.


@kind(
    "optimal_critic_1d",
    params={
        "gan_run": {"type": "string"},
        "critic_run": {"type": "string"},
        "x_min": {"type": "number"},
        "x_max": {"type": "number"},
        "n_grid": {"type": "integer", "minimum": 2},
    },
    required=("gan_run", "critic_run", "x_min", "x_max", "n_grid"),
    columns=[
        "seed",
        "x",
        "region",
        "gan_D",
        "gan_grad",
        "gan_grad_rel",
        "wgan_critic",
        "wgan_grad",
        "wgan_grad_rel",
    ],
)
def optimal_critic(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Evaluate the trained GAN discriminator D(x) = sigmoid(logit) and WGAN critic on a grid, with |d/dx|."""
    import matplotlib.pyplot as plt  # here: validating imports this module
    import torch

    from ganrepro.train.engine import build_models, snapshots

    p = art.spec["params"]
    xs = torch.linspace(p["x_min"], p["x_max"], p["n_grid"]).unsqueeze(1)
    frames = []
    any_run = art.runs[p["gan_run"]][0].config
    real_mu, real_sd = any_run["dataset"]["mean"], any_run["dataset"]["std"]
    fake_mu, fake_sd = any_run["G"]["mean"], any_run["G"]["std"]
    region = np.full(len(xs), "between", dtype=object)
    xv = xs.squeeze(1).numpy()
    region[np.abs(xv - real_mu) <= 2 * real_sd] = "real"
    region[np.abs(xv - fake_mu) <= 2 * fake_sd] = "fake"
    region[
        (xv < min(real_mu - 2 * real_sd, fake_mu - 2 * fake_sd))
        | (xv > max(real_mu + 2 * real_sd, fake_mu + 2 * fake_sd))
    ] = "outside"
    for gan_run, w_run in zip(art.runs[p["gan_run"]], art.runs[p["critic_run"]], strict=True):
        vals = {}
        for name, run, fn in [("gan", gan_run, torch.sigmoid), ("wgan", w_run, lambda t: -t)]:
            # WGAN critic: the reference code's critic scores fakes high; -f is the paper's f (high on real)
            cfg = json.loads((run.dir / "config.json").read_text())
            _, D = build_models(cfg, "cpu")
            D.load_state_dict(torch.load(snapshots(run.dir)[-1], map_location="cpu", weights_only=True)["D"])
            x = xs.clone().requires_grad_(True)
            out = fn(D(x))
            (g,) = torch.autograd.grad(out.sum(), x)
            vals[name] = out.detach().numpy()
            vals[name + "_grad"] = g.abs().squeeze(1).numpy()
        frames.append(
            pd.DataFrame(
                {
                    "seed": gan_run.seed,
                    "x": xv,
                    "region": region,
                    "gan_D": vals["gan"],
                    "gan_grad": vals["gan_grad"],
                    "gan_grad_rel": vals["gan_grad"] / max(vals["gan_grad"].max(), 1e-30),
                    "wgan_critic": vals["wgan"],
                    "wgan_grad": vals["wgan_grad"],
                    "wgan_grad_rel": vals["wgan_grad"] / max(vals["wgan_grad"].max(), 1e-30),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    s0 = df[df.seed == df.seed.min()]
    dens = lambda mu, sd: np.exp(-0.5 * ((xv - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))  # noqa: E731
    ax.fill_between(
        xv,
        dens(real_mu, real_sd) / dens(real_mu, real_sd).max(),
        alpha=0.25,
        color="tab:blue",
        label="real density",
    )
    ax.fill_between(
        xv,
        dens(fake_mu, fake_sd) / dens(fake_mu, fake_sd).max(),
        alpha=0.25,
        color="tab:green",
        label="fake density",
    )
    ax.plot(xv, s0.gan_D, "r", label="GAN discriminator D(x)")
    c = s0.wgan_critic.to_numpy()
    ax.plot(xv, (c - c.min()) / max(c.max() - c.min(), 1e-30), "c", label="WGAN critic (rescaled to [0,1])")
    ax.set_xlabel("x")
    ax.legend(fontsize=7)
    ax.set_title("WGAN Fig. 3: optimal discriminator vs critic on two 1-D Gaussians")
    return df, fig, {}
