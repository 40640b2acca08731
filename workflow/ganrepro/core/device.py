"""Which device a job runs on: config key `device` (auto | cpu | cuda) resolved once, the same way everywhere."""

from __future__ import annotations

from typing import Any

from ganrepro.core.errors import GanreproError


def resolve(name: Any = "auto") -> str:
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; 'cuda' without a GPU is an error naming the key."""
    import torch  # here, not at the top: core is imported by the torch-free spec layer

    name = str(name)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GanreproError("config key 'device' is 'cuda' but torch sees no CUDA device; use device=auto or cpu")
    return name
