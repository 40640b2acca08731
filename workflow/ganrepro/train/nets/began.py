"""BEGAN generator and autoencoder discriminator (BT models.py, docs/references.md §4, §6.4) and the TV-WGAN paper's
homogeneous "BEGAN-like" critic (encoder only, one scalar per sample; docs/references.md §3 item 7).

Geometry: repeat_num = log2(H) - 2 blocks around a base map of 8 x (8 * W / H): 8x8 for square images and 8x6
for TV-WGAN's 64x48 CelebA (docs/references.md §3). All convs 3x3 with ELU; TF 'SAME' becomes padding=1 (same shapes;
the
stride-2 convs are shifted by one pixel since TF pads bottom/right only). Init: Xavier-uniform weights, zero
biases (slim defaults). No BN anywhere.
"""

from __future__ import annotations

import torch
from torch import nn

from ganrepro.train.nets import NETS
from ganrepro.train.nets.dcgan import ImageSize, image_hw, noise_2d

_VALID = "H a power of 2 >= 16 and W a multiple of H/8 (an int if square, or [H, W]; e.g. 32, 64, [64, 48])"


def _geometry(net: str, image_size: ImageSize) -> tuple[int, int, int, int, int]:
    """(H, W, base_h, base_w, repeat_num) for an image size."""

    def ok(h: int, w: int) -> bool:
        return h >= 16 and h & (h - 1) == 0 and w % (h // 8) == 0

    h, w = image_hw(net, image_size, ok, _VALID)
    repeat = h.bit_length() - 3  # log2(H) - 2
    f = 2 ** (repeat - 1)  # repeat - 1 resolution changes between the base map and the image
    return h, w, h // f, w // f, repeat


def _conv_elu(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, 1), nn.ELU()]


def _xavier_init_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


class _Encoder(nn.Module):
    """conv n; per block idx: two convs at n*(idx+1), then (all but the last block) a stride-2 conv at the
    same width; flatten base_h*base_w*n*repeat_num -> Linear to `out_dim` (no activation)."""

    def __init__(self, geom: tuple[int, int, int, int, int], channels: int, width: int, out_dim: int) -> None:
        super().__init__()
        _, _, bh, bw, repeat = geom
        layers = _conv_elu(channels, width)
        c = width
        for idx in range(repeat):
            c_blk = width * (idx + 1)
            layers += _conv_elu(c, c_blk) + _conv_elu(c_blk, c_blk)
            if idx < repeat - 1:
                layers += _conv_elu(c_blk, c_blk, stride=2)
            c = c_blk
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Linear(bh * bw * c, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(x).flatten(1))


class _Decoder(nn.Module):
    """Linear z -> n x base map (no activation); per block two convs at n with ELU, then nearest x2 upsampling
    except after the last block; final conv to `channels` with NO output activation (BT; BP adds an ELU)."""

    def __init__(self, geom: tuple[int, int, int, int, int], channels: int, width: int, nz: int) -> None:
        super().__init__()
        _, _, bh, bw, repeat = geom
        self.nz, self.width, self.base = nz, width, (bh, bw)
        self.fc = nn.Linear(nz, bh * bw * width)
        layers: list[nn.Module] = []
        for idx in range(repeat):
            layers += _conv_elu(width, width) + _conv_elu(width, width)
            if idx < repeat - 1:
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        layers.append(nn.Conv2d(width, channels, 3, 1, 1))
        self.convs = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.convs(self.fc(noise_2d(h, self.nz)).reshape(h.shape[0], self.width, *self.base))


@NETS.register("began_g")
class BEGANGenerator(nn.Module):
    """BT models.py GeneratorCNN: the decoder, z (`nz` = z_num, default 64) -> image; `width` = n (128)."""

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, nz: int = 64, width: int = 128) -> None:
        super().__init__()
        self.nz = nz
        self.decoder = _Decoder(_geometry("began_g", image_size), channels, width, nz)
        _xavier_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


@NETS.register("began_d")
class BEGANDiscriminator(nn.Module):
    """BT models.py DiscriminatorCNN: autoencoder; forward(x) is the reconstruction D(x), same shape as x.

    Encoder to a `nz`-d code (z_num), decoder with its own weights, same structure as the generator.
    """

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, nz: int = 64, width: int = 128) -> None:
        super().__init__()
        geom = _geometry("began_d", image_size)
        self.nz = nz
        self.encoder = _Encoder(geom, channels, width, nz)
        self.decoder = _Decoder(geom, channels, width, nz)
        _xavier_init_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


@NETS.register("began_critic")
class BEGANCritic(nn.Module):
    """TV-WGAN paper (Fig. 1) "BEGAN-like" homogeneous critic: the BT encoder without a decoder, its
    final Linear mapping to one score per sample (B,). Layer sizes are not in the paper; we reuse BT's
    (docs/references.md §3)."""

    def __init__(self, image_size: ImageSize = 64, channels: int = 3, width: int = 128) -> None:
        super().__init__()
        self.encoder = _Encoder(_geometry("began_critic", image_size), channels, width, 1)
        _xavier_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).reshape(x.shape[0])
