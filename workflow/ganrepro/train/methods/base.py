"""Base class for training methods, and the optimizer factory (settings always come from config)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import torch
from torch import nn

from ganrepro.core.errors import GanreproError
from ganrepro.spec import schedule
from ganrepro.train import latent


def make_optimizer(spec: dict[str, Any], params: Iterable[nn.Parameter]) -> torch.optim.Optimizer | None:
    params = [p for p in params if p.requires_grad]
    if not params:
        return None  # e.g. the parameter-free fixed generator of WGAN Fig. 3
    name = spec.get("name")
    # foreach: None lets torch pick its multi-tensor kernels on CUDA (same arithmetic); False is the plain
    # per-parameter loop of the reference code (`ganrepro bench` uses it for the reference-style loop)
    foreach = spec.get("foreach")
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=spec["lr"],
            alpha=spec["alpha"],
            eps=spec["eps"],
            momentum=spec.get("momentum", 0.0),
            foreach=foreach,
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"], foreach=foreach)
    raise GanreproError(f"unknown optimizer name {name!r} in method config; valid names: adam, rmsprop")


class Draws(Protocol):
    """Where a method's training draws come from when not from its own noise stream (ganrepro.train.replay.Feed
    replays the draws of a recorded run of the reference code)."""

    def latents(self, n: int, nz: int) -> torch.Tensor:
        """The next training latent batch, shape (n, nz)."""
        ...

    def interpolation_weights(self, n: int) -> torch.Tensor:
        """The next batch of WGAN-GP interpolation weights, shape (n,)."""
        ...


class Method:
    """Holds G, D, their optimizers and a noise generator. Subclasses implement the two steps.

    ``draws`` (default None: the method's own noise stream) supplies the training latents and the WGAN-GP
    interpolation weights instead; sample grids (an explicit ``generator``) never read it.
    """

    def __init__(self, hp: dict[str, Any], G: nn.Module, D: nn.Module, seed: int, device: str) -> None:
        self.hp, self.G, self.D, self.device = hp, G, D, device
        self.opt_D = make_optimizer(hp["optimizer_D"], D.parameters())
        self.opt_G = make_optimizer(hp["optimizer_G"], G.parameters())
        # A dedicated generator for latent noise, so its stream does not depend on anything else.
        self.noise_gen = torch.Generator(device=device).manual_seed(seed + 1_000_003)
        self.it = 0  # current G iteration (0-based), set by the engine through begin_iteration
        self.draws: Draws | None = None
        self.batch_size: int | None = None  # the run's batch size, set by the engine (train_iteration)

    def begin_iteration(self, g_iter: int) -> None:
        """Called by the engine before the critic steps of G iteration `g_iter` (schedules use self.it)."""
        self.it = g_iter

    # --- the two steps -------------------------------------------------------------------------------
    def n_critic(self, g_iter: int) -> int:
        """Critic steps of this G iteration: the schedule's one home is ganrepro.spec.schedule (the planner uses it
        to turn epochs into G iterations)."""
        return schedule.critic_steps(self.hp, g_iter)

    def data_loop(self) -> tuple[bool, bool]:
        """(a block of critic steps ends with the data epoch, an epoch's short last batch is used): True, True for
        WG's loop (wgan, swgan); False, False draws full batches endlessly, as the GP and BT loops do."""
        return schedule.data_loop(self.hp)

    def critic_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def generator_update(
        self, batch_size: int, loss_of: Callable[[torch.Tensor], torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """One G step on ``loss_of(D(G(z)))`` with the critic frozen (only G's gradients are needed): the step the
        standard GAN, WGAN, WGAN-GP and TV-WGAN share; they differ only in ``loss_of``."""
        self.requires_grad(self.D, False)
        self.opt_G.zero_grad(set_to_none=True)
        loss_g = loss_of(self.D(self.G(self.noise(batch_size))))
        loss_g.backward()
        self.opt_G.step()
        self.requires_grad(self.D, True)
        return {"loss_G": loss_g.detach()}

    # --- helpers --------------------------------------------------------------------------------------
    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent batch; `generator` defaults to the training noise stream (the engine passes its own for grids)."""
        if generator is None and self.draws is not None:
            return self.draws.latents(n, self.G.nz).to(self.device)
        gen = generator if generator is not None else self.noise_gen
        return latent.draw(latent.law_of(self.hp), n, self.G.nz, generator=gen, device=self.device)

    def interpolation_weights(self, n: int) -> torch.Tensor:
        """Per-sample U[0, 1) weights (WGAN-GP's epsilon), from the training noise stream unless ``draws`` is set."""
        if self.draws is not None:
            return self.draws.interpolation_weights(n).to(self.device)
        return torch.rand(n, generator=self.noise_gen, device=self.device)

    def fake(self, n: int) -> torch.Tensor:
        with torch.no_grad():
            return self.G(self.noise(n))

    @staticmethod
    def requires_grad(net: nn.Module, flag: bool) -> None:
        for p in net.parameters():
            p.requires_grad_(flag)

    # --- state for exact resume -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "opt_D": self.opt_D.state_dict() if self.opt_D else None,
            "opt_G": self.opt_G.state_dict() if self.opt_G else None,
            "noise_gen": self.noise_gen.get_state(),
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.opt_D and state["opt_D"]:
            self.opt_D.load_state_dict(state["opt_D"])
        if self.opt_G and state["opt_G"]:
            self.opt_G.load_state_dict(state["opt_G"])
        self.noise_gen.set_state(state["noise_gen"])
        self.load_extra_state(state.get("extra") or {})

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass
