"""WGAN-GP (Gulrajani et al.; SPEC §2.2): per-sample epsilon, penalty on the flattened input-gradient norm.

Sign convention of the GP reference: critic cost = mean f(fake) - mean f(real) + lambda * GP, G cost = -mean f(G(z)).
"""

from __future__ import annotations

import torch

from . import METHODS
from .base import Method


def gradient_penalty(D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    b = real.shape[0]
    eps = torch.rand(b, *([1] * (real.dim() - 1)), generator=gen, device=real.device)
    x_hat = (real + eps * (fake - real)).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)  # no epsilon inside the sqrt, as in the reference
    return ((norm - 1.0) ** 2).mean()


@METHODS.register("wgangp")
class WGANGP(Method):
    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        self.requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        fake = self.fake(real.shape[0])
        d_real = self.D(real).mean()
        d_fake = self.D(fake).mean()
        gp = gradient_penalty(self.D, real, fake, self.noise_gen)
        cost = d_fake - d_real + self.hp["gp_lambda"] * gp
        cost.backward()
        self.opt_D.step()
        w = (d_real - d_fake).detach()
        return {"loss_D": cost.detach(), "gradient_penalty": gp.detach(), "W_estimate": w}

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        self.requires_grad(self.D, False)
        self.opt_G.zero_grad(set_to_none=True)
        loss_g = -self.D(self.G(self.noise(batch_size))).mean()
        loss_g.backward()
        self.opt_G.step()
        self.requires_grad(self.D, True)
        return {"loss_G": loss_g.detach()}
