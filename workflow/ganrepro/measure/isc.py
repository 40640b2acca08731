"""Inception Score through torch-fidelity (docs/references.md §8.1, §5.4).

Logits are torch-fidelity's 'logits_unbiased' (pool3 times the 1008-class fc weight, no bias, as the OpenAI code),
and the score is torch-fidelity's own ``metric_isc.isc_features_to_metric``: float64 softmax, samples shuffled
with rng_seed 2020, then ``splits`` contiguous splits; mean and std (ddof 0) over splits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from ganrepro.core.errors import GanreproError
from ganrepro.measure import inception as inc

SPLITS = 10  # the standard 50k / 10-split protocol (torch-fidelity default isc_splits)
RNG_SEED = 2020  # torch-fidelity default rng_seed: shuffles samples before splitting


def inception_score_from_logits(
    logits: torch.Tensor | np.ndarray, splits: int = SPLITS, shuffle: bool = True, rng_seed: int = RNG_SEED
) -> tuple[float, float]:
    """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y))), via torch_fidelity.metric_isc.isc_features_to_metric."""
    from torch_fidelity.metric_isc import KEY_METRIC_ISC_MEAN, KEY_METRIC_ISC_STD, isc_features_to_metric

    logits = torch.as_tensor(logits)
    if logits.dim() != 2 or len(logits) < splits:
        raise GanreproError(f"IS needs N x classes logits with N >= splits ({splits}); got {tuple(logits.shape)}")
    out = isc_features_to_metric(logits, splits=splits, shuffle=shuffle, rng_seed=rng_seed)
    return float(out[KEY_METRIC_ISC_MEAN]), float(out[KEY_METRIC_ISC_STD])


def _protocol(weights: inc.InceptionWeights, splits: int, shuffle: bool, rng_seed: int) -> dict[str, Any]:
    return {
        **inc.protocol(weights, "logits_unbiased"),
        "splits": splits,
        "shuffle": f"torch-fidelity samples_shuffle (RandomState({rng_seed}))" if shuffle else "none",
        "is_function": "torch_fidelity.metric_isc.isc_features_to_metric (float64)",
    }


def _logits(
    images: inc.Images,
    weights: inc.InceptionWeights,
    value_range: tuple[float, float],
    device: str | torch.device,
    batch_size: int | None,
    progress: bool,
    total: int | None = None,
) -> np.ndarray:
    """torch-fidelity's 'logits_unbiased' of a set of images (the only network IS is defined with here)."""
    if weights.library != inc.TORCH_FIDELITY:
        raise GanreproError(f"IS is computed with torch-fidelity's network; got {weights.library} weights")
    return inc.extract_features(
        images,
        weights,
        value_range=value_range,
        features=("logits_unbiased",),
        device=device,
        batch_size=batch_size,
        progress=progress,
        total=total,
    )["logits_unbiased"]


def inception_score(
    generated: inc.Images,
    weights: inc.InceptionWeights,
    *,
    value_range: tuple[float, float],
    splits: int = SPLITS,
    shuffle: bool = True,
    rng_seed: int = RNG_SEED,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    progress: bool = True,
    total: int | None = None,
    metric: str = "is",
) -> dict[str, Any]:
    """IS of one set of generated images (docs/references.md §8.1): value = mean over splits, std = std over splits."""
    logits = _logits(generated, weights, value_range, device, batch_size, progress, total)
    mean, std = inception_score_from_logits(torch.from_numpy(logits), splits, shuffle, rng_seed)
    return {
        "metric": metric,
        "value": mean,
        "std": std,
        "std_over": "splits (ddof 0)",
        "n_generated": len(logits),
        "n_real": None,
        "reference": None,
        **_protocol(weights, splits, shuffle, rng_seed),
        "value_range": list(value_range),
        "device": str(inc.resolve_device(device)),
        "warnings": list(weights.warnings),
    }


def inception_score_draws(
    draws: Iterable[inc.Images],
    weights: inc.InceptionWeights,
    *,
    value_range: tuple[float, float],
    splits: int = 1,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    progress: bool = True,
    metric: str = "is_draws",
) -> dict[str, Any]:
    """SW-GAN protocol (docs/references.md §5.4 REC): IS of each independent draw with ``splits`` (1) per draw;
    value = mean over draws, std = std over draws (ddof 0, as over splits)."""
    scores, sizes = [], []
    for draw in draws:
        logits = _logits(draw, weights, value_range, device, batch_size, progress)
        scores.append(inception_score_from_logits(torch.from_numpy(logits), splits)[0])
        sizes.append(len(logits))
    if not scores:
        raise GanreproError("inception_score_draws got no draws")
    return {
        "metric": metric,
        "value": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "std_over": "draws (ddof 0)",
        "per_draw": scores,
        "draws": len(scores),
        "n_generated": sizes[0] if len(set(sizes)) == 1 else sizes,
        "n_real": None,
        "reference": None,
        **_protocol(weights, splits, True, RNG_SEED),
        "value_range": list(value_range),
        "device": str(inc.resolve_device(device)),
        "warnings": list(weights.warnings),
    }
