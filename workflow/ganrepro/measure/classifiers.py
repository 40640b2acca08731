"""Train the LeNet-5 classifiers the mode-count metrics need, one folder per (dataset, scale, settings).

results/classifiers/lenet5-<dataset>-<scale>-<hash>/
  model.pt    weights + metadata (ganrepro.measure.lenet.save_lenet)
  info.json   test accuracy, target, pass/fail, data provenance (real files and their checksums, or stand-in)

At paper scale the real dataset is required. At smoke scale a dataset whose files are absent is replaced by the
deterministic stand-in, and every output says so (data: stand-in). A classifier that misses its target is an
error: info.json is not written (failed.json keeps the numbers), so nothing downstream uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_write_json, sha256_file
from ganrepro.core.provenance import git_commit, hardware, now_iso
from ganrepro.spec import scale as scales
from ganrepro.spec.plan import classifier_config, classifier_id


def _splits(cfg: dict[str, Any], data_root: Path, sources: dict[str, str]) -> tuple[Any, Any, str, list]:
    """(train sampler, test sampler, provenance, files) of the real dataset, or the stand-in at smoke scale."""
    from ganrepro import data

    kw = {"image_size": cfg["image_size"], "channels": cfg["channels"], "value_range": cfg["value_range"]}
    try:
        train = data.build(cfg["dataset"], seed=cfg["seed"], split="train", data_root=data_root, sources=sources, **kw)
        test = data.build(cfg["dataset"], seed=cfg["seed"], split="test", data_root=data_root, sources=sources, **kw)
        files = getattr(train, "provenance_files", []) + getattr(test, "provenance_files", [])
        return train, test, f"{train.provenance}; {test.provenance}", files
    except GanreproError as e:
        if not scales.allows_stand_ins(cfg["scale"]):
            raise
        # smoke scale only: a labelled stand-in with the dataset's shape and class count
        pool = data.build("standin_images", seed=cfg["seed"], n=3000, num_classes=10, data_seed=0, **kw)
        note = f"stand-in (synthetic images, not real data; the real files were not found: {str(e).splitlines()[0]})"
        return (pool.images[:2500], pool.labels[:2500]), (pool.images[2500:], pool.labels[2500:]), note, []


def train_classifier(
    out_dir: str | Path,
    dataset: str,
    scale: str,
    data_root: str | Path,
    sources: dict[str, str],
    device: str = "auto",
    progress: bool = True,
) -> dict[str, Any]:
    from ganrepro.measure.lenet import save_lenet, train_lenet

    out_dir = Path(out_dir)
    cfg = classifier_config(dataset, scale)
    if out_dir.name != classifier_id(cfg):
        raise GanreproError(
            f"{out_dir} does not match the current classifier config ({classifier_id(cfg)}); see `ganrepro plan`"
        )
    train, test, provenance, files = _splits(cfg, Path(data_root), sources)
    (x, y) = (train.images, train.labels) if hasattr(train, "images") else train
    (tx, ty) = (test.images, test.labels) if hasattr(test, "images") else test
    x, tx = _as_float(x, cfg["value_range"]), _as_float(tx, cfg["value_range"])
    import torch

    dev = "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)
    model, info = train_lenet(
        x,
        torch.as_tensor(y),
        value_range=tuple(cfg["value_range"]),
        seed=cfg["seed"],
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        lr=cfg["lr"],
        device=dev,
        test_images=tx,
        test_labels=torch.as_tensor(ty),
        dataset=dataset,
        progress=progress,
    )
    acc = info["test_accuracy"]
    stand_in = provenance.startswith("stand-in")
    result = {
        "classifier": out_dir.name,
        "config": cfg,
        "test_accuracy": acc,
        "target": cfg["target"],
        "passed": acc >= cfg["target"],
        "data": provenance,
        "stand_in": stand_in,
        "data_files": files,
        "training": info,
        "device": dev,
        "hardware": hardware(),
        "git_commit": git_commit(),
        "finished": now_iso(),
    }
    if not result["passed"]:
        atomic_write_json(out_dir / "failed.json", result)
        raise GanreproError(
            f"LeNet-5 on {dataset} reached test accuracy {acc:.4f}, below the target {cfg['target']} "
            f"(config/classifiers.yaml); numbers in {out_dir / 'failed.json'}. Check the data and the settings."
        )
    save_lenet(
        out_dir / "model.pt",
        model,
        {
            "dataset": dataset,
            "value_range": cfg["value_range"],
            "accuracy": acc,
            "seed": cfg["seed"],
            "data": provenance,
            "stand_in": stand_in,
        },
    )
    result["model_sha256"] = sha256_file(out_dir / "model.pt")
    atomic_write_json(out_dir / "info.json", result)  # last: its presence means the classifier is usable
    return result


def _as_float(x: Any, value_range: list[float]) -> Any:
    """uint8 image caches become floats in the GAN's value range; float tensors pass through."""
    import torch

    from ganrepro.data import uint8_to_range

    x = torch.as_tensor(x)
    return uint8_to_range(x, tuple(value_range)) if x.dtype == torch.uint8 else x.float()
