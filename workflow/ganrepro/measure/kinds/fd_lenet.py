"""Fréchet distance in the LeNet-5 feature space (SW-GAN): generated against real images, both mapped into the
classifier's value range."""

from __future__ import annotations

from typing import Any

from ganrepro.measure.context import EvalContext, _load_classifier, _to_range
from ganrepro.measure.kinds import KINDS


@KINDS.register("fd_lenet")
def compute(ctx: EvalContext) -> dict[str, Any]:
    from ganrepro.measure.fid import real_subset
    from ganrepro.measure.lenet import RESIZE, fd_lenet

    p = ctx.protocol
    model, meta = _load_classifier(ctx.classifier)
    real_t = ctx.real() if callable(ctx.real) else ctx.real
    real_t, how = real_subset(real_t, ctx.n_real, p.seed)
    out = fd_lenet(
        model,
        _to_range(ctx.images(p.n_gen), ctx.value_range, meta),
        _to_range(real_t, ctx.real_value_range, meta),
        device=ctx.device,
    )
    # "classifier" carries the LeNet's meta back to Metric.__call__, which records its file and accuracy
    out.update({"reference": f"{ctx.dataset} {p.reference} ({how})", "classifier": meta, "resize": RESIZE})
    return out
