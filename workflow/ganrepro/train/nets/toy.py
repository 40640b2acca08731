"""Toy MLPs of the WGAN-GP reference (gan_toy.py, docs/references.md §6.3) and a parameter-free 1-D Gaussian
'generator'."""

from __future__ import annotations

import math

import torch
from torch import nn

from ganrepro.train.nets import NETS


def _tflib_uniform_(layer: nn.Linear, mode: str) -> None:
    # tflib draws U[-s*sqrt(3), s*sqrt(3)] with s = sqrt(2/fan_in) ('he') or sqrt(2/(fan_in+fan_out)) ('glorot');
    # biases start at 0 (docs/references.md §6.3).
    fan_in, fan_out = layer.in_features, layer.out_features
    s = math.sqrt(2.0 / fan_in) if mode == "he" else math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        layer.weight.uniform_(-s * math.sqrt(3), s * math.sqrt(3))
        layer.bias.zero_()


class ToyMLP(nn.Module):
    """n_hidden x (Linear, ReLU) then a linear output layer; hidden layers 'he' init, output 'glorot'."""

    def __init__(self, in_dim: int, out_dim: int, width: int, n_hidden: int) -> None:
        super().__init__()
        dims = [in_dim] + [width] * n_hidden
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            lin = nn.Linear(a, b)
            _tflib_uniform_(lin, "he")
            layers += [lin, nn.ReLU()]
        out = nn.Linear(dims[-1], out_dim)
        _tflib_uniform_(out, "glorot")
        layers.append(out)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@NETS.register("toy_mlp_g")
class ToyGenerator(ToyMLP):
    def __init__(self, nz: int, out_dim: int, width: int, n_hidden: int) -> None:
        super().__init__(nz, out_dim, width, n_hidden)
        self.nz = nz


@NETS.register("toy_mlp_d")
class ToyCritic(ToyMLP):
    def __init__(self, in_dim: int, width: int, n_hidden: int) -> None:
        super().__init__(in_dim, 1, width, n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).squeeze(1)


@NETS.register("fixed_gaussian")
class FixedGaussian(nn.Module):
    """x = mean + std * z with constant mean/std: the fixed 'generator' of WGAN Fig. 3 (no parameters)."""

    def __init__(self, mean: float, std: float, dim: int = 1) -> None:
        super().__init__()
        self.nz = dim
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mean + self.std * z
