"""WGAN with weight clipping, as the reference code does it (docs/references.md §1.1, WG main.py).

- every critic parameter is clamped to [-c, c] at the START of each critic step (WG main.py; `clip_timing:
  before_step`), or right after the optimizer step as igul222's gan_toy.py and gan_mnist.py do (`after_step`);
- WG's data loop (`critic_block_ends_with_epoch`, `keep_partial_batch`): a block of critic steps ends with the epoch
  and the epoch's short last batch is used (the engine reads these through `data_loop`);
- 100 critic steps for the first 25 G iterations and every 500th, else `critic_iters` (ganrepro.spec.schedule);
- real and fake batches go through the critic in separate forward passes;
- reference sign convention: the critic minimises mean f(real) - mean f(fake) (it scores fakes high) and G
  minimises mean f(G(z)); the logged W estimate is -Loss_D, as in the paper's curves.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganrepro.core.errors import GanreproError
from ganrepro.train.methods import METHODS
from ganrepro.train.methods.base import Method

CLIP_TIMINGS = ("before_step", "after_step")


@METHODS.register("wgan")
class WGAN(Method):
    def __init__(self, hp: dict[str, Any], G: nn.Module, D: nn.Module, seed: int, device: str) -> None:
        super().__init__(hp, G, D, seed, device)
        if hp["clip_timing"] not in CLIP_TIMINGS:
            raise GanreproError(
                f"method config key 'clip_timing' is {hp['clip_timing']!r}; valid values: {', '.join(CLIP_TIMINGS)}"
            )

    def _clamp(self) -> None:
        c = self.hp["clip"]
        with torch.no_grad():
            for p in self.D.parameters():
                p.clamp_(-c, c)

    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        after = self.hp["clip_timing"] == "after_step"
        if not after:
            self._clamp()
        self.requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        err_real = self.D(real).mean()
        # WG main.py draws a full batch of noise at every critic step, also beside an epoch's short last real batch
        # (tests/golden/wgan_mlp_partial.npz); other loops never see a short batch
        full = self.batch_size if self.data_loop()[1] and self.batch_size else real.shape[0]
        err_fake = self.D(self.fake(full)).mean()
        loss_d = err_real - err_fake
        loss_d.backward()
        self.opt_D.step()
        if after:
            self._clamp()
        d = loss_d.detach()
        return {
            "loss_D": d,
            "loss_D_real": err_real.detach(),
            "loss_D_fake": err_fake.detach(),
            "W_estimate": -d,
        }

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        return self.generator_update(batch_size, lambda scores: scores.mean())  # WG: G minimises mean f(G(z))
