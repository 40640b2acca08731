"""Toy distributions. Recipes follow the WGAN-GP reference gan_toy.py (SPEC §7.1); constants come from
config/datasets.yaml, so the resolved run config shows them."""

from __future__ import annotations

import math

import torch

from . import DATASETS, Sampler


def eight_gaussian_centres(radius_scale: float, divide: float) -> torch.Tensor:
    s = 1.0 / math.sqrt(2.0)
    base = torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)], dtype=torch.float32)
    return base * radius_scale / divide


@DATASETS.register("8gaussians")
class EightGaussians(Sampler):
    """Centre chosen uniformly, plus N(0, std^2 I), then the whole point divided by `divide` (GP recipe)."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, radius_scale: float, std: float, divide: float) -> None:
        super().__init__(seed)
        self.centres = eight_gaussian_centres(radius_scale, 1.0)
        self.std, self.divide = std, divide

    @property
    def modes(self) -> torch.Tensor:
        return self.centres / self.divide

    @property
    def mode_std(self) -> float:
        # per-coordinate std of the data actually produced (SPEC §7.1 REC): noise is divided too
        return self.std / self.divide

    def sample(self, n: int) -> torch.Tensor:
        idx = torch.randint(0, len(self.centres), (n,), generator=self.gen)
        pts = self.centres[idx] + self.std * torch.randn(n, 2, generator=self.gen)
        return pts / self.divide


@DATASETS.register("two_gaussians_1d")
class TwoGaussians1D(Sampler):
    """The real side of WGAN Fig. 3: N(mean, std^2) in 1-D (the fake side is the `fixed_gaussian` net)."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, mean: float, std: float) -> None:
        super().__init__(seed)
        self.mean, self.std = mean, std

    def sample(self, n: int) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, 1, generator=self.gen)


@DATASETS.register("parallel_lines")
class ParallelLines(Sampler):
    """WGAN Example 1: (theta, Z) with Z ~ U[0, 1]; theta = 0 is P0."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, theta: float = 0.0) -> None:
        super().__init__(seed)
        self.theta = theta

    def sample(self, n: int) -> torch.Tensor:
        z = torch.rand(n, generator=self.gen)
        return torch.stack([torch.full_like(z, self.theta), z], dim=1)
