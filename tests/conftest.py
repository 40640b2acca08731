"""Shared fixtures. Tests that run Snakemake work in a temporary copy of the repository, so they never touch
the developer's results/ and can run in parallel with a real reproduction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPY = [
    "Snakefile",
    "config",
    "paper_tables",
    "slurm",
    "profiles",
    "workflow/rules",
    "workflow/report",
    "envs",
]


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dst = tmp_path / "repo"
    for item in COPY:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dst / item, ignore=shutil.ignore_patterns("reproduced", "__pycache__"))
        else:
            (dst / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst / item)
    # the config schema is read from the package path the Snakefile names
    shutil.copytree(
        ROOT / "workflow" / "ganrepro" / "spec" / "schemas",
        dst / "workflow" / "ganrepro" / "spec" / "schemas",
    )
    monkeypatch.chdir(dst)
    monkeypatch.setenv("GANREPRO_ROOT", str(dst))
    return dst


def tiny_run_config(**over) -> dict:
    """A resolved run config small enough to train in a second on CPU."""
    from ganrepro.spec.config import run_defaults

    cfg = run_defaults() | {
        "method": {
            "name": "wgan",
            "optimizer_D": {"name": "rmsprop", "lr": 5e-5, "alpha": 0.99, "eps": 1e-8},
            "optimizer_G": {"name": "rmsprop", "lr": 5e-5, "alpha": 0.99, "eps": 1e-8},
            "clip": 0.01,
            "critic_iters": 5,
            "warmup_critic_iters": 100,
            "warmup_g_iters": 2,
            "warmup_every": 500,
            "clip_timing": "before_step",
            "critic_block_ends_with_epoch": True,
            "keep_partial_batch": True,
        },
        "dataset": {"name": "8gaussians", "radius_scale": 2.0, "std": 0.02, "divide": 1.414},
        "G": {"name": "toy_mlp_g", "nz": 2, "out_dim": 2, "width": 32, "n_hidden": 3},
        "D": {"name": "toy_mlp_d", "in_dim": 2, "width": 32, "n_hidden": 3},
        "batch_size": 16,
        "iterations": 20,
        "train_generator": True,
        "log_every": 2,
        "snapshot_every": 10,
        "checkpoint_every": 10,
        "threads": 1,
        "accelerator": "cpu",
        "seed": 3,
        "scale": "smoke",
    }
    cfg.update(over)
    return cfg


WGANGP_ADAM = {
    "name": "wgangp",
    "optimizer_D": {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9], "eps": 1e-8},
    "optimizer_G": {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9], "eps": 1e-8},
    "critic_iters": 2,
    "gp_lambda": 10.0,
}


def tiny_grey28_run_config(dataset: str, *, iterations: int, nz: int = 16, bn_g: bool = False, **over) -> dict:
    """tiny_run_config on a 28x28 grey dataset of files (MNIST, Fashion-MNIST) with the WGAN-GP MNIST nets at
    width 8, WGAN-GP's Adam (override `method` for another), a snapshot and a checkpoint at the last iteration."""
    return (
        tiny_run_config(
            method=WGANGP_ADAM,
            dataset={
                "name": dataset,
                "image_size": 28,
                "channels": 1,
                "value_range": [0.0, 1.0],
                "split": "train",
                "interpolation": "bilinear",
            },
            G={"name": "gp_mnist_g", "image_size": 28, "channels": 1, "nz": nz, "width": 8, "bn": bn_g},
            D={"name": "gp_mnist_d", "image_size": 28, "channels": 1, "width": 8, "bn": False},
            batch_size=16,
            iterations=iterations,
            log_every=1,
            snapshot_every=iterations,
            checkpoint_every=iterations,
        )
        | over
    )


def as_checkpoint_of(path, cfg: dict) -> None:
    """Relabel a checkpoint as one written by the run `cfg`. Tests that stand in for an interrupted long run by a
    finished short one need this: a checkpoint of another run configuration is set aside, never resumed."""
    import torch
    from ganrepro.core.io import config_hash

    st = torch.load(path, weights_only=True)
    st["config_hash"] = config_hash(cfg)
    torch.save(st, path)
