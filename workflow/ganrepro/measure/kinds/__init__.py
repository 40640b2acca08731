"""Metric kinds: one module per kind, each registering ``compute(ctx: EvalContext) -> dict`` under the kind's
name (ganrepro.spec.protocols.KIND_FACTS holds what the kind's name implies). ``Metric.__call__`` dispatches
with ``KINDS.get(kind)``, so a kind with no module here is an error, never a fallback to another kind.

A new kind: one row in KIND_FACTS, one module here, and one import line below.
"""

from __future__ import annotations

from ganrepro.core.registry import Registry

KINDS = Registry("metric kind")

# Imported for their @KINDS.register side effect; they must come after KINDS exists.
from ganrepro.measure.kinds import class_stats, fd_lenet, fid, isc, kid  # noqa: E402, F401
