"""The generic training loop: alternate critic and generator steps of a method, checkpoint, log, record.

Run folder layout (results/runs/<run_id>/):
  config.json        resolved config (its hash is in the folder name)
  losses.csv         one row every `log_every` G iterations: the method's losses (last critic step and the G step)
                     plus diagnostics: the L2 norm of the critic's gradient per weight tensor (`gradnorm_D.<name>`)
                     and, when the run sets `activation_gradnorm`, per activation layer (`actgradnorm_D.<module>`)
  snapshots/it_XXXXXXX.pt   G and D weights at every `snapshot_every` iterations and at the end
  samples/it_XXXXXXX.png    a sample grid (images) or scatter plot (2-D toys) from one fixed noise batch
  hist/it_XXXXXXX.csv       histograms of every critic parameter tensor at the same iterations
  ckpt/last.pt       full training state (nets, optimizers, every RNG, data state, method state, log) for exact resume
  status.json        completed | diverged (with the iteration, the reason and the last finite losses)

A run that receives SIGTERM or SIGINT (SLURM's warning before a time limit or preemption) writes ckpt/last.pt
and exits with 128 + signal number, without status.json; the next start of the same run resumes.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ganrepro import data
from ganrepro.core import device as core_device
from ganrepro.core import runfolder
from ganrepro.core.errors import GanreproError, Preempted
from ganrepro.core.io import atomic_savefig, atomic_to_csv, atomic_torch_save, atomic_write_json, config_hash
from ganrepro.core.provenance import git_commit, hardware, now_iso
from ganrepro.spec import scale as scales
from ganrepro.spec.protocols import SATURATION_BAND
from ganrepro.train import methods, nets

GRID_SIZE = 64  # WG: one batch of 64 fixed noise vectors, 8 images per row
TOY_POINTS = 512
HIST_BINS = 50  # per critic tensor: 48 equal bins plus its two saturation bands (_weight_histograms)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_models(cfg: dict[str, Any], device: str) -> tuple[nn.Module, nn.Module]:
    def kw(role: str) -> dict[str, Any]:
        return {k: v for k, v in cfg[role].items() if k != "name"}

    seed_everything(cfg["seed"])  # network init draws from the global torch RNG
    G = nets.build(cfg["G"]["name"], **kw("G")).to(device)
    D = nets.build(cfg["D"]["name"], **kw("D")).to(device)
    return G, D


def _rng_state() -> dict[str, Any]:
    """Every RNG's state as plain data (ints, tuples, tensors): checkpoints load with torch.load(weights_only=True),
    which refuses anything that would run code, numpy objects included."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    st = {
        "python": random.getstate(),
        "numpy": (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def _set_rng_state(st: dict[str, Any]) -> None:
    random.setstate(st["python"])
    name, keys, pos, has_gauss, cached = st["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(st["torch"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def _set_aside(path: Path, why: str) -> GanreproError:
    bad = path.with_suffix(path.suffix + ".corrupt")
    path.rename(bad)
    return GanreproError(f"checkpoint {path} {why}; moved it to {bad.name} (kept, never reused)")


def load_checkpoint(path: Path, config_hash_expected: str | None = None) -> dict[str, Any]:
    """A checkpoint as plain data. Never unpickles code: a file holding anything but tensors and plain values
    (an older format, or a crafted file) is refused like a corrupt one, and so is a checkpoint written by another
    run configuration (copied from another seed or learning rate): both are set aside with a message."""
    try:
        st = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a truncated, corrupt or code-carrying file
        raise _set_aside(
            path,
            f"is unreadable as a plain-data checkpoint ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:120] if str(e) else 'no detail'})",
        ) from e
    if not isinstance(st, dict) or not {"iteration", "G", "D", "method", "data", "rng", "log"} <= set(st):
        raise _set_aside(path, "is not a ganrepro checkpoint of this version (keys missing)")
    if config_hash_expected is not None and st.get("config_hash") != config_hash_expected:
        raise _set_aside(
            path,
            f"belongs to another run configuration (config hash {st.get('config_hash')}, this "
            f"run is {config_hash_expected})",
        )
    return st


def resume_state(ckpt_dir: Path, config_hash_expected: str | None = None) -> dict[str, Any] | None:
    """The newest readable checkpoint of a run: ckpt/last.pt, else the one before it (ckpt/prev.pt).

    An unreadable file is never reused: it is renamed to ``*.corrupt`` (kept for inspection) and the run goes on
    from the last good checkpoint, or from scratch when there is none, with a one-line warning on stderr.
    """
    for name in ("last.pt", "prev.pt"):
        path = ckpt_dir / name
        if not path.exists():
            continue
        try:
            st = load_checkpoint(path, config_hash_expected)
        except GanreproError as e:
            print(f"warning: {e}; trying the previous checkpoint", file=sys.stderr)
            continue
        if name != "last.pt":
            print(
                f"warning: resuming from {path} (iteration {st['iteration']}), the last good checkpoint",
                file=sys.stderr,
            )
        return st
    return None


@contextlib.contextmanager
def catch_stop_signals() -> Iterator[dict[str, int]]:
    """Turn SIGTERM/SIGINT into a flag the loop checks after each iteration (so a checkpoint is never torn)."""
    caught: dict[str, int] = {}
    if threading.current_thread() is not threading.main_thread():
        yield caught  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, frame: Any) -> None:
        caught.setdefault("signum", signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield caught
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def sampling_mode(G: nn.Module, bn_mode: str) -> Iterator[None]:
    """Generate without side effects: BN in the configured mode, running statistics restored afterwards.

    bn_mode 'train' uses batch statistics, as WG and GP always did (docs/references.md §8.2, §9 #15); 'eval' uses
    running ones.
    """
    if bn_mode not in ("train", "eval"):
        raise GanreproError(f"run config key 'sample_bn_mode' is {bn_mode!r}; valid values: train, eval")
    buffers = {k: v.clone() for k, v in G.named_buffers()}
    was_training = G.training
    G.train(bn_mode == "train")
    try:
        with torch.no_grad():
            yield
    finally:
        G.train(was_training)
        with torch.no_grad():
            for k, v in G.named_buffers():
                v.copy_(buffers[k])


def _save_samples(x: torch.Tensor, path: Path, value_range: tuple[float, float], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = x.detach().float().cpu()
    fig = None
    if x.dim() == 4:
        from torchvision.utils import make_grid

        lo, hi = value_range
        grid = make_grid(((x - lo) / (hi - lo)).clamp(0, 1), nrow=8, padding=2).permute(1, 2, 0).numpy()
        fig, ax = plt.subplots(figsize=(6, 6.3))
        ax.imshow(grid, interpolation="nearest")
        ax.axis("off")
    elif x.dim() == 2 and x.shape[1] == 2:
        fig, ax = plt.subplots(figsize=(5, 5.3))
        ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:green")
        ax.set_aspect("equal")
    else:
        return  # 1-D toys: the artifacts plot them
    ax.set_title(title, fontsize=8)
    atomic_savefig(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _weight_histograms(D: nn.Module, iteration: int) -> pd.DataFrame:
    """Histogram rows (iteration, param, lo, hi, count) of every finite critic tensor over [-m, m], m = its largest
    |w|: HIST_BINS - 2 equal bins inside (-t, t), t = (1 - SATURATION_BAND) m, and the two saturation bands
    [-m, -t] and [t, m] as the outermost bins, counted exactly (|w| >= t), so the saturated share is a count."""
    rows = []
    for name, p in D.named_parameters():
        w = p.detach().double().cpu().flatten()
        if not torch.isfinite(w).all():
            continue
        m = w.abs().max().item()
        if m <= 0:
            m = 1e-12  # an all-zero tensor: one inner bin holds it all, no weight is saturated
        t = (1 - SATURATION_BAND) * m
        low, high = int((w <= -t).sum()), int((w >= t).sum())
        inner = w[(w > -t) & (w < t)]
        counts, edges = torch.histogram(inner, bins=HIST_BINS - 2, range=(-t, t))
        bins = [(-m, -t, low)] + [(edges[i].item(), edges[i + 1].item(), int(c)) for i, c in enumerate(counts.tolist())]
        bins.append((t, m, high))
        rows += [{"iteration": iteration, "param": name, "lo": lo, "hi": hi, "count": c} for lo, hi, c in bins]
    return pd.DataFrame(rows)


def _log_row(done: int, logs: dict[str, torch.Tensor], D: nn.Module) -> dict[str, float]:
    """One host sync for the whole row: losses plus per-tensor critic gradient norms, stacked then read once."""
    names = list(logs)
    vals = [logs[k].detach().float().reshape(()) for k in names]
    for pname, p in D.named_parameters():
        if p.grad is not None and p.dim() > 1:  # weight tensors only; BN/bias vectors add columns, not insight
            names.append(f"gradnorm_D.{pname}")
            vals.append(p.grad.detach().float().norm())
    if not vals:
        return {"iteration": done}
    numbers = torch.stack([v.to(vals[0].device) for v in vals]).cpu().tolist()
    return {"iteration": done, **dict(zip(names, numbers, strict=True))}


ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.Tanh, nn.Sigmoid)


def activation_gradnorms(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
    """L2 norm of the gradient of the critic's Wasserstein loss, mean D(fake) - mean D(real), with respect to the
    output of each activation module of D, over the real and the fake pass together (WGAN-GP paper §3.2, Fig. 1b:
    "the norm of the gradient of the critic loss with respect to successive layers of activations"). Keys
    `actgradnorm_D.<module name>` in module order (input side first).

    Read-only: it touches no parameter's .grad, draws no random number and restores BN running statistics, so a
    run trains bitwise as without it (tests/train/test_engine.py)."""
    names = {m: n for n, m in D.named_modules() if isinstance(m, ACTIVATIONS)}
    if not names:
        raise GanreproError(f"activation_gradnorm: the critic {type(D).__name__} has no activation modules to hook")
    acts: list[tuple[str, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda mod, _inp, out: acts.append((names[mod], out))) for m in names]
    buffers = {k: v.clone() for k, v in D.named_buffers()}
    try:
        with torch.enable_grad():
            # inputs that require grad give every activation a graph even while D's weights are frozen (G step)
            loss = D(fake.detach().requires_grad_(True)).mean() - D(real.detach().requires_grad_(True)).mean()
            grads = torch.autograd.grad(loss, [a for _, a in acts], allow_unused=True)
    finally:
        for h in hooks:
            h.remove()
        with torch.no_grad():
            for k, v in D.named_buffers():
                v.copy_(buffers[k])
    squares: dict[str, torch.Tensor] = {}
    for (name, a), g in zip(acts, grads, strict=True):
        sq = (
            g.detach().double().pow(2).sum() if g is not None else torch.zeros((), dtype=torch.float64, device=a.device)
        )
        squares[name] = squares[name] + sq if name in squares else sq
    values = torch.stack(list(squares.values())).sqrt().cpu().tolist()  # one host sync
    return {f"actgradnorm_D.{n}": v for n, v in zip(squares, values, strict=True)}


def _divergence(row: dict[str, float], bound: float, G: nn.Module, D: nn.Module) -> str | None:
    """Why this log row means the run diverged, or None. Checked only at log iterations (no per-step sync)."""
    for k, v in row.items():
        if not math.isfinite(v):
            return f"non-finite {k} ({v})"
    for k, v in row.items():
        if k.startswith("loss") and abs(v) > bound:
            return f"|{k}| = {abs(v):.3g} exceeds divergence_bound {bound:.3g}"
    flags = torch.stack([torch.isfinite(p).all() for net in (G, D) for p in net.parameters()] or [torch.tensor(True)])
    if not bool(flags.all()):
        return "non-finite network weights"
    return None


def train_iteration(
    method: methods.Method,
    sampler: data.Sampler,
    it: int,
    bs: int,
    device: str,
    train_g: bool = True,
    on_critic_step: Callable[[dict[str, torch.Tensor]], None] | None = None,
) -> dict[str, torch.Tensor]:
    """One generator iteration: the method's critic steps on real batches, then its generator step.

    The method's `data_loop` says how real batches are read: WG main.py ends a block of critic steps when the epoch
    runs out of batches (the G step follows at once) and uses each epoch's short last batch; the other reference
    loops draw full batches endlessly. Losses stay on the device (no host sync); the caller reads them every
    `log_every` iterations. `ganrepro bench` times exactly this function against a reference-style loop.
    `on_critic_step` receives a copy of every critic step's losses (ganrepro.train.replay records them all).
    """
    method.begin_iteration(it)
    method.batch_size = bs
    logs: dict[str, torch.Tensor] = {}
    ends_with_epoch, keep_partial = method.data_loop()
    for j in range(method.n_critic(it)):
        if ends_with_epoch and j > 0 and sampler.epoch_done(bs, keep_partial):
            break
        real = sampler.sample(bs, keep_partial).to(device, non_blocking=True)
        logs = method.critic_step(real)
        if on_critic_step is not None:
            on_critic_step(dict(logs))  # a copy: the G step's losses are added to `logs` below
    if train_g:
        logs.update(method.generator_step(bs))
    return logs


def train(
    run_dir: str | Path,
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
    data_root: str | Path | None = None,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Train the run whose resolved config is ``run_dir/config.json``; resume from ckpt/last.pt if present.

    ``data_root``/``sources`` say where a real dataset's files are (default: config/config.yaml); they are not part
    of the run config (the checksums guarantee the bytes; the sampler's provenance records paths and checksums).
    Raises Preempted (after writing a checkpoint) when SIGTERM/SIGINT arrives.
    """
    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.json"
    if not cfg_path.exists():
        raise GanreproError(f"{cfg_path} not found; a run folder needs its resolved config.json")
    cfg = runfolder.read_json(cfg_path, "run `snakemake` again: it rewrites the run's config.json")
    if threads:
        torch.set_num_threads(threads)
    device = core_device.resolve(device)

    G, D = build_models(cfg, device)
    method = methods.build(cfg["method"]["name"], cfg["method"], G, D, seed=cfg["seed"], device=device)
    ds_name, ds_kw = cfg["dataset"]["name"], {k: v for k, v in cfg["dataset"].items() if k != "name"}
    if not scales.allows_stand_ins(cfg["scale"]) and ds_name == "standin_images":
        raise GanreproError(f"{cfg_path}: a paper-scale run uses the synthetic 'standin_images'; it is smoke-only")
    if data.needs_files(ds_name):  # files verified here, before any training
        ds_kw["data_root"], ds_kw["sources"] = data.assets.default_locations(data_root, sources)
    sampler = data.build(ds_name, seed=cfg["seed"], **ds_kw)
    length = cfg.get("length")  # present when the run was given in epochs (spec.schedule)
    n_items = len(sampler.images) if isinstance(sampler, data.IndexedSampler) else None
    if length and n_items != length["epoch_items"]:
        raise GanreproError(
            f"{cfg_path}: its epochs assume {length['epoch_items']} training items, the dataset "
            f"{ds_name} has {n_items}; fix EPOCH_ITEMS in ganrepro/spec/schedule.py or the dataset files"
        )
    if isinstance(sampler, data.IndexedSampler):
        sampler.to(device)  # resident on the GPU when it fits (MNIST, CIFAR-10): no host-to-device copy per batch
    # fixed noise for sample grids, from its own stream so that grids never change the training trajectory
    grid_gen = torch.Generator(device=device).manual_seed(cfg["seed"] + 2_000_003)
    n_grid = GRID_SIZE if isinstance(sampler, data.IndexedSampler) else TOY_POINTS  # image datasets are indexed
    fixed_z = method.noise(n_grid, generator=grid_gen)
    bn_mode = cfg["sample_bn_mode"]  # resolved configs always hold both (spec.config.run_defaults)
    diagnostic = None
    if cfg.get("activation_gradnorm"):
        # one fixed real batch (a second sampler, its own seed) and one fixed noise batch, so the diagnostic never
        # draws from the training streams; recreated identically on resume
        diag_real = data.build(ds_name, seed=cfg["seed"] + 3_000_017, **ds_kw).sample(cfg["batch_size"]).to(device)
        diag_z = method.noise(
            cfg["batch_size"], generator=torch.Generator(device=device).manual_seed(cfg["seed"] + 3_000_017)
        )

        def diagnostic() -> dict[str, float]:
            with sampling_mode(G, bn_mode):
                fake = G(diag_z)
            return activation_gradnorms(D, diag_real, fake)

    bound = float(cfg["divergence_bound"])
    value_range = getattr(sampler, "value_range", (-1.0, 1.0))

    ckpt_path = run_dir / "ckpt" / "last.pt"
    start, rows, wall_before = 0, [], 0.0
    st = resume_state(ckpt_path.parent, config_hash(cfg))
    if st is not None:
        G.load_state_dict(st["G"])
        D.load_state_dict(st["D"])
        method.load_state_dict(st["method"])
        sampler.load_state_dict(st["data"])
        _set_rng_state(st["rng"])
        start, rows, wall_before = st["iteration"], st["log"], st["wall_time_s"]

    total, bs = cfg["iterations"], cfg["batch_size"]
    train_g = cfg["train_generator"]
    status, diverged_at, reason = "completed", None, None
    t0 = time.perf_counter()

    def wall() -> float:
        return wall_before + time.perf_counter() - t0

    def save_state(it: int) -> None:
        # keep the previous checkpoint until the new one is complete: a kill or a corrupt write costs one interval
        if ckpt_path.exists():
            os.replace(ckpt_path, ckpt_path.with_name("prev.pt"))
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

    def snapshot(it: int) -> None:
        atomic_torch_save(
            run_dir / "snapshots" / f"it_{it:07d}.pt",
            {"iteration": it, "G": G.state_dict(), "D": D.state_dict()},
        )
        atomic_to_csv(_weight_histograms(D, it), run_dir / "hist" / f"it_{it:07d}.csv")
        if train_g or it == total:
            with sampling_mode(G, bn_mode):
                x = G(fixed_z)
            label = f"{run_dir.name}  it {it}  (BN {bn_mode}; data: {sampler.provenance})"
            _save_samples(x, run_dir / "samples" / f"it_{it:07d}.png", value_range, label)

    bar = None
    if progress:  # a bar on a terminal, a line every 10% in a log file
        from ganrepro.core.progress import progress as progress_bar

        bar = progress_bar(total=total, initial=start, desc=run_dir.name[:40], unit="it")
    it = start
    with catch_stop_signals() as caught:
        for it in range(start, total):
            logs = train_iteration(method, sampler, it, bs, device, train_g)
            done = it + 1
            if done % cfg["log_every"] == 0 or done == total:
                row = _log_row(done, logs, D)
                if diagnostic is not None:
                    row.update(diagnostic())
                reason = _divergence(row, bound, G, D)
                if reason:
                    status, diverged_at = "diverged", done
                rows.append(row)
            if done % cfg["snapshot_every"] == 0 or done == total or status == "diverged":
                snapshot(done)
            if done % cfg["checkpoint_every"] == 0 or done == total or status == "diverged":
                save_state(done)
                if bar is None and done < total:  # without a bar, batch logs still show progress and an ETA
                    _progress_line(run_dir.name, start, done, total, time.perf_counter() - t0)
            if bar is not None:
                bar.update(1)
            if status == "diverged":
                break
            if caught:
                save_state(done)
                if bar is not None:
                    bar.close()
                raise Preempted(caught["signum"], done, str(ckpt_path))
    if bar is not None:
        bar.close()
    if start >= total:  # already complete: only rewrite the status
        it = total - 1
    iters = it + 1
    elapsed = wall()
    last_finite = next((r for r in reversed(rows) if all(math.isfinite(v) for v in r.values())), None)
    result = {
        "status": status,
        "diverged_at": diverged_at,
        "divergence_reason": reason if status == "diverged" else None,
        "last_finite_losses": {k: v for k, v in last_finite.items() if not k.startswith("gradnorm")}
        if last_finite
        else None,
        "iterations_done": iters,
        "iterations_planned": total,
        "wall_time_s": round(elapsed, 3),
        "its_per_s": round(iters / elapsed, 3) if elapsed > 0 else None,
        "device": device,
        "hardware": hardware(),
        "git_commit": git_commit(),
        "config_hash": config_hash(cfg),
        "data": sampler.provenance,
        "data_files": getattr(sampler, "provenance_files", None),
        "sample_bn_mode": bn_mode,
        "finished": now_iso(),
        "resumed_from": start or None,
    }
    if not rows or start >= total:
        atomic_to_csv(pd.DataFrame(rows), run_dir / "losses.csv")
    atomic_write_json(run_dir / "status.json", result)
    return result


def _progress_line(name: str, start: int, done: int, total: int, elapsed: float) -> None:
    """One line per checkpoint on stderr: G iteration, rate since this (re)start, time left at that rate."""
    rate = (done - start) / elapsed if elapsed > 0 else float("inf")
    left = (total - done) / rate if rate > 0 else float("inf")
    eta = f"{left / 60:.0f} min" if math.isfinite(left) else "?"
    print(
        f"ganrepro: {name}: G it {done}/{total} checkpointed, {rate:.3g} it/s, about {eta} left",
        file=sys.stderr,
        flush=True,
    )


def snapshots(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "snapshots").glob("it_*.pt"))
