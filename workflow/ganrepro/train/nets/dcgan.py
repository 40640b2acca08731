"""DCGAN generators and critics of the WGAN reference code (WG models/dcgan.py, docs/references.md §6.1), plus the
constant-width no-BN generator the WGAN paper describes for Fig. 7 (docs/references.md §1.2).

Also home of two small helpers the other image nets share: ``image_hw`` (parse/validate ``image_size``)
and ``noise_2d`` (accept (B, nz) or (B, nz, 1, 1) noise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ganrepro.core.errors import GanreproError
from ganrepro.train.nets import NETS

ImageSize = int | Sequence[int]


# ------------------------------------------------------------------------------------------------------
# shared helpers
def image_hw(net: str, image_size: ImageSize, ok: Callable[[int, int], bool], valid: str) -> tuple[int, int]:
    """``image_size`` (int, or [H, W]) as (H, W).

    Raises GanreproError naming the net, the key and ``valid`` unless ok(H, W).
    """
    hw: tuple[int, int] | None = None
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        hw = (image_size, image_size)
    elif (
        isinstance(image_size, Sequence)
        and not isinstance(image_size, str)
        and len(image_size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in image_size)
    ):
        hw = (int(image_size[0]), int(image_size[1]))
    if hw is None or min(hw) < 1 or not ok(*hw):
        raise GanreproError(f"net {net}: image_size={image_size!r} is not supported; valid values: {valid}")
    return hw


def noise_2d(z: torch.Tensor, nz: int) -> torch.Tensor:
    """(B, nz) view of noise given as (B, nz) or (B, nz, 1, 1) (WG main.py draws the latter)."""
    if z.dim() not in (2, 4) or z.shape[1] != nz or math.prod(z.shape[1:]) != nz:
        raise ValueError(f"expected noise of shape (B, {nz}) or (B, {nz}, 1, 1), got {tuple(z.shape)}")
    return z.reshape(z.shape[0], nz)


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


_DCGAN_VALID = "a power of 2 >= 16 (16, 32, 64, 128, ...), square (an int, or [H, W] with H == W)"


def _dcgan_size(net: str, image_size: ImageSize) -> int:
    # WG asserts isize % 16 == 0 and grows a 4x4 map by doubling, so only powers of 2 >= 16 terminate.
    h, _ = image_hw(net, image_size, lambda h, w: h == w and h >= 16 and _is_pow2(h), _DCGAN_VALID)
    return h


def wg_init_(module: nn.Module) -> None:
    """WG main.py weights_init: conv/deconv weights ~ N(0, 0.02); BN scale ~ N(1, 0.02), shift 0.

    Draws from the global torch RNG, so build() after torch.manual_seed is reproducible.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# ------------------------------------------------------------------------------------------------------
# generators
class _DCGANGenerator(nn.Module):
    """4x4 map from a 4x4 full deconv of the noise, stride-2 deconvs (k4 p1) up to isize/2, optional
    3x3 'extra' convs, then a stride-2 deconv to `channels` and tanh. No biases anywhere (WG dcgan.py)."""

    def __init__(
        self,
        net: str,
        image_size: ImageSize,
        channels: int,
        nz: int,
        width: int,
        n_extra_layers: int,
        bn: bool,
        constant_width: bool,
    ) -> None:
        super().__init__()
        size = _dcgan_size(net, image_size)
        self.nz, self.image_size, self.channels = nz, size, channels
        n_up = size.bit_length() - 4  # stride-2 deconvs between the 4x4 map and the final layer
        # WG: start at ngf//2 and double once per size doubling from 4 to isize (= ngf * isize / 8),
        # then halve per upsampling so the last hidden layer has ngf maps. Paper Fig. 7: constant width.
        c = width if constant_width else (width // 2) * 2 ** (n_up + 1)

        def block(conv: nn.Module, c_out: int) -> list[nn.Module]:
            return [conv, *([nn.BatchNorm2d(c_out)] if bn else []), nn.ReLU()]

        layers = block(nn.ConvTranspose2d(nz, c, 4, 1, 0, bias=False), c)
        for _ in range(n_up):
            c_next = c if constant_width else c // 2
            layers += block(nn.ConvTranspose2d(c, c_next, 4, 2, 1, bias=False), c_next)
            c = c_next
        for _ in range(n_extra_layers):  # WG: 3x3 stride-1 convs at constant width after the pyramid
            layers += block(nn.Conv2d(c, c, 3, 1, 1, bias=False), c)
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        wg_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(noise_2d(z, self.nz)[:, :, None, None])


@NETS.register("dcgan_g")
class DCGANGenerator(_DCGANGenerator):
    """WG dcgan.py DCGAN_G: BN + ReLU after every hidden deconv, tanh output."""

    def __init__(
        self,
        image_size: ImageSize = 64,
        channels: int = 3,
        nz: int = 100,
        width: int = 64,
        n_extra_layers: int = 0,
    ) -> None:
        super().__init__("dcgan_g", image_size, channels, nz, width, n_extra_layers, bn=True, constant_width=False)


@NETS.register("dcgan_g_nobn")
class DCGANGeneratorNoBN(_DCGANGenerator):
    """WG dcgan.py DCGAN_G_nobn (--noBN): the same doubling pyramid as DCGAN_G, only BN removed."""

    def __init__(
        self,
        image_size: ImageSize = 64,
        channels: int = 3,
        nz: int = 100,
        width: int = 64,
        n_extra_layers: int = 0,
    ) -> None:
        super().__init__(
            "dcgan_g_nobn", image_size, channels, nz, width, n_extra_layers, bn=False, constant_width=False
        )


@NETS.register("dcgan_g_const")
class DCGANGeneratorConst(_DCGANGenerator):
    """WGAN paper Fig. 7 / §4.4 generator: no BN, the same number of filters (`width`) at every hidden layer.

    OUR construction (docs/references.md §1.2): WG has no such net and the paper does not give the width; we keep the
    DCGAN_G layer geometry, drop BN and use `width` (default 64) maps everywhere.
    """

    def __init__(
        self,
        image_size: ImageSize = 64,
        channels: int = 3,
        nz: int = 100,
        width: int = 64,
        n_extra_layers: int = 0,
    ) -> None:
        super().__init__(
            "dcgan_g_const", image_size, channels, nz, width, n_extra_layers, bn=False, constant_width=True
        )


# ------------------------------------------------------------------------------------------------------
# critics
class _DCGANCritic(nn.Module):
    """Stride-2 convs (k4 p1) doubling the width down to a 4x4 map, then a 4x4 valid conv to one score.
    LeakyReLU 0.2, no biases, no BN on the first conv (WG dcgan.py)."""

    def __init__(
        self, net: str, image_size: ImageSize, channels: int, width: int, n_extra_layers: int, bn: bool
    ) -> None:
        super().__init__()
        size = _dcgan_size(net, image_size)
        self.image_size, self.channels = size, channels

        def block(conv: nn.Module, c_out: int) -> list[nn.Module]:
            return [conv, *([nn.BatchNorm2d(c_out)] if bn else []), nn.LeakyReLU(0.2)]

        c, size = width, size // 2
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        for _ in range(n_extra_layers):  # WG: 3x3 convs right after the first conv, at its width
            layers += block(nn.Conv2d(c, c, 3, 1, 1, bias=False), c)
        while size > 4:
            layers += block(nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), 2 * c)
            c, size = 2 * c, size // 2
        layers.append(nn.Conv2d(c, 1, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        wg_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # WG returns the batch mean; we return the per-sample scores (B,) and let the method average.
        return self.main(x).reshape(x.shape[0])


@NETS.register("dcgan_d")
class DCGANCritic(_DCGANCritic):
    """WG dcgan.py DCGAN_D: BN + LeakyReLU(0.2) after every conv but the first and the last."""

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, width: int = 64, n_extra_layers: int = 0) -> None:
        super().__init__("dcgan_d", image_size, channels, width, n_extra_layers, bn=True)


@NETS.register("dcgan_d_nobn")
class DCGANCriticNoBN(_DCGANCritic):
    """WG dcgan.py DCGAN_D_nobn: DCGAN_D without BN (defined in WG but never used by main.py;
    docs/references.md §1.2)."""

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, width: int = 64, n_extra_layers: int = 0) -> None:
        super().__init__("dcgan_d_nobn", image_size, channels, width, n_extra_layers, bn=False)
