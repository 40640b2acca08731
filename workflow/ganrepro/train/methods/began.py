"""BEGAN as BEGAN-tensorflow does it (BT trainer.py; docs/references.md §4), the baseline of the TV-WGAN paper.

D is an autoencoder: D(v) is a reconstruction of v, L(v) = mean |v - D(v)| (L1 over all pixels and the batch).
    L_D = L(x) - k_t * L(G(z))  (updates D only),    L_G = L(G(z))  (updates G only; its gradient flows through D(G(z)))
    k_t <- clip(k_t + lambda_k * (gamma * L(x) - L(G(z))), 0, 1),   M_global = L(x) + |gamma * L(x) - L(G(z))|
BT updates D and G from the SAME forward pass in one combined step and then k_t (from that pass's losses), so the
whole update lives in critic_step (one per G iteration) and generator_step does nothing. D's gradient comes from
L_D only: the PyTorch port (BP) backpropagates L_D + L_G through D, which docs/references.md §4 calls a bug; we do not.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganrepro.train.methods import METHODS
from ganrepro.train.methods.base import Method


@METHODS.register("began")
class BEGAN(Method):
    def __init__(self, hp: dict[str, Any], G: nn.Module, D: nn.Module, seed: int, device: str) -> None:
        super().__init__(hp, G, D, seed=seed, device=device)
        # k_t stays a device tensor so the update needs no host sync (BT: a tf.Variable, k_0 from config)
        self.k_t = torch.tensor(float(hp["k_0"]), device=device)
        self._base_lr = {"D": float(hp["optimizer_D"]["lr"]), "G": float(hp["optimizer_G"]["lr"])}

    def begin_iteration(self, g_iter: int) -> None:
        super().begin_iteration(g_iter)
        self._set_lr()

    def lr_at(self, base_lr: float, it: int) -> float:
        """BT schedule: halve every `every` steps, never below `min_lr` (docs/references.md §4); constant when lr_decay
        is null.

        BT applies lr <- max(lr * factor, min_lr) after step every-1, 2*every-1, ...; closed form here, so it
        depends only on the step and resumes exactly.
        """
        sched = self.hp.get("lr_decay")
        if not sched:
            return base_lr
        n = it // int(sched["every"])
        return base_lr if n == 0 else max(base_lr * float(sched["factor"]) ** n, float(sched["min_lr"]))

    def _set_lr(self) -> None:
        for key, opt in (("D", self.opt_D), ("G", self.opt_G)):
            if opt is not None:
                lr = self.lr_at(self._base_lr[key], self.it)
                for group in opt.param_groups:
                    group["lr"] = lr

    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        hp = self.hp
        self.requires_grad(self.D, True)
        self.requires_grad(self.G, True)
        self.opt_D.zero_grad(set_to_none=True)
        self.opt_G.zero_grad(set_to_none=True)
        fake = self.G(self.noise(real.shape[0]))
        # one D pass over [G(z); x] like BT (BEGAN nets have no BN, so this equals two passes)
        rec = self.D(torch.cat([fake, real], 0))
        rec_fake, rec_real = rec[: fake.shape[0]], rec[fake.shape[0] :]
        l_real = (real - rec_real).abs().mean()
        l_fake = (fake - rec_fake).abs().mean()
        loss_d = l_real - self.k_t * l_fake
        loss_g = l_fake
        # separate gradients, as BT's var_lists: D from L_D only, G from L_G only
        d_params = [p for p in self.D.parameters() if p.requires_grad]
        g_params = [p for p in self.G.parameters() if p.requires_grad]
        loss_d.backward(inputs=d_params, retain_graph=True)
        loss_g.backward(inputs=g_params)
        self.opt_D.step()
        self.opt_G.step()
        with torch.no_grad():
            lx, lg = l_real.detach(), l_fake.detach()
            balance = hp["gamma"] * lx - lg
            # k_t from this step's (pre-update) losses, after both optimiser steps (BT control dependency)
            self.k_t = (self.k_t + hp["lambda_k"] * balance).clamp(0.0, 1.0)
            return {
                "loss_D": loss_d.detach(),
                "loss_G": loss_g.detach(),
                "loss_D_real": lx,
                "loss_D_fake": lg,
                "k_t": self.k_t.clone(),  # the value after this step's update
                "M_global": lx + balance.abs(),
            }

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        # G was already updated in critic_step from the same forward pass as D (BT's combined step); a second
        # G update here would double G's steps and use a fresh z, which BT never does.
        return {}

    def extra_state(self) -> dict[str, Any]:
        return {"k_t": self.k_t.detach().cpu().clone()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "k_t" in state:
            self.k_t = torch.as_tensor(state["k_t"], dtype=torch.float32).to(self.device).clone()
