"""Mode-count statistics of classified generated samples (SW-GAN §V, docs/references.md §5.4; KL to uniform as
docs/references.md §7.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ganrepro.core.errors import GanreproError


def class_stats(labels: Sequence[int] | np.ndarray | torch.Tensor, num_classes: int = 10) -> dict[str, Any]:
    """Statistics of predicted class labels of N generated samples, K = ``num_classes``:

    - ``categories``: number of distinct classes present (SW-GAN Table I "mode appearance").
    - ``mean_label``: mean predicted label (ideal (K-1)/2 = 4.5 for digits).
    - ``count_std``: sqrt(1/(K-1) * sum_i (n_i - n_bar)^2), n_bar = N/K, over all K classes (absent ones count
      0). SW-GAN eq. 21 prints the sum without the square, which is identically 0; docs/references.md §5.4 restores it
      (ddof 1).
    - ``kl_uniform``: KL(p_gen || uniform) = sum_i p_i log(K p_i), natural log, with 0 log 0 = 0.
    - ``counts``: n_i for i = 0..K-1; ``n``: N.
    """
    lab = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64).ravel()
    if lab.size == 0:
        raise GanreproError("class_stats needs at least one label")
    if lab.min() < 0 or lab.max() >= num_classes:
        raise GanreproError(f"labels must lie in 0..{num_classes - 1}; got {lab.min()}..{lab.max()}")
    counts = np.bincount(lab, minlength=num_classes).astype(np.float64)
    n = counts.sum()
    p = counts / n
    nz = p > 0
    return {
        "categories": int(nz.sum()),
        "mean_label": float(lab.mean()),
        "count_std": float(np.sqrt(((counts - n / num_classes) ** 2).sum() / (num_classes - 1))),
        "kl_uniform": float((p[nz] * np.log(num_classes * p[nz])).sum()),
        "counts": [int(c) for c in counts],
        "n": int(n),
        "num_classes": num_classes,
    }
