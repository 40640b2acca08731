"""KID (torch-fidelity): generated images against cached Inception features of real images."""

from __future__ import annotations

from typing import Any

from ganrepro.measure.context import EvalContext
from ganrepro.measure.kinds import KINDS


@KINDS.register("kid")
def compute(ctx: EvalContext) -> dict[str, Any]:
    from ganrepro.measure import inception as inc
    from ganrepro.measure import kid

    p = ctx.protocol
    w = inc.resolve_weights(inc.TORCH_FIDELITY, ctx.weights, scale=ctx.scale)
    feats, ref_rec = kid.real_features(ctx.real, w, **ctx.reference_kwargs())
    with ctx.seeded():
        return kid.kernel_inception_distance(
            ctx.batches(p.n_gen),
            feats,
            w,
            value_range=ctx.value_range,
            reference=ref_rec,
            device=ctx.device,
            batch_size=ctx.batch_size,
            progress=ctx.progress,
            total=p.n_gen,
            metric=ctx.metric,
        )
