"""Evaluation metrics. ``METRICS`` maps a protocol name (``fid10k_train``, ``is1k_x10_swgan``, ...) to a callable
``Metric`` built from config/metrics.yaml; a new protocol is one config entry.

Image metrics come from the libraries: FID through pytorch-fid (``fid``), IS and KID through torch-fidelity
(``isc``, ``kid``), with offline hash-checked Inception weights (``inception``). ``lenet`` holds the SW-GAN LeNet-5
classifier and the LeNet Fréchet distance, ``modes`` the class statistics, ``toy`` the 2-D mixture metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import sha256_file
from ganrepro.core.registry import Registry
from ganrepro.spec.protocols import KIND_FACTS, MetricProtocol, check_protocol, load_protocols


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
        """Evaluate. ``generated``: a tensor with at least n_gen (x draws) images in ``value_range``, or a sampler
        ``sample(k) -> images`` (called under no_grad with torch's RNG seeded from the protocol seed; it decides
        G's train/eval mode). ``real``: the reference split (tensor or a callable returning it, read only when the
        cache misses) for fid/kid/fd_lenet, named by ``dataset``; for FID ``reference_npz`` (TTUR mu/sigma) may
        replace it. ``classifier``: LeNet-5 for fd_lenet/class_stats. ``weights``: Inception weights (None = the
        torch.hub folder; a folder; a file; or {library: file}). ``overrides``: protocol keys changed for this
        call (e.g. a smaller n_gen at smoke scale), recorded and warned about."""
        from ganrepro.measure import inception as inc

        p = self.protocol
        warns: list[str] = []
        if overrides:
            p = check_protocol(p.name, {**{k: v for k, v in p.record().items() if k != "name"}, **overrides}, "overrides")
            warns.append(f"protocol {self.name} overridden with {dict(overrides)}: not the named protocol")
        dev = inc.resolve_device(device)
        rvr = real_value_range or value_range
        n_real = None if p.n_real in (None, "all") else int(p.n_real)
        if KIND_FACTS[p.kind].needs_real and real is None and not (p.kind == "fid" and reference_npz):
            raise GanreproError(f"metric {self.name} needs real images of the {p.reference} split (real=...)")
        if KIND_FACTS[p.kind].needs_real and real is not None and not dataset:
            raise GanreproError(f"metric {self.name} needs the dataset name (dataset=...) to key its reference cache")
        bs = batch_size or (50 if p.library == "pytorch-fid" else 64 if p.library == "torch-fidelity" else 500)

        def images(n: int) -> torch.Tensor:
            with inc.seeded(p.seed, dev):
                return torch.cat(list(inc.generated_batches(generated, n, bs)))

        if p.kind == "fid":
            from ganrepro.measure import fid

            w = inc.resolve_weights(inc.PYTORCH_FID, weights, scale=scale)
            if reference_npz:
                ref = fid.load_ttur_npz(reference_npz)
            else:
                ref = fid.reference_statistics(
                    real, w, dataset=dataset, split=p.reference, value_range=rvr, n=n_real, seed=p.seed,
                    device=dev, batch_size=batch_size, cache_dir=cache_dir, progress=progress,
                )
            with inc.seeded(p.seed, dev):
                out = fid.compute_fid(
                    inc.generated_batches(generated, p.n_gen, bs), ref, w, value_range=value_range, device=dev,
                    batch_size=batch_size, progress=progress, total=p.n_gen, metric=self.name,
                )
        elif p.kind == "is":
            from ganrepro.measure import isc

            w = inc.resolve_weights(inc.TORCH_FIDELITY, weights, scale=scale)
            if p.draws == 1:
                with inc.seeded(p.seed, dev):
                    out = isc.inception_score(
                        inc.generated_batches(generated, p.n_gen, bs), w, value_range=value_range,
                        splits=p.splits, device=dev, batch_size=batch_size, progress=progress, total=p.n_gen,
                        metric=self.name,
                    )
            else:
                if isinstance(generated, torch.Tensor):
                    need = p.n_gen * p.draws
                    if len(generated) < need:
                        raise GanreproError(f"{self.name} needs {need} images ({p.draws} draws of {p.n_gen})")
                    draws = [generated[i * p.n_gen : (i + 1) * p.n_gen] for i in range(p.draws)]
                else:
                    with inc.seeded(p.seed, dev):  # one seeded stream: the draws are independent and reproducible
                        draws = [torch.cat(list(inc.generated_batches(generated, p.n_gen, bs))) for _ in range(p.draws)]
                out = isc.inception_score_draws(
                    draws, w, value_range=value_range, splits=p.splits, device=dev, batch_size=batch_size,
                    progress=progress, metric=self.name,
                )
        elif p.kind == "kid":
            from ganrepro.measure import kid

            w = inc.resolve_weights(inc.TORCH_FIDELITY, weights, scale=scale)
            feats, ref_rec = kid.real_features(
                real, w, dataset=dataset, split=p.reference, value_range=rvr, n=n_real, seed=p.seed, device=dev,
                batch_size=batch_size, cache_dir=cache_dir, progress=progress,
            )
            with inc.seeded(p.seed, dev):
                out = kid.kernel_inception_distance(
                    inc.generated_batches(generated, p.n_gen, bs), feats, w, value_range=value_range,
                    reference=ref_rec, device=dev, batch_size=batch_size, progress=progress, total=p.n_gen,
                    metric=self.name,
                )
        elif p.kind == "fd_lenet":
            from ganrepro.measure.fid import real_subset
            from ganrepro.measure.lenet import RESIZE, fd_lenet

            model, meta = _load_classifier(classifier)
            real_t = real() if callable(real) else real
            real_t, how = real_subset(real_t, n_real, p.seed)
            out = fd_lenet(model, _to_range(images(p.n_gen), value_range, meta), _to_range(real_t, rvr, meta), device=dev)
            out.update({"reference": f"{dataset} {p.reference} ({how})", "classifier": meta, "resize": RESIZE})
        else:
            from ganrepro.measure.lenet import RESIZE, predict_lenet
            from ganrepro.measure.modes import class_stats

            model, meta = _load_classifier(classifier)
            labels = predict_lenet(model, _to_range(images(p.n_gen), value_range, meta), device=dev)
            stats = class_stats(labels, p.num_classes or 10)
            out = {"value": {k: stats[k] for k in ("categories", "mean_label", "count_std", "kl_uniform")},
                   **stats, "n_generated": len(labels), "classifier": meta, "resize": RESIZE, "warnings": []}
        if p.kind in ("fd_lenet", "class_stats"):
            out.setdefault("feature_extractor", "LeNet-5 (ganrepro.measure.lenet), predicted class")
            out.update({"library": "ganrepro", "weights_file": meta.get("file"), "weights_sha256": meta.get("sha256"),
                        "official_weights": None})
            acc, ds = meta.get("accuracy"), meta.get("dataset")
            from ganrepro.measure.lenet import TARGET_ACCURACY

            if ds in TARGET_ACCURACY and acc is not None and acc < TARGET_ACCURACY[ds]:
                warns.append(f"classifier test accuracy {acc} is below the {TARGET_ACCURACY[ds]} required for {ds}")
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


def build_registry(path: str | Path | None = None) -> Registry:
    """A Registry of ``Metric`` objects, one per entry of config/metrics.yaml (or ``path``)."""
    reg = Registry("metric")
    for name, proto in load_protocols(path).items():
        reg.register(name)(Metric(proto))
    return reg


METRICS = build_registry()
