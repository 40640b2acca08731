"""Replay a recorded run through ganrepro's own training loop: given weights, real batches and random draws.

A run of the reference code (WG main.py, GP gan_toy.py) is recorded by ``tools/record_golden.py``: its initial
weights, the real batches its loop read, its latent batches and WGAN-GP interpolation weights in the order it drew
them, its loss after every critic and generator step and its final weights. ``replay`` builds the nets and the
method the way ``engine.train`` does, loads the recorded initial weights, and runs ``engine.train_iteration`` (the
production loop, not a copy) with the method's ``draws`` and the sampler taken from a ``Feed``. Any difference in
loop mechanics (critic schedule, clipping order, data loop, loss signs, optimizer) shows as a different loss or
final weight; a draw of another size than recorded stops the replay with ``ReplayMismatch``.

File format (``Recording.save``/``load``): one .npz (numpy, allow_pickle=False) with a JSON ``meta`` string, the
nets' tensors by position (``init_G.000`` ...; the names in meta, since the reference nets name layers differently),
the draws concatenated with their sizes, and either a finite image set plus the permutation of every epoch
(``images``, ``perms``; WG's DataLoader) or the batches themselves (``real``, ``real_sizes``; GP's endless toys).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ganrepro import data
from ganrepro.core.errors import GanreproError
from ganrepro.train import methods
from ganrepro.train.engine import build_models, train_iteration


class ReplayMismatch(GanreproError):
    """The loop asked for a draw or a batch the recorded run did not make (another size, or one too many)."""


class _Queue:
    """Recorded tensors handed out in order; each request must have the recorded size."""

    def __init__(self, what: str, items: Sequence[torch.Tensor]) -> None:
        self.what, self.items, self.used = what, list(items), 0

    def take(self, n: int) -> torch.Tensor:
        if self.used >= len(self.items):
            raise ReplayMismatch(f"{self.what} #{self.used}: the loop asked for one more than the recorded run drew")
        x = self.items[self.used]
        if x.shape[0] != n:
            raise ReplayMismatch(
                f"{self.what} #{self.used}: the loop asked for {n}, the recorded run drew {x.shape[0]}"
            )
        self.used += 1
        return x

    def left(self) -> int:
        return len(self.items) - self.used


class RecordedEpochs(data.IndexedSampler):
    """A finite image set read in the recorded epochs' orders (a fresh permutation per epoch, as the reference's
    shuffled DataLoader): the batching within an epoch is IndexedSampler's own."""

    provenance = "replay (recorded epochs)"

    def __init__(self, images: torch.Tensor, perms: Sequence[torch.Tensor]) -> None:
        self._perms = _Queue("epoch", perms)
        super().__init__(0, images)

    def new_permutation(self) -> torch.Tensor:
        return self._perms.take(len(self.images))

    def unused(self) -> dict[str, int]:
        return {"epochs": self._perms.left()}


class RecordedBatches(data.Sampler):
    """Real batches handed out in the recorded order (endless toy samplers)."""

    provenance = "replay (recorded batches)"

    def __init__(self, batches: Sequence[torch.Tensor]) -> None:
        super().__init__(0)
        self._batches = _Queue("real batch", batches)

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        return self._batches.take(n)

    def unused(self) -> dict[str, int]:
        return {"real_batches": self._batches.left()}


class Feed:
    """Everything random a run consumes, from outside: the sampler and a method's ``draws`` (base.Draws)."""

    def __init__(
        self,
        sampler: data.Sampler,
        latents: Sequence[torch.Tensor],
        interpolation_weights: Sequence[torch.Tensor] = (),
    ) -> None:
        self.sampler = sampler
        self._z = _Queue("latent batch", latents)
        self._eps = _Queue("interpolation-weight batch", interpolation_weights)

    def latents(self, n: int, nz: int) -> torch.Tensor:
        z = self._z.take(n)
        return z.reshape(n, nz)

    def interpolation_weights(self, n: int) -> torch.Tensor:
        return self._eps.take(n)

    def unused(self) -> dict[str, int]:
        """Recorded draws the replay did not consume (all zero when the loop drew exactly what the recording did)."""
        out = {"latents": self._z.left(), "interpolation_weights": self._eps.left()}
        if isinstance(self.sampler, RecordedEpochs | RecordedBatches):
            out |= self.sampler.unused()
        return out


@dataclass
class Result:
    critic: list[dict[str, float]]  # every critic step's losses, in order
    generator: list[dict[str, float]]  # every G step's losses
    critic_steps: list[int]  # critic steps of each G iteration
    G: dict[str, torch.Tensor]
    D: dict[str, torch.Tensor]
    unused: dict[str, int] = field(default_factory=dict)


def replay(
    cfg: dict[str, Any],
    init: dict[str, dict[str, torch.Tensor]],
    feed: Feed,
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
) -> Result:
    """Run ``cfg["iterations"]`` G iterations of the run config ``cfg`` (keys method, G, D, batch_size, seed, and
    optionally train_generator) from the weights ``init`` ({"G": state_dict, "D": state_dict}), with every real
    batch and random draw taken from ``feed``. The nets are cast to ``dtype`` before the optimizers are built."""
    G, D = build_models(cfg, device)
    G, D = G.to(dtype), D.to(dtype)
    G.load_state_dict(init["G"])
    D.load_state_dict(init["D"])
    method = methods.build(cfg["method"]["name"], cfg["method"], G, D, seed=cfg["seed"], device=device)
    method.draws = feed
    critic: list[dict[str, float]] = []
    gen: list[dict[str, float]] = []
    per_g: list[int] = []

    def keep(logs: dict[str, torch.Tensor]) -> None:
        critic.append({k: v.item() for k, v in logs.items()})

    train_g = cfg.get("train_generator", True)
    for it in range(cfg["iterations"]):
        before = len(critic)
        logs = train_iteration(method, feed.sampler, it, cfg["batch_size"], device, train_g, on_critic_step=keep)
        per_g.append(len(critic) - before)
        if train_g:
            gen.append({"loss_G": logs["loss_G"].item()})
    return Result(critic, gen, per_g, _cpu_state(G), _cpu_state(D), feed.unused())


def _cpu_state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}


# --- the golden file format -----------------------------------------------------------------------------
@dataclass
class Recording:
    """A recorded reference run (module docstring); ``meta["run"]`` holds what ganrepro needs to replay it."""

    meta: dict[str, Any]
    init: dict[str, list[np.ndarray]]  # "G", "D": state tensors in the reference net's order
    final: dict[str, list[np.ndarray]]
    latents: list[np.ndarray]
    interpolation_weights: list[np.ndarray]
    critic_losses: dict[str, np.ndarray]  # per critic step, names in ganrepro's log keys
    g_losses: dict[str, np.ndarray]
    images: np.ndarray | None = None  # epoch-read datasets: the whole set and one permutation per epoch
    perms: list[np.ndarray] = field(default_factory=list)
    real: list[np.ndarray] = field(default_factory=list)  # endless samplers: the batches

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for which, states in (("init", self.init), ("final", self.final)):
            for net, tensors in states.items():
                for i, t in enumerate(tensors):
                    arrays[f"{which}_{net}.{i:03d}"] = t
        for name, parts in (("z", self.latents), ("eps", self.interpolation_weights), ("real", self.real)):
            if parts:
                arrays[name] = np.concatenate(parts)
                arrays[f"{name}_sizes"] = np.array([len(p) for p in parts], dtype=np.int32)
        for name, losses in (("critic", self.critic_losses), ("g", self.g_losses)):
            for k, v in losses.items():
                arrays[f"loss_{name}.{k}"] = np.asarray(v)
        if self.images is not None:
            arrays["images"] = self.images
            arrays["perms"] = np.stack(self.perms).astype(np.int16 if len(self.images) < 2**15 else np.int32)
        np.savez_compressed(Path(path), meta=np.array(json.dumps(self.meta, sort_keys=True)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        with np.load(Path(path), allow_pickle=False) as f:
            a = {k: f[k] for k in f.files}
        meta = json.loads(str(a.pop("meta")))

        def split(name: str) -> list[np.ndarray]:
            if name not in a:
                return []
            return list(np.split(a[name], np.cumsum(a[f"{name}_sizes"])[:-1]))

        def states(which: str) -> dict[str, list[np.ndarray]]:
            return {net: [a[k] for k in sorted(k for k in a if k.startswith(f"{which}_{net}."))] for net in ("G", "D")}

        def losses(name: str) -> dict[str, np.ndarray]:
            pre = f"loss_{name}."
            return {k[len(pre) :]: v for k, v in a.items() if k.startswith(pre)}

        images = a.get("images")
        return cls(
            meta=meta,
            init=states("init"),
            final=states("final"),
            latents=split("z"),
            interpolation_weights=split("eps"),
            critic_losses=losses("critic"),
            g_losses=losses("g"),
            images=images,
            perms=list(a["perms"]) if images is not None else [],
            real=split("real"),
        )

    def state_dict(self, which: str, net: str, like: nn.Module, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """The recorded tensors of ``net`` ("G"/"D", ``which`` "init"/"final") under ``like``'s state names, by
        position; floating tensors in ``dtype``. Shapes must match: a different architecture is refused."""
        ours = like.state_dict()
        theirs = (self.init if which == "init" else self.final)[net]
        if len(ours) != len(theirs):
            raise GanreproError(f"{net}: ganrepro's net has {len(ours)} state tensors, the recording {len(theirs)}")
        out = {}
        for (k, v), t in zip(ours.items(), theirs, strict=True):
            if tuple(v.shape) != t.shape:
                raise GanreproError(f"{net}.{k}: ganrepro's shape {tuple(v.shape)}, recorded {t.shape}")
            x = torch.from_numpy(np.array(t))
            out[k] = x.to(dtype) if x.is_floating_point() else x
        return out

    def feed(self, dtype: torch.dtype) -> Feed:
        """A Feed of this recording's batches and draws, floating values in ``dtype``."""

        def tensors(parts: list[np.ndarray]) -> list[torch.Tensor]:
            return [torch.from_numpy(np.array(p)).to(dtype) for p in parts]

        if self.images is not None:
            perms = [torch.from_numpy(p.astype(np.int64)) for p in self.perms]
            sampler: data.Sampler = RecordedEpochs(torch.from_numpy(np.array(self.images)).to(dtype), perms)
        else:
            sampler = RecordedBatches(tensors(self.real))
        return Feed(sampler, tensors(self.latents), tensors(self.interpolation_weights))
