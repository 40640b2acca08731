"""SW-GAN (Chen & Hou; docs/references.md §5): the WGAN critic step, and a generator step driven by amortised SVGD.

Generator step (docs/references.md §5.3, SW-GAN paper Alg. 1 lines 9-11, eq. 18-19): for m generated samples x_i,
    phi_i = (1/m) sum_j [ alpha * k(x_j, x_i) * s_j + beta * grad_{x_j} k(x_j, x_i) ],  k(a, b) = exp(-||a-b||^2 / h)
with s_j the gradient of the paper's critic (high on REAL data) at x_j, h = (0.6 * median pairwise distance)^2 / ln m,
and G is trained on the surrogate L = -(1/m) sum_i <x_i, phi_i> (phi held constant), whose theta-gradient is
Alg. 1's g_theta = -(1/m) sum_i J_i^T phi_i.

Our critic keeps the WG code sign (it scores fakes high; f_paper = -f_code), so s = -grad f_code (docs/references.md
§5.3 step 8).
"""

from __future__ import annotations

import math

import torch

from ganrepro.train.methods import METHODS
from ganrepro.train.methods.wgan import WGAN

# Floor on h: if every generated sample is identical the median distance is 0 and h = 0 would give 0/0 in K.
# With the floor K = 1 and the repulsion is exactly 0 for identical samples (their differences are 0).
_H_FLOOR = 1e-12


def _sq_dists(x: torch.Tensor) -> torch.Tensor:
    # exact pairwise differences (not the |a|^2 + |b|^2 - 2ab expansion, which cancels badly for near-duplicates),
    # so the diagonal is exactly 0
    return torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist").pow(2)


def median_pairwise_distance(x: torch.Tensor) -> torch.Tensor:
    """Median of the m(m-1)/2 off-diagonal Euclidean distances of the flattened samples x (m, ...).

    The median of an even number of values is the mean of the two middle ones (torch.quantile 0.5), as numpy
    would give; torch.median would return the lower one (docs/references.md §5.3 step 4).
    """
    x = x.detach().flatten(1)
    x = x.to(torch.promote_types(x.dtype, torch.float32))  # at least fp32 (docs/references.md §5.3 step 4), fp64 kept
    m = x.shape[0]
    if m < 2:
        raise ValueError("the SVGD bandwidth needs at least 2 samples")
    iu = torch.triu_indices(m, m, offset=1, device=x.device)
    d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")[iu[0], iu[1]]
    return torch.quantile(d, 0.5)


def bandwidth(x: torch.Tensor, factor: float = 0.6) -> torch.Tensor:
    """h = (factor * median pairwise distance)^2 / ln m (SW-GAN paper §V, docs/references.md §5.3 step 4); a
    0-dim tensor."""
    m = x.shape[0]
    return (factor * median_pairwise_distance(x)) ** 2 / math.log(m)


def svgd_phi(
    x: torch.Tensor, score_grad: torch.Tensor, alpha: float, beta: float, h: torch.Tensor | float
) -> torch.Tensor:
    """phi of the SW-GAN paper eq. 18 (docs/references.md §5.3 steps 5-6) for particles x (m, d) and score gradients (m,
    d), f high on real.

    phi_i = (1/m) [ alpha * sum_j K_ij score_grad_j + beta * (2/h) * sum_j K_ij (x_i - x_j) ],  K_ij =
    exp(-||x_i-x_j||^2/h).
    The second sum is sum_j grad_{x_j} k(x_j, x_i) written out.
    """
    m = x.shape[0]
    K = torch.exp(-_sq_dists(x) / h)
    drive = K @ score_grad
    # sum_j K_ij (x_i - x_j) = x_i * rowsum(K)_i - (K x)_i
    repulse = x * K.sum(1, keepdim=True) - K @ x
    return (alpha * drive + beta * (2.0 / h) * repulse) / m


@METHODS.register("swgan")
class SWGAN(WGAN):
    """Critic step, clipping and the 100/5 critic-iteration rule are WGAN's; only the G step differs."""

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        hp = self.hp
        self.requires_grad(self.D, False)  # critic frozen: only input gradients are needed (step 3)
        self.opt_G.zero_grad(set_to_none=True)
        x = self.G(self.noise(batch_size))  # step 1: train-mode BN, graph kept
        m = x.shape[0]
        xd = x.detach().requires_grad_(True)  # step 2
        scores = self.D(xd)  # per-sample f_code, shape (m,)
        (grad_f,) = torch.autograd.grad(scores.sum(), xd)
        X = xd.detach().flatten(1).float()
        score_grad = -grad_f.flatten(1).float()  # step 8: f_paper = -f_code
        h_raw = bandwidth(X, hp["bandwidth_factor"])  # step 4
        h = h_raw.clamp_min(_H_FLOOR)
        phi = svgd_phi(X, score_grad, hp["alpha"], hp["beta"], h)  # steps 5-6, a constant
        # step 7: L = -(1/m) sum_i <x_i, phi_i> on the non-detached output; grad_theta L = g_theta of Alg. 1
        surrogate = -(x.flatten(1) * phi.to(x.dtype)).sum() / m
        surrogate.backward()
        self.opt_G.step()
        self.requires_grad(self.D, True)
        with torch.no_grad():
            return {
                "loss_G": scores.detach().mean(),  # WGAN's generator loss mean f_code(G(z)), for comparability
                "loss_G_surrogate": surrogate.detach(),
                "svgd_h": h,
                "median_dist": (h_raw * math.log(m)).sqrt() / hp["bandwidth_factor"],  # undoes bandwidth()
                "phi_norm": phi.norm(dim=1).mean(),  # mean per-sample ||phi_i||
            }
