"""Inception Score (torch-fidelity), kind "is": one draw, or the mean and spread over several draws."""

from __future__ import annotations

from typing import Any

import torch

from ganrepro.core.errors import GanreproError
from ganrepro.measure.context import EvalContext
from ganrepro.measure.kinds import KINDS


@KINDS.register("is")
def compute(ctx: EvalContext) -> dict[str, Any]:
    from ganrepro.measure import inception as inc
    from ganrepro.measure import isc

    p = ctx.protocol
    w = inc.resolve_weights(inc.TORCH_FIDELITY, ctx.weights, scale=ctx.scale)
    if p.draws == 1:
        with ctx.seeded():
            return isc.inception_score(
                ctx.batches(p.n_gen),
                w,
                value_range=ctx.value_range,
                splits=p.splits,
                device=ctx.device,
                batch_size=ctx.batch_size,
                progress=ctx.progress,
                total=p.n_gen,
                metric=ctx.metric,
            )
    if isinstance(ctx.generated, torch.Tensor):
        need = p.n_gen * p.draws
        if len(ctx.generated) < need:
            raise GanreproError(f"{ctx.metric} needs {need} images ({p.draws} draws of {p.n_gen})")
        draws = [ctx.generated[i * p.n_gen : (i + 1) * p.n_gen] for i in range(p.draws)]
    else:
        with ctx.seeded():  # one seeded stream: the draws are independent and reproducible
            draws = [torch.cat(list(ctx.batches(p.n_gen))) for _ in range(p.draws)]
    return isc.inception_score_draws(
        draws,
        w,
        value_range=ctx.value_range,
        splits=p.splits,
        device=ctx.device,
        batch_size=ctx.batch_size,
        progress=ctx.progress,
        metric=ctx.metric,
    )
