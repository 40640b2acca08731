"""The latent laws a generator's noise is drawn from (method config key `latent`), used by training, the
sample grids, evaluation and the toy figures alike."""

from __future__ import annotations

import torch

from ganrepro.core.errors import GanreproError

LAWS = ("normal", "uniform")  # N(0, I) as in WG and GP; U(-1, 1) as in BEGAN-tensorflow (docs/references.md)


def law_of(method_config: dict) -> str:
    return method_config.get("latent", "normal")


def draw(
    law: str, n: int, nz: int, generator: torch.Generator | None = None, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """n latent vectors of size nz; `generator` None draws from torch's global stream (seeded by the caller)."""
    if law == "normal":
        return torch.randn(n, nz, generator=generator, device=device)
    if law == "uniform":
        return torch.rand(n, nz, generator=generator, device=device) * 2 - 1
    raise GanreproError(f"method config key 'latent' is {law!r}; valid values: {', '.join(LAWS)}")
