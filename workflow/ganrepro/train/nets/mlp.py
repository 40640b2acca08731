"""4-layer ReLU MLP generator and critic of the WGAN reference code (WG models/mlp.py, docs/references.md §6.2)."""

from __future__ import annotations

import torch
from torch import nn

from ganrepro.train.nets import NETS
from ganrepro.train.nets.dcgan import ImageSize, image_hw, noise_2d

_ANY = "a positive int, or [H, W] with positive ints"


def _hidden(d_in: int, width: int) -> list[nn.Module]:
    # three (Linear, ReLU) pairs: plain ReLU, biases on, PyTorch default init (WG applies no custom init
    # to Linear layers, docs/references.md §1.1 'init')
    return [
        nn.Linear(d_in, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
    ]


@NETS.register("mlp_g")
class MLPGenerator(nn.Module):
    """WG mlp.py MLP_G: 3 hidden ReLU layers of `width` units, linear output reshaped to (B, C, H, W).

    No output nonlinearity (no tanh), as in WG. The paper uses width 512 (WG README: --ngf 512).
    """

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, nz: int = 100, width: int = 512) -> None:
        super().__init__()
        self.image_hw = image_hw("mlp_g", image_size, lambda h, w: True, _ANY)
        self.nz, self.channels = nz, channels
        out = channels * self.image_hw[0] * self.image_hw[1]
        self.main = nn.Sequential(*_hidden(nz, width), nn.Linear(width, out))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(noise_2d(z, self.nz)).reshape(z.shape[0], self.channels, *self.image_hw)


@NETS.register("mlp_d")
class MLPCritic(nn.Module):
    """WG mlp.py MLP_D: flatten, 3 hidden ReLU layers of `width` units, linear output; one score per sample.

    (WG returns the batch mean; the method averages.) The paper uses width 512 (pass --ndf 512 in WG).
    """

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, width: int = 512) -> None:
        super().__init__()
        self.image_hw = image_hw("mlp_d", image_size, lambda h, w: True, _ANY)
        self.channels = channels
        d_in = channels * self.image_hw[0] * self.image_hw[1]
        self.main = nn.Sequential(*_hidden(d_in, width), nn.Linear(width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x.reshape(x.shape[0], -1)).reshape(x.shape[0])
