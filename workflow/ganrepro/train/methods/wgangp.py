"""WGAN-GP (Gulrajani et al.; docs/references.md §2): per-sample epsilon, penalty on the flattened input-gradient norm.

Sign convention of the GP reference: critic cost = mean f(fake) - mean f(real) + lambda * GP, G cost = -mean f(G(z)).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganrepro.train.methods import METHODS
from ganrepro.train.methods.base import Method


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """Batch mean of (||grad_x f(x_hat)||_2 - 1)^2 with x_hat = eps*real + (1-eps)*fake (docs/references.md §2.1-2.2,
    GP).

    ``eps`` has shape (B,): one interpolation weight per sample, broadcast over the non-batch dims. The norm runs
    over all non-batch dims with no epsilon inside the sqrt (as the reference). ``create_graph=True`` so the
    penalty can be backpropagated into the critic's parameters. The critic may return (B,) or (B, 1) scores.
    real and fake are detached: the penalty only trains the critic.
    """
    if eps.shape != real.shape[:1]:
        raise ValueError(f"eps must have shape (B,) = {tuple(real.shape[:1])}, got {tuple(eps.shape)}")
    e = eps.reshape(-1, *([1] * (real.dim() - 1))).to(real.dtype)
    x_hat = (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).pow(2).sum(1).sqrt()  # no epsilon inside the sqrt, as in the reference
    return ((norm - 1.0) ** 2).mean()


@METHODS.register("wgangp")
class WGANGP(Method):
    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        self.requires_grad(self.D, True)
        self.opt_D.zero_grad(set_to_none=True)
        fake = self.fake(real.shape[0])
        d_real = self.D(real).mean()
        d_fake = self.D(fake).mean()
        # eps ~ U[0, 1] per sample, drawn from the method's own noise stream (after the fake batch's noise)
        eps = self.interpolation_weights(real.shape[0])
        gp = gradient_penalty(self.D, real, fake, eps)
        cost = d_fake - d_real + self.hp["gp_lambda"] * gp
        cost.backward()
        self.opt_D.step()
        w = (d_real - d_fake).detach()
        return {"loss_D": cost.detach(), "gradient_penalty": gp.detach(), "W_estimate": w}

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        return self.generator_update(batch_size, lambda scores: -scores.mean())
