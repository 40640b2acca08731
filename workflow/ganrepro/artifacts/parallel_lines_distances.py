"""WGAN paper Fig. 1 / Example 1: EM, JS, KL and TV between two parallel lines, measured on samples."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import kind

# torch, the data samplers and the training engine are imported inside the builders: validating and planning
# import this module for its declarations and must stay torch-free.


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
    params={
        "theta_min": {"type": "number"},
        "theta_max": {"type": "number"},
        "n_theta": {"type": "integer", "minimum": 1},
        "n_samples": {"type": "integer", "minimum": 2},
        "bin_width": {"type": "number", "exclusiveMinimum": 0},
        "y_bins": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer", "minimum": 0},
    },
    required=("theta_min", "theta_max", "n_theta", "n_samples", "bin_width", "y_bins", "seed"),
    columns=[
        "theta",
        "W_measured",
        "W_paper",
        "JS_measured",
        "JS_paper",
        "KL_measured",
        "KL_paper",
        "TV_measured",
        "TV_paper",
        "n_samples",
    ],
)
def parallel_lines(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Measure EM (exact W1 with POT on samples), JS, KL and TV (on a histogram of the plane) between
    P0 = (0, Z) and P_theta = (theta, Z), and set them beside the paper's closed forms (Example 1)."""
    import matplotlib.pyplot as plt  # here: validating imports this module

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
