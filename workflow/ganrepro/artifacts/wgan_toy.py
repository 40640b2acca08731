"""The WGAN paper's toy figures: Fig. 1 (parallel lines), Fig. 2 (mixture of 8 Gaussians), Fig. 3 (optimal critic)."""

from __future__ import annotations

import json
import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ganrepro.artifacts import kind

# torch, the data samplers and the training engine are imported inside the builders: validating and planning
# import this module for its declarations and must stay torch-free.


# ---------------------------------------------------------------------------------------------- Fig. 1
def _hist_divergences(p: np.ndarray, q: np.ndarray) -> tuple[float, float, float]:
    """JS (standard 1/2 definition, nats), KL(p||q) and TV between two histograms."""
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        mask = a > 0
        if np.any(b[mask] == 0):
            return math.inf
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m), kl(p, q), 0.5 * float(np.abs(p - q).sum())


@kind(
    "parallel_lines_distances",
    params={"theta_min": {"type": "number"}, "theta_max": {"type": "number"}, "n_theta": {"type": "integer", "minimum": 1},
            "n_samples": {"type": "integer", "minimum": 2}, "bin_width": {"type": "number", "exclusiveMinimum": 0},
            "y_bins": {"type": "integer", "minimum": 1}, "seed": {"type": "integer", "minimum": 0}},
    required=("theta_min", "theta_max", "n_theta", "n_samples", "bin_width", "y_bins", "seed"),
    columns=["theta", "W_measured", "W_paper", "JS_measured", "JS_paper", "KL_measured", "KL_paper", "TV_measured",
             "TV_paper", "n_samples"],
)
def parallel_lines(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Measure EM (exact W1 with POT on samples), JS, KL and TV (on a histogram of the plane) between
    P0 = (0, Z) and P_theta = (theta, Z), and set them beside the paper's closed forms (Example 1)."""
    from ganrepro import data
    from ganrepro.measure.toy import w1_exact

    p = art.spec["params"]
    thetas = np.round(np.linspace(p["theta_min"], p["theta_max"], p["n_theta"]), 10)
    n, h = p["n_samples"], p["bin_width"]
    x_edges = np.arange(p["theta_min"] - h / 2, p["theta_max"] + h, h)  # x = 0 sits at a bin centre
    y_edges = np.linspace(0, 1, p["y_bins"] + 1)
    rows = []
    for i, th in enumerate(thetas):
        s0 = data.build("parallel_lines", seed=p["seed"] + 2 * i, theta=0.0).sample(n).numpy()
        s1 = data.build("parallel_lines", seed=p["seed"] + 2 * i + 1, theta=float(th)).sample(n).numpy()
        w = w1_exact(s0, s1)
        h0, _, _ = np.histogram2d(s0[:, 0], s0[:, 1], bins=[x_edges, y_edges])
        h1, _, _ = np.histogram2d(s1[:, 0], s1[:, 1], bins=[x_edges, y_edges])
        js, kl, tv = _hist_divergences(h0.ravel(), h1.ravel())
        same = th == 0
        rows.append(
            {
                "theta": th,
                "W_measured": w,
                "W_paper": abs(th),
                "JS_measured": js,
                "JS_paper": 0.0 if same else math.log(2),
                "KL_measured": kl,
                "KL_paper": 0.0 if same else math.inf,
                "TV_measured": tv,
                "TV_paper": 0.0 if same else 1.0,
                "n_samples": n,
            }
        )
    df = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for ax, name in zip(axes, ["W", "JS", "KL", "TV"], strict=True):
        meas = df[f"{name}_measured"].replace(math.inf, np.nan)
        paper = df[f"{name}_paper"].replace(math.inf, np.nan)
        ax.plot(df.theta, paper, "k--", lw=1, label="paper (closed form)")
        ax.plot(df.theta, meas, "o", ms=3, label="measured")
        if name == "KL":
            ax.set_title("KL: inf for theta != 0 (not drawn)")
        else:
            ax.set_title({"W": "EM / W1", "JS": "JS", "TV": "TV"}[name])
        ax.set_xlabel("theta")
    axes[0].legend(fontsize=7)
    fig.suptitle("WGAN Fig. 1: distances between P0 and P_theta (parallel lines)", y=1.03)  # above the panel titles
    return df, fig, {"data": "analytic (samples of Example 1)"}


# ---------------------------------------------------------------------------------------------- Fig. 2
def _load_G(run: Any, snap_path: Any) -> Any:
    import torch

    from ganrepro.train.engine import build_models

    cfg = json.loads((run.dir / "config.json").read_text())
    G, _ = build_models(cfg, "cpu")
    G.load_state_dict(torch.load(snap_path, map_location="cpu", weights_only=True)["G"])
    return G.train()  # reference nets are always used in train mode (SPEC §8.2, #15)


@kind(
    "toy_mixture",
    params={"n_eval": {"type": "integer", "minimum": 2}, "eval_seed": {"type": "integer", "minimum": 0},
            "hq_k": {"type": "number", "exclusiveMinimum": 0}, "n_stage_panels": {"type": "integer", "minimum": 1},
            "plot_limit": {"type": "number", "exclusiveMinimum": 0}},
    required=("n_eval", "eval_seed", "hq_k", "n_stage_panels", "plot_limit"),
    columns=["run", "method", "seed", "iteration", "final", "modes_covered", "pct_high_quality", "w1", "n_generated",
             "n_real"],
)
def toy_mixture(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Modes covered, % high-quality samples and exact W1 (2,500 vs 2,500) over training, per method and seed."""
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
            z = latent.draw(latent.law_of(cfg["method"]), n, cfg["G"]["nz"],
                            generator=torch.Generator().manual_seed(p["eval_seed"]))
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
    for c, (col, title) in enumerate([("w1", "exact W1 (2500 vs 2500)"), ("modes_covered", "modes covered"),
                                      ("pct_high_quality", "% high-quality")]):
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


# ---------------------------------------------------------------------------------------------- Fig. 3
@kind(
    "optimal_critic_1d",
    params={"gan_run": {"type": "string"}, "critic_run": {"type": "string"}, "x_min": {"type": "number"},
            "x_max": {"type": "number"}, "n_grid": {"type": "integer", "minimum": 2}},
    required=("gan_run", "critic_run", "x_min", "x_max", "n_grid"),
    columns=["seed", "x", "region", "gan_D", "gan_grad", "gan_grad_rel", "wgan_critic", "wgan_grad", "wgan_grad_rel"],
)
def optimal_critic(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Evaluate the trained GAN discriminator D(x) = sigmoid(logit) and WGAN critic on a grid, with |d/dx|."""
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
    region[(xv < min(real_mu - 2 * real_sd, fake_mu - 2 * fake_sd)) | (xv > max(real_mu + 2 * real_sd, fake_mu + 2 * fake_sd))] = "outside"
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
    ax.fill_between(xv, dens(real_mu, real_sd) / dens(real_mu, real_sd).max(), alpha=0.25, color="tab:blue", label="real density")
    ax.fill_between(xv, dens(fake_mu, fake_sd) / dens(fake_mu, fake_sd).max(), alpha=0.25, color="tab:green", label="fake density")
    ax.plot(xv, s0.gan_D, "r", label="GAN discriminator D(x)")
    c = s0.wgan_critic.to_numpy()
    ax.plot(xv, (c - c.min()) / max(c.max() - c.min(), 1e-30), "c", label="WGAN critic (rescaled to [0,1])")
    ax.set_xlabel("x")
    ax.legend(fontsize=7)
    ax.set_title("WGAN Fig. 3: optimal discriminator vs critic on two 1-D Gaussians")
    return df, fig, {}
