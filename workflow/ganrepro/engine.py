"""The generic training loop: alternate critic and generator steps of a method, checkpoint, log, record.

Run folder layout (results/runs/<run_id>/):
  config.json        resolved config (its hash is in the folder name)
  losses.csv         one row every `log_every` G iterations (values of the last critic step and the G step)
  snapshots/it_XXXXXXX.pt   G and D weights at every `snapshot_every` iterations and at the end
  ckpt/last.pt       full training state (nets, optimizers, every RNG, data state, log) for exact resume
  status.json        completed | diverged, iterations, wall time, iterations per second
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import data, methods, nets
from .errors import GanreproError
from .utils import (
    atomic_to_csv,
    atomic_torch_save,
    atomic_write_json,
    config_hash,
    git_commit,
    hardware,
    now_iso,
)


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise GanreproError("config key 'device' is 'cuda' but torch sees no CUDA device; use device=auto or cpu")
    return name


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_models(cfg: dict[str, Any], device: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    def kw(role: str) -> dict[str, Any]:
        return {k: v for k, v in cfg[role].items() if k != "name"}

    seed_everything(cfg["seed"])  # network init draws from the global torch RNG
    G = nets.build(cfg["G"]["name"], **kw("G")).to(device)
    D = nets.build(cfg["D"]["name"], **kw("D")).to(device)
    return G, D


def _rng_state() -> dict[str, Any]:
    st = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def _set_rng_state(st: dict[str, Any]) -> None:
    random.setstate(st["python"])
    np.random.set_state(st["numpy"])
    torch.set_rng_state(st["torch"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # torch raises many types for a truncated/corrupt file
        bad = path.with_suffix(path.suffix + ".corrupt")
        path.rename(bad)
        raise GanreproError(
            f"checkpoint {path} is unreadable ({type(e).__name__}); moved it to {bad.name}. "
            "Rerun the same command to retrain from scratch."
        ) from e


def train(run_dir: str | Path, device: str = "auto", progress: bool = True, threads: int | None = None) -> dict[str, Any]:
    """Train the run whose resolved config is ``run_dir/config.json``; resume from ckpt/last.pt if present."""
    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.json"
    try:
        cfg = json.loads(cfg_path.read_text())
    except FileNotFoundError as e:
        raise GanreproError(f"{cfg_path} not found; a run folder needs its resolved config.json") from e
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device(device)

    G, D = build_models(cfg, device)
    method = methods.build(cfg["method"]["name"], cfg["method"], G, D, seed=cfg["seed"], device=device)
    ds_kw = {k: v for k, v in cfg["dataset"].items() if k != "name"}
    sampler = data.build(cfg["dataset"]["name"], seed=cfg["seed"], **ds_kw)

    ckpt_path = run_dir / "ckpt" / "last.pt"
    start, rows, wall_before = 0, [], 0.0
    if ckpt_path.exists():
        st = load_checkpoint(ckpt_path)
        G.load_state_dict(st["G"])
        D.load_state_dict(st["D"])
        method.load_state_dict(st["method"])
        sampler.load_state_dict(st["data"])
        _set_rng_state(st["rng"])
        start, rows, wall_before = st["iteration"], st["log"], st["wall_time_s"]

    total, bs = cfg["iterations"], cfg["batch_size"]
    train_g = cfg["train_generator"]
    status = "completed"
    diverged_at = None
    t0 = time.perf_counter()

    def wall() -> float:
        return wall_before + time.perf_counter() - t0

    def save_state(it: int) -> None:
        atomic_torch_save(
            ckpt_path,
            {
                "iteration": it,
                "G": G.state_dict(),
                "D": D.state_dict(),
                "method": method.state_dict(),
                "data": sampler.state_dict(),
                "rng": _rng_state(),
                "log": rows,
                "wall_time_s": wall(),
                "config_hash": config_hash(cfg),
            },
        )
        atomic_to_csv(pd.DataFrame(rows), run_dir / "losses.csv")

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=start, desc=run_dir.name[:40], unit="it", mininterval=2.0)
    it = start
    for it in range(start, total):
        logs: dict[str, torch.Tensor] = {}
        for _ in range(method.n_critic(it)):
            real = sampler.sample(bs).to(device, non_blocking=True)
            logs = method.critic_step(real)
        if train_g:
            logs.update(method.generator_step(bs))
        done = it + 1
        if done % cfg["log_every"] == 0 or done == total:
            # the only host sync of the loop: values are read back every log_every iterations
            row = {"iteration": done, **{k: float(v) for k, v in logs.items()}}
            rows.append(row)
            if not all(math.isfinite(v) for v in row.values()):
                status, diverged_at = "diverged", done
        if done % cfg["snapshot_every"] == 0 or done == total or status == "diverged":
            atomic_torch_save(
                run_dir / "snapshots" / f"it_{done:07d}.pt", {"iteration": done, "G": G.state_dict(), "D": D.state_dict()}
            )
        if done % cfg["checkpoint_every"] == 0 or done == total or status == "diverged":
            save_state(done)
        if bar is not None:
            bar.update(1)
        if status == "diverged":
            break
    if bar is not None:
        bar.close()
    if start >= total:  # already complete: only rewrite the status
        it = total - 1
    iters = it + 1
    elapsed = wall()
    result = {
        "status": status,
        "diverged_at": diverged_at,
        "iterations_done": iters,
        "iterations_planned": total,
        "wall_time_s": round(elapsed, 3),
        "its_per_s": round(iters / elapsed, 3) if elapsed > 0 else None,
        "device": device,
        "hardware": hardware(),
        "git_commit": git_commit(),
        "config_hash": config_hash(cfg),
        "data": sampler.provenance,
        "finished": now_iso(),
        "resumed_from": start or None,
    }
    if not rows or start >= total:
        atomic_to_csv(pd.DataFrame(rows), run_dir / "losses.csv")
    atomic_write_json(run_dir / "status.json", result)
    return result


def snapshots(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "snapshots").glob("it_*.pt"))
