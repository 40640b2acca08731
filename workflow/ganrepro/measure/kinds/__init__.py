"""Metric kinds: one module per kind, each registering ``compute(ctx: EvalContext) -> dict`` under the kind's
name (ganrepro.spec.protocols.KIND_FACTS holds what the kind's name implies). ``Metric.__call__`` dispatches
with ``KINDS.get(kind)``, so a kind with no module here is an error, never a fallback to another kind.

A new kind: one row in KIND_FACTS and one module here (every module of this package is imported).
"""

from __future__ import annotations

from ganrepro.core.registry import Registry, import_submodules

KINDS = Registry("metric kind")
import_submodules(__name__, __path__)  # after KINDS exists: each module registers its kind
