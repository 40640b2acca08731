"""Class statistics of generated images as labelled by a LeNet-5 (categories hit, mean label, count spread,
KL to uniform)."""

from __future__ import annotations

from typing import Any

from ganrepro.measure.context import EvalContext, _load_classifier, _to_range
from ganrepro.measure.kinds import KINDS


@KINDS.register("class_stats")
def compute(ctx: EvalContext) -> dict[str, Any]:
    from ganrepro.measure.lenet import RESIZE, predict_lenet
    from ganrepro.measure.modes import class_stats

    p = ctx.protocol
    model, meta = _load_classifier(ctx.classifier)
    labels = predict_lenet(model, _to_range(ctx.images(p.n_gen), ctx.value_range, meta), device=ctx.device)
    stats = class_stats(labels, p.num_classes or 10)
    # "classifier" carries the LeNet's meta back to Metric.__call__, which records its file and accuracy
    return {
        "value": {k: stats[k] for k in ("categories", "mean_label", "count_std", "kl_uniform")},
        **stats,
        "n_generated": len(labels),
        "classifier": meta,
        "resize": RESIZE,
        "warnings": [],
    }
