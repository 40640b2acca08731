"""Method registry. A method owns its critic step and generator step; the engine only loops.

Adding a method = one file here with a ``@METHODS.register(name)`` class + its defaults in config/methods.yaml.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ganrepro.core.registry import Registry, import_submodules
from ganrepro.train.methods.base import Method

METHODS = Registry("method")


def build(name: str, hp: dict[str, Any], G: nn.Module, D: nn.Module, seed: int, device: str) -> Method:
    return METHODS.get(name)(hp, G, D, seed=seed, device=device)


import_submodules(__name__, __path__)  # one file per method: importing it registers the method
