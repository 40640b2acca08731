"""Network registry: ``build(name, **kwargs)`` returns an ``nn.Module``.

Generators take noise of shape (B, nz) and expose ``nz``; critics/discriminators return one score per
sample, shape (B,). (The reference WGAN nets return the batch mean; methods take the mean themselves,
which is the same number and lets SW-GAN use per-sample scores later.)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ganrepro.core.registry import Registry

NETS = Registry("net")


def build(name: str, **kwargs: Any) -> nn.Module:
    return NETS.get(name)(**kwargs)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


from ganrepro.train.nets import began, dcgan, gp, mlp, toy  # noqa: E402,F401  (registers the nets)
