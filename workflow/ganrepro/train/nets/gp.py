"""DCGAN-style nets of the WGAN-GP reference code (GP gan_mnist.py, gan_cifar.py; docs/references.md §6.3, §2.2).

TF 'SAME' 5x5 stride-2 convs become padding=2 and deconvs ConvTranspose2d(k5, s2, padding=2,
output_padding=1): identical shapes, but TF pads the extra row/column bottom-right, so features are shifted by
one pixel relative to the reference (docs/references.md §2.2 'TF specifics'); not reproducible exactly in PyTorch.
Weights use the tflib uniform init (docs/references.md §6.3); BN starts at scale 1, offset 0 (PyTorch default), eps
1e-5.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganrepro.train.nets import NETS
from ganrepro.train.nets.dcgan import ImageSize, image_hw, noise_2d
from ganrepro.train.nets.toy import _tflib_uniform_


def _tflib_conv_(layer: nn.Conv2d | nn.ConvTranspose2d) -> None:
    # tflib Conv2D/Deconv2D with he_init: U[-s*sqrt(3), s*sqrt(3)], s = sqrt(4/(fan_in+fan_out)); stride^2
    # divides the fan of the low-resolution side (fan_out of a conv, fan_in of a deconv).
    k = layer.kernel_size[0] * layer.kernel_size[1]
    stride2 = layer.stride[0] * layer.stride[1]
    fan_in, fan_out = float(layer.in_channels * k), float(layer.out_channels * k)
    if isinstance(layer, nn.ConvTranspose2d):
        fan_in /= stride2
    else:
        fan_out /= stride2
    s = math.sqrt(4.0 / (fan_in + fan_out))
    with torch.no_grad():
        layer.weight.uniform_(-s * math.sqrt(3), s * math.sqrt(3))
        assert layer.bias is not None
        layer.bias.zero_()


def _tflib_init_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            _tflib_conv_(m)
        elif isinstance(m, nn.Linear):
            _tflib_uniform_(m, "glorot")  # tflib Linear default init


def _conv(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 5, 2, 2)


def _deconv(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(c_in, c_out, 5, 2, 2, output_padding=1)


def _fixed_size(net: str, image_size: ImageSize, size: int) -> None:
    # the layer geometry (4x4 base, MNIST's 8 -> 7 crop) only works at the reference resolution
    image_hw(net, image_size, lambda h, w: h == w == size, f"{size} (or [{size}, {size}])")


def _critic_body(channels: int, width: int, bn: bool) -> nn.Sequential:
    # shared by the MNIST and CIFAR critics: three stride-2 convs ending at 4x4, optional BN on convs 2 and 3
    def norm(c: int) -> list[nn.Module]:
        return [nn.BatchNorm2d(c)] if bn else []

    return nn.Sequential(
        _conv(channels, width),
        nn.LeakyReLU(0.2),
        _conv(width, 2 * width),
        *norm(2 * width),
        nn.LeakyReLU(0.2),
        _conv(2 * width, 4 * width),
        *norm(4 * width),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4 * width, 1),
    )


# ------------------------------------------------------------------------------------------------------
@NETS.register("gp_mnist_g")
class GPMNISTGenerator(nn.Module):
    """GP gan_mnist.py Generator (DIM = `width` 64, 128-d noise): Linear -> 4*DIM x 4x4, deconvs to 8
    (crop 7), 14, 28; ReLU; sigmoid output in [0, 1] (GP does not rescale MNIST).

    `bn`: BN after the Linear and after each of the two hidden deconvs (Generator.BN1, BN2, BN3; BN2 normalises
    the 8x8 map before the crop), which the reference has only in MODE 'wgan' (default False = wgan-gp).
    """

    def __init__(
        self, image_size: ImageSize = 28, channels: int = 1, nz: int = 128, width: int = 64, bn: bool = False
    ) -> None:
        super().__init__()
        _fixed_size("gp_mnist_g", image_size, 28)
        self.nz, self.width = nz, width
        self.fc = nn.Sequential(
            nn.Linear(nz, 4 * 4 * 4 * width), *([nn.BatchNorm1d(4 * 4 * 4 * width)] if bn else []), nn.ReLU()
        )

        def norm(c: int) -> list[nn.Module]:
            return [nn.BatchNorm2d(c)] if bn else []

        self.up1 = nn.Sequential(_deconv(4 * width, 2 * width), *norm(2 * width), nn.ReLU())
        self.up2 = nn.Sequential(
            _deconv(2 * width, width), *norm(width), nn.ReLU(), _deconv(width, channels), nn.Sigmoid()
        )
        _tflib_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(noise_2d(z, self.nz)).reshape(z.shape[0], 4 * self.width, 4, 4)
        h = self.up1(h)[:, :, :7, :7]  # GP crops 8x8 to 7x7 so that two more doublings give 28x28
        return self.up2(h)


@NETS.register("gp_mnist_d")
class GPMNISTCritic(nn.Module):
    """GP gan_mnist.py Discriminator (DIM 64): 5x5 stride-2 convs 28 -> 14 -> 7 -> 4, LeakyReLU 0.2,
    Linear -> 1.

    `bn`: BN after convs 2 and 3, which the reference has only in MODE 'wgan' (default False = wgan-gp).
    """

    def __init__(self, image_size: ImageSize = 28, channels: int = 1, width: int = 64, bn: bool = False) -> None:
        super().__init__()
        _fixed_size("gp_mnist_d", image_size, 28)
        self.channels = channels
        self.main = _critic_body(channels, width, bn)
        _tflib_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # GP feeds flattened 784-vectors and reshapes; accept both forms
        return self.main(x.reshape(x.shape[0], self.channels, 28, 28)).reshape(x.shape[0])


# ------------------------------------------------------------------------------------------------------
@NETS.register("gp_cifar_g")
class GPCIFARGenerator(nn.Module):
    """GP gan_cifar.py Generator (DIM = `width` 128, 128-d noise): Linear -> 4*DIM x 4x4, deconvs to 8, 16,
    32, BN + ReLU on every hidden layer, tanh output.

    The reference has BN in all modes (`bn` True); `bn: false` is our ablation, not a reference net.
    """

    def __init__(
        self, image_size: ImageSize = 32, channels: int = 3, nz: int = 128, width: int = 128, bn: bool = True
    ) -> None:
        super().__init__()
        _fixed_size("gp_cifar_g", image_size, 32)
        self.nz, self.width = nz, width

        def norm(c: int, dim: int) -> list[nn.Module]:
            return ([nn.BatchNorm1d(c)] if dim == 1 else [nn.BatchNorm2d(c)]) if bn else []

        # tflib normalises the Linear output per feature over the batch (axes [0]) -> BatchNorm1d
        self.fc = nn.Sequential(nn.Linear(nz, 4 * 4 * 4 * width), *norm(4 * 4 * 4 * width, 1), nn.ReLU())
        self.main = nn.Sequential(
            _deconv(4 * width, 2 * width),
            *norm(2 * width, 2),
            nn.ReLU(),
            _deconv(2 * width, width),
            *norm(width, 2),
            nn.ReLU(),
            _deconv(width, channels),
            nn.Tanh(),
        )
        _tflib_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(self.fc(noise_2d(z, self.nz)).reshape(z.shape[0], 4 * self.width, 4, 4))


@NETS.register("gp_cifar_d")
class GPCIFARCritic(nn.Module):
    """GP gan_cifar.py Discriminator (DIM 128): 5x5 stride-2 convs 32 -> 16 -> 8 -> 4, LeakyReLU 0.2,
    Linear -> 1. `bn`: BN after convs 2 and 3, which the reference has in every mode but wgan-gp
    (default False = wgan-gp)."""

    def __init__(self, image_size: ImageSize = 32, channels: int = 3, width: int = 128, bn: bool = False) -> None:
        super().__init__()
        _fixed_size("gp_cifar_d", image_size, 32)
        self.main = _critic_body(channels, width, bn)
        _tflib_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).reshape(x.shape[0])
