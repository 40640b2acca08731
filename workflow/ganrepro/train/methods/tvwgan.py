"""TV-WGAN (Zhang, Zhang & Gao, arXiv 1812.00810; docs/references.md §3): WGAN loss plus the margin term lambda*E|D(x) -
D(G(z)) - delta|.

Paper sign convention (eq. 13), NOT the WG code one: the critic D scores REAL samples high.
    L_D = -E D(x) + E D(G(z)) + lambda * E|D(x) - D(G(z)) - delta|,    L_G = -E D(G(z)).
The logged W_estimate is mean D(real) - mean D(fake) (the same quantity as WGAN's -Loss_D). With lambda = 1 the
critic loss is the hinge 2*max(0, delta - g) - delta in the gap g (docs/references.md §3 item 3): no critic gradient
once g >= delta.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganrepro.core.errors import GanreproError
from ganrepro.train.methods import METHODS
from ganrepro.train.methods.base import Method

PAIRINGS = ("per_sample", "batch_mean")


def critic_loss(
    d_real: torch.Tensor, d_fake: torch.Tensor, delta: float, lam: float, pairing: str = "per_sample"
) -> torch.Tensor:
    """Scalar L_D of the TV-WGAN paper eq. 13 from per-sample critic scores (B,) of a real and a fake batch.

    pairing="per_sample" (docs/references.md §3 item 2 REC): mean_i |D(x_i) - D(G(z_i)) - delta| over pairs of equal
    index;
    pairing="batch_mean": |mean D(x) - mean D(G(z)) - delta| (the ablation).
    """
    w = d_real.mean() - d_fake.mean()
    if pairing == "per_sample":
        if d_real.shape != d_fake.shape:
            raise ValueError(
                f"per-sample pairing needs equal shapes, got {tuple(d_real.shape)} and {tuple(d_fake.shape)}"
            )
        tv = (d_real - d_fake - delta).abs().mean()
    elif pairing == "batch_mean":
        tv = (w - delta).abs()
    else:
        raise GanreproError(f"tvwgan config key 'pairing' is {pairing!r}; valid values: {', '.join(PAIRINGS)}")
    return -w + lam * tv


@METHODS.register("tvwgan")
class TVWGAN(Method):
    def __init__(self, hp: dict[str, Any], G: nn.Module, D: nn.Module, seed: int, device: str) -> None:
        super().__init__(hp, G, D, seed=seed, device=device)
        if self.hp["pairing"] not in PAIRINGS:  # fail at build time, not after the first batch
            raise GanreproError(
                f"tvwgan config key 'pairing' is {self.hp['pairing']!r}; valid values: {', '.join(PAIRINGS)}"
            )

    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        hp = self.hp
        self.requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        fake = self.fake(real.shape[0])
        # separate real / fake passes, as the WGAN reference (BN statistics per batch in the DCGAN-like critic)
        d_real = self.D(real)
        d_fake = self.D(fake)
        loss_d = critic_loss(d_real, d_fake, hp["delta"], hp["tv_lambda"], hp["pairing"])
        loss_d.backward()
        self.opt_D.step()
        with torch.no_grad():
            gap = d_real - d_fake  # per-pair gaps g_i (the batch-mean gap is W_estimate)
            return {
                "loss_D": loss_d.detach(),
                "W_estimate": gap.mean(),
                "D_real": d_real.mean(),
                "D_fake": d_fake.mean(),
                "gap_std": gap.std() if gap.numel() > 1 else torch.zeros_like(gap.mean()),
                "gap_min": gap.min(),
                # share of pairs still inside the margin, i.e. the pairs that give the critic a gradient at lambda = 1
                "gap_below_delta": (gap < hp["delta"]).float().mean(),
            }

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        return self.generator_update(batch_size, lambda scores: -scores.mean())
