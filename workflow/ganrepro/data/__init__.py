"""Dataset registry. A dataset is a sampler: ``sample(n) -> Tensor`` plus ``state_dict`` for exact resume.

Every sampler carries ``provenance``: what the data is (toy recipe, real files, or a labelled stand-in).
"""

from __future__ import annotations

from typing import Any

import torch

from ..registry import Registry

DATASETS = Registry("dataset")


class Sampler:
    provenance: str = "unknown"

    def __init__(self, seed: int) -> None:
        self.gen = torch.Generator().manual_seed(seed)

    def sample(self, n: int) -> torch.Tensor:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["gen"])


def build(name: str, seed: int, **kwargs: Any) -> Sampler:
    return DATASETS.get(name)(seed=seed, **kwargs)


from . import toy  # noqa: E402,F401
