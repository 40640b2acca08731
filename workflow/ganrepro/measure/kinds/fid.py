"""FID (pytorch-fid): generated images against reference statistics of real images, or TTUR mu/sigma."""

from __future__ import annotations

from typing import Any

from ganrepro.measure.context import EvalContext
from ganrepro.measure.kinds import KINDS


@KINDS.register("fid")
def compute(ctx: EvalContext) -> dict[str, Any]:
    from ganrepro.measure import fid
    from ganrepro.measure import inception as inc

    p = ctx.protocol
    w = inc.resolve_weights(inc.PYTORCH_FID, ctx.weights, scale=ctx.scale)
    if ctx.reference_npz:
        ref = fid.load_ttur_npz(ctx.reference_npz)
    else:
        ref = fid.reference_statistics(ctx.real, w, **ctx.reference_kwargs())
    with ctx.seeded():
        return fid.compute_fid(
            ctx.batches(p.n_gen),
            ref,
            w,
            value_range=ctx.value_range,
            device=ctx.device,
            batch_size=ctx.batch_size,
            progress=ctx.progress,
            total=p.n_gen,
            metric=ctx.metric,
        )
