"""Deterministic stand-in image data for smoke scale and tests. Never real data, and labelled so everywhere.

Each class is a fixed smooth random pattern (a 4x4 random map upsampled bilinearly) and each image is its class
pattern plus a little pixel noise, so a GAN has structure to learn and a classifier can separate the classes.
The pool depends only on `data_seed` (not on the run's seed), so all runs of a smoke DAG see the same data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganrepro.data import DATASETS, IndexedSampler


def standin_pool(
    n: int,
    image_size: int | list[int],
    channels: int,
    num_classes: int,
    value_range: list[float],
    data_seed: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    g = torch.Generator().manual_seed(data_seed)
    templates = F.interpolate(torch.rand(num_classes, channels, 4, 4, generator=g), size=(h, w), mode="bilinear")
    labels = torch.arange(n) % num_classes
    images = (templates[labels] + 0.1 * torch.randn(n, channels, h, w, generator=g)).clamp(0, 1)
    lo, hi = value_range
    return images * (hi - lo) + lo, labels


@DATASETS.register("standin_images")
class StandinImages(IndexedSampler):
    provenance = "stand-in (synthetic images, not real data)"

    def __init__(
        self,
        seed: int,
        image_size: int | list[int] = 32,
        channels: int = 1,
        num_classes: int = 10,
        n: int = 1024,
        value_range: list[float] | None = None,
        data_seed: int = 0,
    ) -> None:
        value_range = value_range or [-1.0, 1.0]
        images, labels = standin_pool(n, image_size, channels, num_classes, value_range, data_seed)
        super().__init__(seed, images, labels)
        self.value_range = (float(value_range[0]), float(value_range[1]))
