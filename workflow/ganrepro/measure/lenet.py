"""LeNet-5 digit classifier for the SW-GAN evaluation (docs/references.md §5.4, §6.5) and a Fréchet distance in its
feature space.

Architecture (docs/references.md §6.5): 32x32x1 -> conv 6@5x5 -> 2x2 max-pool -> conv 16@5x5 -> 2x2 max-pool -> FC 120
-> FC 84
-> FC 10, full C3 connectivity, ReLU and a softmax output (the modern reading; LeCun 1998's scaled tanh, sparse C3
and RBF output are not used). 61,706 parameters.

The classifier is trained on tensors in the GAN's own value range (e.g. [-1, 1]), so generated images are
classified exactly as they come out of G. Inputs of another size (MNIST's 28x28) are resized to 32x32 with
bilinear interpolation (``F.interpolate``, align_corners=False) in ``prepare``, both when training and when
classifying, so train and evaluation see the same transform.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ganrepro.core import device as core_device
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_torch_save
from ganrepro.core.progress import progress as progress_bar
from ganrepro.measure.fid import frechet_distance, statistics

INPUT_SIZE = 32
NUM_PARAMS = 61_706
# docs/references.md §5.4 / §6.5: the SW-GAN paper's classifier has 98% MNIST test accuracy; 89% is our Fashion-MNIST
# bar
TARGET_ACCURACY = {"mnist": 0.98, "fashion_mnist": 0.89}
RESIZE = "bilinear to 32x32 (torch.nn.functional.interpolate, align_corners=False) when the input is not 32x32"


class LeNet5(nn.Module):
    """LeNet-5 on 32x32x1 (docs/references.md §6.5). ``features`` is the 84-d penultimate layer (after its ReLU)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 28 -> 14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 10 -> 5
        x = F.relu(self.fc1(x.flatten(1)))
        return F.relu(self.fc2(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (the softmax is in the loss / argmax)."""
        return self.fc3(self.features(x))


def prepare(images: torch.Tensor) -> torch.Tensor:
    """Float Bx1x32x32: adds the channel axis to BxHxW, resizes other sizes bilinearly (see module docstring)."""
    if images.dim() == 3:
        images = images[:, None]
    if images.dim() != 4 or images.shape[1] != 1:
        raise GanreproError(f"LeNet-5 takes 1-channel images (Bx1xHxW); got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise GanreproError(
            f"LeNet-5 takes float images in the GAN's value range; got dtype {images.dtype} (convert first)"
        )
    images = images.float()
    if images.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        images = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
    return images


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def _device(device: str | torch.device) -> torch.device:
    return torch.device(core_device.resolve(device))


def train_lenet(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    value_range: tuple[float, float] = (-1.0, 1.0),
    seed: int = 0,
    epochs: int = 6,
    batch_size: int = 128,
    lr: float = 3e-3,
    device: str | torch.device = "cpu",
    test_images: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
    dataset: str | None = None,
    progress: bool = False,
) -> tuple[LeNet5, dict[str, Any]]:
    """Train LeNet-5 with Adam and cross-entropy (docs/references.md §6.5). Deterministic given ``seed`` on a fixed
    device and
    thread count: the initialisation is drawn from a seeded global RNG inside ``fork_rng`` (the caller's RNG state
    is left untouched) and the shuffling from a private seeded generator.

    ``images`` are floats in ``value_range`` (the GAN's range), Nx1xHxW or NxHxW; ``labels`` are class indices.
    Returns the model (eval mode, on CPU) and an info dict (settings, final train loss, accuracies)."""
    dev = _device(device)
    if len(images) != len(labels):
        raise GanreproError(f"{len(images)} images but {len(labels)} labels")
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LeNet5()
    model.to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(images)
    steps = epochs * -(-n // batch_size)
    # cosine decay to 0 over the whole run: a few epochs reach the accuracy targets without tuning a schedule
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)))
    gen = torch.Generator().manual_seed(seed)
    labels = labels.long()
    # resize once, not once per epoch (the resize is deterministic)
    images = torch.cat([prepare(images[sl]) for sl in _batches(len(images), 10_000)]) if len(images) else images
    loss_val = float("nan")
    for _epoch in progress_bar(range(epochs), desc="LeNet-5 epochs", unit="epoch", enabled=progress):
        perm = torch.randperm(n, generator=gen)
        for sl in _batches(n, batch_size):
            idx = perm[sl]
            x = images[idx].to(dev)
            y = labels[idx].to(dev)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        loss_val = float(loss.detach())
    model.eval().cpu()
    info: dict[str, Any] = {
        "arch": "lenet5",
        "params": sum(p.numel() for p in model.parameters()),
        "dataset": dataset,
        "value_range": [float(value_range[0]), float(value_range[1])],
        "input": f"1x{INPUT_SIZE}x{INPUT_SIZE}; {RESIZE}",
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": f"Adam lr {lr}, betas (0.9, 0.999), cosine decay to 0 over {steps} steps",
        "train_n": n,
        "final_batch_loss": loss_val,
        "train_seconds": round(time.perf_counter() - t0, 2),
    }
    if test_images is not None and test_labels is not None:
        info["test_accuracy"] = evaluate_lenet(model, test_images, test_labels, device=dev)
        info["test_n"] = len(test_images)
    return model, info


@torch.no_grad()
def predict_lenet(
    model: nn.Module, images: torch.Tensor, *, batch_size: int = 1000, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Predicted class index per image (argmax of the logits), on CPU."""
    dev = _device(device)
    model.eval().to(dev)
    out = [model(prepare(images[sl]).to(dev)).argmax(1).cpu() for sl in _batches(len(images), batch_size)]
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long)


def evaluate_lenet(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    batch_size: int = 1000,
    device: str | torch.device = "cpu",
) -> float:
    """Classification accuracy in [0, 1]."""
    pred = predict_lenet(model, images, batch_size=batch_size, device=device)
    return float((pred == labels.long().cpu()).float().mean())


@torch.no_grad()
def lenet_features(
    model: LeNet5, images: torch.Tensor, *, batch_size: int = 1000, device: str | torch.device = "cpu"
) -> np.ndarray:
    """The 84-d penultimate-layer activations (float64, N x 84)."""
    dev = _device(device)
    model.eval().to(dev)
    out = [model.features(prepare(images[sl]).to(dev)).cpu() for sl in _batches(len(images), batch_size)]
    return torch.cat(out).double().numpy()


def fd_lenet(
    model: LeNet5,
    generated: torch.Tensor,
    real: torch.Tensor,
    *,
    batch_size: int = 1000,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Fréchet distance between Gaussians fitted to LeNet-5 FC-84 features of generated and real images.

    Same formula as FID (``fid.frechet_distance``) but in a different feature space: it is NOT FID and its values
    are not comparable to FID numbers. Needs no Inception weights, so it works offline."""
    warnings: list[str] = []
    mu_g, sig_g = statistics(lenet_features(model, generated, batch_size=batch_size, device=device))
    mu_r, sig_r = statistics(lenet_features(model, real, batch_size=batch_size, device=device))
    value = frechet_distance(mu_g, sig_g, mu_r, sig_r, warnings_out=warnings)
    return {
        "value": value,
        "feature_extractor": "LeNet-5 FC-84 (penultimate, after ReLU); Fréchet distance, not FID",
        "library": "ganrepro (pytorch-fid formula, eigenvalue trace term)",
        "n_generated": len(generated),
        "n_real": len(real),
        "resize": RESIZE,
        "warnings": warnings,
    }


def save_lenet(path: str | Path, model: LeNet5, meta: dict[str, Any]) -> None:
    """Atomically save the weights with a small metadata dict (dataset, value_range, accuracy, seed, ...)."""
    missing = [k for k in ("dataset", "value_range", "accuracy", "seed") if k not in meta]
    if missing:
        raise GanreproError(f"LeNet metadata for {path} lacks {', '.join(missing)}")
    atomic_torch_save(path, {"arch": "lenet5", "state_dict": model.state_dict(), "meta": dict(meta)})


def load_lenet(path: str | Path) -> tuple[LeNet5, dict[str, Any]]:
    """Load a classifier written by ``save_lenet``; returns (model in eval mode on CPU, metadata)."""
    path = Path(path)
    if not path.exists():
        raise GanreproError(f"LeNet classifier {path} not found; train it with ganrepro.measure.lenet.train_lenet")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if blob.get("arch") != "lenet5":
        raise GanreproError(f"{path} is not a LeNet-5 checkpoint written by save_lenet")
    model = LeNet5()
    model.load_state_dict(blob["state_dict"])
    return model.eval(), blob["meta"]
