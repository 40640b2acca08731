"""What one metric evaluation hands to its kind (ganrepro.measure.kinds): the protocol in force and the call's
inputs, resolved once by ``Metric.__call__`` so that each kind file holds only its own computation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import sha256_file
from ganrepro.spec.protocols import MetricProtocol


def _load_classifier(classifier: Any) -> tuple[torch.nn.Module, dict[str, Any]]:
    from ganrepro.measure.lenet import load_lenet

    if classifier is None:
        raise GanreproError("this metric needs a LeNet-5 classifier (a path written by save_lenet, or (model, meta))")
    if isinstance(classifier, str | Path):
        model, meta = load_lenet(classifier)
        return model, {**meta, "file": str(classifier), "sha256": sha256_file(classifier)}
    model, meta = classifier
    return model, dict(meta)


def _to_range(x: torch.Tensor, value_range: tuple[float, float], meta: dict[str, Any]) -> torch.Tensor:
    """Map images from the GAN's value range to the one the LeNet was trained on (e.g. a sigmoid G's [0, 1]
    into a [-1, 1] classifier), so the classifier never sees inputs outside its training range."""
    lo, hi = (float(v) for v in value_range)
    clo, chi = (float(v) for v in meta.get("value_range", value_range))
    if (lo, hi) == (clo, chi):
        return x
    return (x - lo) / (hi - lo) * (chi - clo) + clo


@dataclass(frozen=True)
class EvalContext:
    """One evaluation's inputs. ``protocol`` is the protocol after any per-call overrides;
    ``real_value_range`` is already defaulted to ``value_range``; ``device`` is resolved; ``batch_size`` is
    the caller's (None lets each library pick), ``gen_batch_size`` the batch in which the generator is asked
    for images."""

    protocol: MetricProtocol
    metric: str
    generated: torch.Tensor | Callable[[int], torch.Tensor]
    value_range: tuple[float, float]
    dataset: str | None
    real: torch.Tensor | Callable[[], torch.Tensor] | None
    real_value_range: tuple[float, float]
    reference_npz: str | Path | None
    classifier: Any
    weights: Any
    scale: str
    device: torch.device
    cache_dir: str | Path | None
    batch_size: int | None
    gen_batch_size: int
    progress: bool

    @property
    def n_real(self) -> int | None:
        """The protocol's n_real as a count; None means the whole reference split."""
        n = self.protocol.n_real
        return None if n in (None, "all") else int(n)

    def reference_kwargs(self) -> dict[str, Any]:
        """What the real-image reference (statistics or features, cached on disk) is keyed and computed by."""
        p = self.protocol
        return {
            "dataset": self.dataset,
            "split": p.reference,
            "value_range": self.real_value_range,
            "n": self.n_real,
            "seed": p.seed,
            "device": self.device,
            "batch_size": self.batch_size,
            "cache_dir": self.cache_dir,
            "progress": self.progress,
        }

    def batches(self, n: int) -> Iterator[torch.Tensor]:
        """n generated images, lazily in gen_batch_size batches. Not seeded itself: consume it inside
        ``seeded()`` so the generator's random draws follow the protocol seed."""
        from ganrepro.measure import inception as inc

        return inc.generated_batches(self.generated, n, self.gen_batch_size)

    def seeded(self) -> AbstractContextManager[Any]:
        """torch's RNG seeded from the protocol seed on this device, for the duration of a with-block."""
        from ganrepro.measure import inception as inc

        return inc.seeded(self.protocol.seed, self.device)

    def images(self, n: int) -> torch.Tensor:
        """n generated images drawn under the protocol seed, as one tensor."""
        with self.seeded():
            return torch.cat(list(self.batches(n)))
