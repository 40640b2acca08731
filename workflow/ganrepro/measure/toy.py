"""Mode coverage and exact W1 for 2-D mixtures (docs/references.md §7.3, VEEGAN/PacGAN definitions)."""

from __future__ import annotations

import numpy as np
import ot
import torch


def mode_stats(samples: np.ndarray, modes: np.ndarray, std: float, k: float = 3.0) -> dict[str, float]:
    """A sample is high quality if its per-dimension standardised distance to the nearest mode is < k;
    a mode is covered if it is the nearest mode of at least one high-quality sample."""
    z = (samples[:, None, :] - modes[None, :, :]) / std
    d = np.sqrt((z**2).sum(-1))  # (n, modes)
    nearest = d.argmin(1)
    hq = d[np.arange(len(samples)), nearest] < k
    return {
        "modes_covered": int(len(np.unique(nearest[hq]))),
        "pct_high_quality": float(100.0 * hq.mean()),
    }


def w1_exact(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 between two equal-weight empirical distributions (network simplex, Euclidean ground cost)."""
    M = ot.dist(a.astype(np.float64), b.astype(np.float64), metric="euclidean")
    return float(ot.emd2([], [], M, numItermax=10_000_000))


def mode_coverage(
    samples: np.ndarray | torch.Tensor, centers: np.ndarray | torch.Tensor, std: float, k: float = 3.0
) -> tuple[int, float]:
    """(modes covered, fraction of high-quality samples in [0, 1]) per docs/references.md §7.3, computed by
    ``mode_stats``."""
    s = samples.detach().cpu().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples)
    c = centers.detach().cpu().numpy() if isinstance(centers, torch.Tensor) else np.asarray(centers)
    st = mode_stats(s.astype(np.float64), c.astype(np.float64), float(std), k)
    return st["modes_covered"], st["pct_high_quality"] / 100.0
