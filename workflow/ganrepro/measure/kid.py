"""Kernel Inception Distance through torch-fidelity with its defaults (polynomial kernel degree 3,
gamma 1/d, coef0 1; 100 subsets of 1,000; unbiased MMD^2; rng_seed 2020), all recorded with the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganrepro.core.errors import GanreproError
from ganrepro.measure import fid
from ganrepro.measure import inception as inc


def kid_defaults() -> dict[str, Any]:
    """torch-fidelity's KID settings (torch_fidelity.defaults.DEFAULTS), read from the installed library."""
    from torch_fidelity.defaults import DEFAULTS

    keys = (
        "kid_subsets",
        "kid_subset_size",
        "kid_kernel",
        "kid_kernel_poly_degree",
        "kid_kernel_poly_gamma",
        "kid_kernel_poly_coef0",
        "rng_seed",
    )
    return {k: DEFAULTS[k] for k in keys}


def kid_from_features(
    features_gen: np.ndarray | torch.Tensor,
    features_real: np.ndarray | torch.Tensor,
    **settings: Any,
) -> tuple[float, float]:
    """(mean, std) over subsets of the unbiased MMD^2 via torch_fidelity.metric_kid.kid_features_to_metric;
    ``settings`` override torch-fidelity's kid_* defaults (e.g. kid_subset_size)."""
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    kwargs = {**kid_defaults(), **settings, "verbose": False}
    out = kid_features_to_metric(torch.as_tensor(features_gen), torch.as_tensor(features_real), **kwargs)
    return float(out[KEY_METRIC_KID_MEAN]), float(out[KEY_METRIC_KID_STD])


def real_features(
    real: fid.RealArg,
    weights: inc.InceptionWeights,
    *,
    dataset: str,
    split: str,
    value_range: tuple[float, float],
    n: int | None = None,
    seed: int | None = 0,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Real pool3 features (torch-fidelity), cached like the FID reference statistics (KID needs the features)."""
    key = {**fid.reference_key(weights, dataset=dataset, split=split, n=n, seed=seed), "what": "features"}

    def compute() -> dict[str, np.ndarray]:
        images = real() if callable(real) else real
        images, how = fid.real_subset(images, n, seed)
        feats = inc.extract_features(
            images, weights, value_range=value_range, device=device, batch_size=batch_size, progress=progress
        )["2048"]
        return {"features": feats.astype(np.float32), "subset": np.array(how)}

    arrays, hit, path = fid.cached_arrays(key, compute, cache_dir, prefix="reffeats")
    rec = {
        "reference": f"{dataset} {split} ({arrays['subset']}), features computed with {key['extractor']}",
        "reference_file": str(path),
        "reference_cache_hit": hit,
    }
    return arrays["features"], rec


def kernel_inception_distance(
    generated: inc.Images,
    real_feats: np.ndarray,
    weights: inc.InceptionWeights,
    *,
    value_range: tuple[float, float],
    reference: dict[str, Any] | None = None,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    progress: bool = True,
    total: int | None = None,
    metric: str = "kid",
    **settings: Any,
) -> dict[str, Any]:
    """KID of generated images against real torch-fidelity pool3 features. The subset size is lowered to the
    smaller sample size when needed (smoke scale), with a warning."""
    if weights.library != inc.TORCH_FIDELITY:
        raise GanreproError(f"KID is computed with torch-fidelity's network; got {weights.library} weights")
    warns = list(weights.warnings)
    fg = inc.extract_features(
        generated,
        weights,
        value_range=value_range,
        device=device,
        batch_size=batch_size,
        progress=progress,
        total=total,
    )["2048"].astype(np.float32)  # torch-fidelity's features are float32
    used = {**kid_defaults(), **settings}
    smallest = min(len(fg), len(real_feats))
    if used["kid_subset_size"] > smallest:
        warns.append(f"kid_subset_size {used['kid_subset_size']} > samples ({smallest}): lowered to {smallest}")
        used["kid_subset_size"] = smallest
    mean, std = kid_from_features(fg, real_feats, **used)
    return {
        "metric": metric,
        "value": mean,
        "std": std,
        "std_over": "subsets (ddof 0)",
        "n_generated": len(fg),
        "n_real": len(real_feats),
        **(reference or {"reference": "features given by the caller"}),
        **inc.protocol(weights, "2048"),
        "kid_settings": used,
        "kid_function": "torch_fidelity.metric_kid.kid_features_to_metric (unbiased MMD^2)",
        "value_range": list(value_range),
        "device": str(inc.resolve_device(device)),
        "warnings": warns,
    }
