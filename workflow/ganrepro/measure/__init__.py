"""Evaluation metrics. ``METRICS`` maps a protocol name (``fid10k_train``, ``is1k_x10_swgan``, ...) to a
callable ``Metric`` built from config/metrics.yaml; a new protocol is one config entry. ``Metric.__call__``
does what every kind shares (overrides, device, the result record) and hands an ``EvalContext`` to the kind's
``compute`` in ``kinds/`` (one module per kind, registered in ``KINDS``); a new kind is one module there.

Image metrics come from the libraries: FID through pytorch-fid (``fid``), IS and KID through torch-fidelity
(``isc``, ``kid``), with offline hash-checked Inception weights (``inception``). ``lenet`` holds the SW-GAN
LeNet-5 classifier and the LeNet Fréchet distance, ``modes`` the class statistics, ``toy`` the 2-D mixture
metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from ganrepro.core.errors import GanreproError
from ganrepro.core.registry import Registry
from ganrepro.measure.context import EvalContext, _load_classifier, _to_range
from ganrepro.measure.kinds import KINDS
from ganrepro.spec.protocols import KIND_FACTS, MetricProtocol, check_protocol, load_protocols

__all__ = [
    "KINDS",
    "METRICS",
    "EvalContext",
    "Metric",
    "build_registry",
    "load_protocols",
    "_load_classifier",
    "_to_range",
]


class Metric:
    """A named evaluation protocol. Call it with the generated images and what the protocol needs."""

    def __init__(self, protocol: MetricProtocol) -> None:
        self.protocol = protocol
        self.name = protocol.name

    def __repr__(self) -> str:
        return f"Metric({self.name!r}, kind={self.protocol.kind!r})"

    def __call__(
        self,
        generated: torch.Tensor | Callable[[int], torch.Tensor],
        *,
        value_range: tuple[float, float] = (-1.0, 1.0),
        dataset: str | None = None,
        real: torch.Tensor | Callable[[], torch.Tensor] | None = None,
        real_value_range: tuple[float, float] | None = None,
        reference_npz: str | Path | None = None,
        classifier: Any = None,
        weights: Any = None,
        scale: str = "smoke",
        device: str | torch.device = "auto",
        cache_dir: str | Path | None = None,
        batch_size: int | None = None,
        progress: bool = True,
        overrides: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Evaluate. ``generated``: a tensor with at least n_gen (x draws) images in ``value_range``, or a
        sampler ``sample(k) -> images`` (called under no_grad with torch's RNG seeded from the protocol seed;
        it decides G's train/eval mode). ``real``: the reference split (tensor or a callable returning it,
        read only when the cache misses) for fid/kid/fd_lenet, named by ``dataset``; for FID ``reference_npz``
        (TTUR mu/sigma) may replace it. ``classifier``: LeNet-5 for fd_lenet/class_stats. ``weights``:
        Inception weights (None = the torch.hub folder; a folder; a file; or {library: file}). ``overrides``:
        protocol keys changed for this call (e.g. a smaller n_gen at smoke scale), recorded and warned
        about."""
        from ganrepro.measure import inception as inc

        p = self.protocol
        warns: list[str] = []
        if overrides:
            entry = {**{k: v for k, v in p.record().items() if k != "name"}, **overrides}
            p = check_protocol(p.name, entry, "overrides")
            warns.append(f"protocol {self.name} overridden with {dict(overrides)}: not the named protocol")
        compute = KINDS.get(p.kind)  # an unknown kind stops here, before anything reads KIND_FACTS[kind]
        dev = inc.resolve_device(device)
        rvr = real_value_range or value_range
        if KIND_FACTS[p.kind].needs_real and real is None and not (p.kind == "fid" and reference_npz):
            raise GanreproError(f"metric {self.name} needs real images of the {p.reference} split (real=...)")
        if KIND_FACTS[p.kind].needs_real and real is not None and not dataset:
            raise GanreproError(f"metric {self.name} needs the dataset name (dataset=...) to key its reference cache")
        lib = p.library
        bs = batch_size or (50 if lib == "pytorch-fid" else 64 if lib == "torch-fidelity" else 500)
        ctx = EvalContext(
            protocol=p,
            metric=self.name,
            generated=generated,
            value_range=value_range,
            dataset=dataset,
            real=real,
            real_value_range=rvr,
            reference_npz=reference_npz,
            classifier=classifier,
            weights=weights,
            scale=scale,
            device=dev,
            cache_dir=cache_dir,
            batch_size=batch_size,
            gen_batch_size=bs,
            progress=progress,
        )
        out = compute(ctx)
        if KIND_FACTS[p.kind].needs_classifier:
            _record_classifier(out, warns)
        result: dict[str, Any] = {
            "metric": self.name,
            "kind": p.kind,
            "value": None,
            "n_generated": p.n_gen,
            "n_real": None,
            "dataset": dataset,
            "reference_split": p.reference,
            "reference": None,
            "feature_extractor": None,
            "library": None,
            "weights_file": None,
            "weights_sha256": None,
            "official_weights": None,
            "resize": None,
            "splits": p.splits,
            "draws": p.draws,
            "seed": p.seed,
            **out,
            "scale": scale,
            "protocol": p.record(),
            "warnings": warns + list(out.get("warnings", [])),
        }
        if overrides:
            result["protocol_overrides"] = dict(overrides)
        return result


def _record_classifier(out: dict[str, Any], warns: list[str]) -> None:
    """Provenance common to the LeNet-based kinds, read from the classifier meta the kind returns in
    out["classifier"]; warns when the classifier is less accurate than its dataset requires."""
    from ganrepro.measure.lenet import TARGET_ACCURACY

    meta = out["classifier"]
    out.setdefault("feature_extractor", "LeNet-5 (ganrepro.measure.lenet), predicted class")
    out.update(
        {
            "library": "ganrepro",
            "weights_file": meta.get("file"),
            "weights_sha256": meta.get("sha256"),
            "official_weights": None,
        }
    )
    acc, ds = meta.get("accuracy"), meta.get("dataset")
    if ds in TARGET_ACCURACY and acc is not None and acc < TARGET_ACCURACY[ds]:
        warns.append(f"classifier test accuracy {acc} is below the {TARGET_ACCURACY[ds]} required for {ds}")


def build_registry(path: str | Path | None = None) -> Registry:
    """A Registry of ``Metric`` objects, one per entry of config/metrics.yaml (or ``path``)."""
    reg = Registry("metric")
    for name, proto in load_protocols(path).items():
        reg.register(name)(Metric(proto))
    return reg


METRICS = build_registry()
