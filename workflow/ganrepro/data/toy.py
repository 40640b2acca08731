"""Toy distributions. Recipes follow the WGAN-GP reference gan_toy.py (docs/references.md §7.1); constants come from
config/datasets.yaml, so the resolved run config shows them."""

from __future__ import annotations

import math
from typing import Any

import torch

from ganrepro.core.errors import GanreproError
from ganrepro.data import DATASETS, Sampler


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
        # per-coordinate std of the data actually produced (docs/references.md §7.1 REC): noise is divided too
        return self.std / self.divide

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
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

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, 1, generator=self.gen)


@DATASETS.register("parallel_lines")
class ParallelLines(Sampler):
    """WGAN Example 1: (theta, Z) with Z ~ U[0, 1]; theta = 0 is P0."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, theta: float = 0.0) -> None:
        super().__init__(seed)
        self.theta = theta

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        z = torch.rand(n, generator=self.gen)
        return torch.stack([torch.full_like(z, self.theta), z], dim=1)


@DATASETS.register("25gaussians")
class TwentyFiveGaussians(Sampler):
    """GP gan_toy.py '25gaussians' (docs/references.md §7.1): a FIXED set of `n` points, n/25 passes over the 5x5 grid
    {-2..2} * spacing, each point = centre + N(0, std^2 I); shuffled once; divided by `divide`; then read IN ORDER
    in batches, restarting from the first point when fewer than a batch remain (the reference's generator drops
    the tail and loops without reshuffling). The set is drawn from the run's seed, so a resumed run rebuilds it."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, n: int, spacing: float, std: float, divide: float) -> None:
        super().__init__(seed)
        if n % 25:
            raise GanreproError(f"dataset 25gaussians: n={n} must be a multiple of 25 (passes over the 5x5 grid)")
        self.spacing, self.std, self.divide = spacing, std, divide
        grid = torch.tensor([(x, y) for x in range(-2, 3) for y in range(-2, 3)], dtype=torch.float32) * spacing
        pts = grid.repeat(n // 25, 1) + std * torch.randn(n, 2, generator=self.gen)
        self.points = pts[torch.randperm(n, generator=self.gen)] / divide
        self.grid = grid
        self.pos = 0

    @property
    def modes(self) -> torch.Tensor:
        return self.grid / self.divide

    @property
    def mode_std(self) -> float:
        return self.std / self.divide

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        if n > len(self.points):
            raise ValueError(f"batch size {n} is larger than the 25gaussians set ({len(self.points)} points)")
        if self.pos + n > len(self.points):
            self.pos = 0
        out = self.points[self.pos : self.pos + n]
        self.pos += n
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state(), "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["gen"])
        self.pos = state["pos"]


@DATASETS.register("swissroll")
class SwissRoll(Sampler):
    """GP gan_toy.py 'swissroll' (docs/references.md §7.1): sklearn make_swiss_roll(n, noise=0.25), columns 0 and 2,
    divided by
    7.5, fresh every batch. scikit-learn is not a dependency, so its formula is implemented here:
    t = 1.5*pi*(1 + 2u), u ~ U[0, 1); x = t cos t, z = t sin t, each plus N(0, noise^2). (sklearn's middle column,
    21*U[0,1) plus noise, is dropped by the recipe.) Same distribution as sklearn, not the same random numbers."""

    provenance = "toy (analytic recipe)"

    def __init__(self, seed: int, noise: float, divide: float) -> None:
        super().__init__(seed)
        self.noise, self.divide = noise, divide

    def sample(self, n: int, keep_partial: bool = False) -> torch.Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=self.gen, dtype=torch.float64))
        xz = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        xz = xz + self.noise * torch.randn(n, 2, generator=self.gen, dtype=torch.float64)
        return (xz / self.divide).float()
