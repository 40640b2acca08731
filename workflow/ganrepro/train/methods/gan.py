"""Standard GAN with the non-saturating generator loss (-log D trick), as the WGAN paper's DCGAN baseline.

Also logs the WGAN paper's JS estimate (§4.3, Fig. 5): with L = E log D(x) + E log(1 - D(G(z))) the
discriminator's objective, 0.5 * L + log 2 is a lower bound of JS. L = -loss_D here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganrepro.train.methods import METHODS
from ganrepro.train.methods.base import Method


@METHODS.register("gan")
class GAN(Method):
    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        self.requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        logit_real = self.D(real)
        logit_fake = self.D(self.fake(real.shape[0]))
        # separate passes, as in the DCGAN reference (BN statistics per batch)
        loss_real = F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
        loss_fake = F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake))
        loss_d = loss_real + loss_fake
        loss_d.backward()
        self.opt_D.step()
        d = loss_d.detach()
        return {"loss_D": d, "JS_estimate": math.log(2.0) - 0.5 * d}

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        # non-saturating: -log D(G(z))
        return self.generator_update(
            batch_size, lambda logit: F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        )
