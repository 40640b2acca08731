"""`ganrepro bench`: how fast ganrepro trains and plans, measured on this machine, with a rerunnable protocol.

train  Generator iterations per second of ganrepro's training iteration (``engine.train_iteration``: the dataset
       resident as one tensor, index sampling, no host sync until a log row, torch's default multi-tensor
       optimizers) against a reference-style loop written fresh for the benchmark: a torchvision-style
       ``DataLoader`` over the same images, a host sync after every step (the references print or log
       ``loss.item()``), plain per-parameter optimizers (``foreach=False``), and the same networks and method
       code. Both run the paper's preset at its batch size on stand-in images of the right shape (the data's
       values do not change the arithmetic), after warm-up, as interleaved repeats; the median is reported.
evaluate  FID (pytorch-fid) and IS (torch-fidelity) of n generated images through ganrepro's metric functions
       vs the libraries called directly on the same images with the same weights file.
dag    Wall time of ``snakemake -n`` for the full paper-scale DAG (all five papers x 3 seeds) and for a synthetic
       paper with 1,000 runs, each with a cold and a warm .snakemake folder (planning is torch-free, nothing cached).
smoke  Wall and CPU time of the first Quickstart command, ``snakemake --cores 2`` with the default config (all
       five papers at smoke scale, every artifact and the report), run for real in a scratch copy of the repository
       with empty results/ and temp folders (so the random Inception stand-in is built too, as in a fresh clone).
       The CPU load before the run is recorded: a number measured while other work shares the cores is not clean.

Results go to results/bench/<what>.csv with the hardware, library versions and the git commit on every row, and a
plot. Nothing here asserts a time: the numbers are reported, not tested.
"""

from __future__ import annotations

import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from ganrepro.core.io import atomic_to_csv
from ganrepro.core.paths import repo_root
from ganrepro.core.provenance import git_commit, hardware

# case -> the paper preset it times (config/presets.yaml), at the preset's own batch size
TRAIN_CASES = {
    "wgan_dcgan32": "wgan_dcgan_cifar32",
    "wgan_dcgan64": "wgan_dcgan_lsun64",
    "wgangp_gpmnist": "wgangp_gpnets_mnist28",
    "wgangp_dcgan32": "gpwgan_dcgan_bncritic_cifar32",
    "swgan_dcgan32": "swgan_dcgan_cifar32",
    "began32": "began_cifar32",
    "toy8_wgangp": "wgangp_toy8",  # the CPU-sized toy runs (MLPs on 2-D points)
}
STEADY_ITERATION = 1001  # past the warm-ups, and not a multiple of 500 (WGAN: 100 critic steps then)


def _versions() -> dict[str, str]:
    import torch

    out = {"python": sys.version.split()[0], "torch": torch.__version__}
    for mod in ("torchvision", "snakemake"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # not installed: say so rather than fail the benchmark
            out[mod] = "absent"
    return out


def _provenance(device: str) -> dict[str, Any]:
    hw = {f"hw_{k}": v for k, v in hardware().items() if k not in ("python", "torch", "torch_threads")}
    return {
        "device": device,
        **hw,
        "git_commit": git_commit(),
        **{f"version_{k}": v for k, v in _versions().items()},
    }


def _case_setup(preset: str, device: str, tiny: bool, foreach: bool | None):
    """The preset's resolved paper-scale config, its nets and method, and stand-in images of its shape."""
    from ganrepro import data
    from ganrepro.spec.plan import resolve_run
    from ganrepro.train import methods
    from ganrepro.train.engine import build_models, seed_everything

    cfg = resolve_run("bench", preset, {"preset": preset}, seed=0, scale="paper")
    if tiny:  # CI: keep the code path, shrink the arithmetic
        for role in ("G", "D"):
            if "width" in cfg[role]:
                cfg[role]["width"] = 8
        cfg["batch_size"] = min(cfg["batch_size"], 8)
    for key in ("optimizer_D", "optimizer_G"):
        cfg["method"][key] = {**cfg["method"][key], "foreach": foreach}
    seed_everything(0)
    G, D = build_models(cfg, device)
    method = methods.build(cfg["method"]["name"], cfg["method"], G, D, seed=0, device=device)
    if "image_size" not in cfg["G"]:  # toy nets: the toy distribution itself (no files, samples on the fly)
        ds = {k: v for k, v in cfg["dataset"].items() if k != "name"}
        return cfg, method, data.build(cfg["dataset"]["name"], seed=0, **ds)
    size = cfg["G"]["image_size"]
    channels = cfg["G"].get("channels", cfg["D"].get("channels", 3))
    vr = cfg["dataset"].get("value_range")
    sampler = data.build(
        "standin_images",
        seed=0,
        image_size=size,
        channels=channels,
        n=max(512, 4 * cfg["batch_size"]),
        **({"value_range": vr} if vr else {}),
    )
    return cfg, method, sampler.to(device)  # as engine.train: resident on the device


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _time_ganrepro(cfg, method, sampler, device: str, its: int, start: int) -> float:
    from ganrepro.train.engine import _log_row, train_iteration

    bs, log_every = cfg["batch_size"], cfg.get("log_every", 10)
    _sync(device)
    t0 = time.perf_counter()
    for i in range(its):
        it = start + i
        logs = train_iteration(method, sampler, it, bs, device, cfg["train_generator"])
        if (it + 1) % log_every == 0:
            _log_row(it + 1, logs, method.D)  # the engine's one host sync per log row
    _sync(device)
    return time.perf_counter() - t0


class _ReferenceBatches:
    """What the reference code does for data: a DataLoader over a dataset, re-iterated at each epoch end."""

    def __init__(self, images, batch_size: int, workers: int) -> None:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        self.loader = DataLoader(
            TensorDataset(images.cpu()),
            batch_size=batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=workers,
            generator=torch.Generator().manual_seed(0),
        )
        self.it = iter(self.loader)

    def sample(self, n: int, keep_partial: bool = False):
        try:
            (x,) = next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            (x,) = next(self.it)
        return x


def _time_reference(cfg, method, batches: _ReferenceBatches, device: str, its: int, start: int) -> float:
    bs = cfg["batch_size"]
    _sync(device)
    t0 = time.perf_counter()
    for i in range(its):
        it = start + i
        method.begin_iteration(it)
        for _ in range(method.n_critic(it)):
            logs = method.critic_step(batches.sample(bs).to(device))
            [float(v) for v in logs.values()]  # host sync every step, as the references' loss.item() / prints
        if cfg["train_generator"]:
            logs = method.generator_step(bs)
            [float(v) for v in logs.values()]
    _sync(device)
    return time.perf_counter() - t0


def bench_train(
    device: str = "cpu",
    cases: list[str] | None = None,
    its: int = 2,
    repeats: int = 3,
    tiny: bool = False,
    workers: int = 0,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    import torch

    from ganrepro.core.device import resolve as resolve_device

    if threads:
        torch.set_num_threads(threads)
    device = resolve_device(device)
    rows = []
    for case in cases or list(TRAIN_CASES):
        preset = TRAIN_CASES[case]
        cfg, fast, sampler = _case_setup(preset, device, tiny, foreach=None)
        _, plain, _ = _case_setup(preset, device, tiny, foreach=False)
        # image data: a DataLoader as the references; toy data: the references' Python generator, i.e. the sampler
        batches = (
            _ReferenceBatches(sampler.images, cfg["batch_size"], workers) if hasattr(sampler, "images") else sampler
        )
        # warm-up (allocator, cudnn autotune, first DataLoader iterator), then interleaved repeats
        _time_ganrepro(cfg, fast, sampler, device, 1, STEADY_ITERATION)
        _time_reference(cfg, plain, batches, device, 1, STEADY_ITERATION)
        t_fast, t_ref = [], []
        for r in range(repeats):
            at = STEADY_ITERATION + 1 + r * its
            t_fast.append(_time_ganrepro(cfg, fast, sampler, device, its, at))
            t_ref.append(_time_reference(cfg, plain, batches, device, its, at))
        fast_ips, ref_ips = its / statistics.median(t_fast), its / statistics.median(t_ref)
        rows.append(
            {
                "case": case,
                "preset": preset,
                "method": cfg["method"]["name"],
                "G": cfg["G"]["name"],
                "D": cfg["D"]["name"],
                "image_size": cfg["G"].get("image_size"),
                "batch_size": cfg["batch_size"],
                "n_critic": fast.n_critic(STEADY_ITERATION),
                "its_per_repeat": its,
                "repeats": repeats,
                "ganrepro_its_per_s": round(fast_ips, 4),
                "reference_its_per_s": round(ref_ips, 4),
                "speedup": round(fast_ips / ref_ips, 3),
                "ganrepro_s_per_it": round(1 / fast_ips, 4),
                "size": "tiny (width 8, batch <= 8): NOT the paper's nets" if tiny else "paper nets and batch size",
                "data": "stand-in images of the preset's shape",
                "reference_loader_workers": workers,
                "torch_threads": torch.get_num_threads(),
                **_provenance(device),
            }
        )
        print(
            f"train {case:16s} ganrepro {fast_ips:8.3f} it/s  reference {ref_ips:8.3f} it/s  "
            f"speedup {fast_ips / ref_ips:5.2f}x",
            flush=True,
        )
    return rows


# --- evaluate ---------------------------------------------------------------------------------------------
def _uint8_dataset(images):
    """A torch Dataset of uint8 3xHxW images, the input torch-fidelity's calculate_metrics takes."""
    from torch.utils.data import Dataset

    from ganrepro.measure import inception as inc

    class Uint8Images(Dataset):
        def __init__(self) -> None:
            self.x = inc.to_uint8(images, (-1.0, 1.0))

        def __len__(self) -> int:
            return len(self.x)

        def __getitem__(self, i: int):
            return self.x[i]

    return Uint8Images()


def bench_evaluate(
    device: str = "cpu", n: int = 10_000, batch_size: int = 100, repeats: int = 1
) -> list[dict[str, Any]]:
    """FID (pytorch-fid) and IS (torch-fidelity) of n generated 32x32 images: ganrepro's metric functions vs the
    libraries called directly on the same in-memory images with the same weights file (official when present,
    else the labelled random stand-in; the timing does not depend on the weights' values)."""
    import numpy as np
    import torch
    import torch_fidelity
    from pytorch_fid.fid_score import calculate_frechet_distance
    from pytorch_fid.inception import InceptionV3

    from ganrepro.measure import fid as fidm
    from ganrepro.measure import inception as inc
    from ganrepro.measure import isc

    dev = inc.resolve_device(device)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(n, 3, 32, 32, generator=g) * 2 - 1  # stand-ins for generated images in [-1, 1]
    w_fid = inc.resolve_weights(inc.PYTORCH_FID, scale="smoke")
    w_is = inc.resolve_weights(inc.TORCH_FIDELITY, scale="smoke")
    vr = (-1.0, 1.0)
    ref_feats = inc.extract_features(
        torch.rand(n, 3, 32, 32, generator=g) * 2 - 1,
        w_fid,
        value_range=vr,
        device=dev,
        batch_size=batch_size,
        progress=False,
    )["2048"]  # untimed: cached in real use
    mu_r, sigma_r = fidm.statistics(ref_feats)
    ref = fidm.ReferenceStats(mu_r, sigma_r, "benchmark reference (random images)", n=n)
    with inc._pytorch_fid_loads_from(w_fid.path):  # pytorch-fid's own model class, given the same weights file
        direct_net = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval().to(dev)

    def ours_fid() -> float:
        return fidm.compute_fid(images, ref, w_fid, value_range=vr, device=dev, batch_size=batch_size, progress=False)[
            "value"
        ]

    def direct_fid() -> float:  # what pytorch-fid's calculate_activation_statistics does, minus the file reading
        acts = []
        with torch.no_grad():
            for i in range(0, n, batch_size):
                acts.append(
                    direct_net(((images[i : i + batch_size] + 1) / 2).to(dev))[0].squeeze(-1).squeeze(-1).cpu().numpy()
                )
        a = np.concatenate(acts)
        return float(calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), mu_r, sigma_r))

    def ours_is() -> float:
        return isc.inception_score(images, w_is, value_range=vr, device=dev, batch_size=batch_size, progress=False)[
            "value"
        ]

    def direct_is() -> float:
        out = torch_fidelity.calculate_metrics(
            input1=_uint8_dataset(images),
            isc=True,
            feature_extractor_weights_path=str(w_is.path),
            cuda=dev.type == "cuda",
            batch_size=batch_size,
            verbose=False,
            cache=False,
        )
        return float(out["inception_score_mean"])

    rows = []
    for metric, ours, direct in (("fid", ours_fid, direct_fid), ("is", ours_is, direct_is)):
        ours(), direct()  # warm-up: models built and cached, kernels chosen
        t_ours, t_direct, v_ours, v_direct = [], [], 0.0, 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            v_ours = ours()
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            v_direct = direct()
            t_direct.append(time.perf_counter() - t0)
        a, b = statistics.median(t_ours), statistics.median(t_direct)
        rows.append(
            {
                "metric": metric,
                "n_images": n,
                "batch_size": batch_size,
                "repeats": repeats,
                "ganrepro_s": round(a, 3),
                "direct_s": round(b, 3),
                "ratio_ganrepro_over_direct": round(a / b, 3),
                "ganrepro_value": v_ours,
                "direct_value": v_direct,
                "weights": "official"
                if (w_fid.official if metric == "fid" else w_is.official)
                else "random stand-in (timing only; values meaningless)",
                "direct": "pytorch_fid InceptionV3 + calculate_frechet_distance"
                if metric == "fid"
                else "torch_fidelity.calculate_metrics(isc=True, cache=False)",
                **_provenance(str(dev)),
            }
        )
        print(
            f"eval  {metric:4s} n={n}: ganrepro {a:7.2f} s  direct {b:7.2f} s  ratio {a / b:5.2f}  "
            f"(values {v_ours:.4f} vs {v_direct:.4f})",
            flush=True,
        )
    return rows


# --- dag ------------------------------------------------------------------------------------------------
def _synthetic_paper(n_runs: int) -> dict[str, Any]:
    """A paper.yaml with n_runs distinct toy runs (one seed each) and one artifact over all of them."""
    runs = {
        f"r{i:04d}": {
            "method": "wgan",
            "dataset": "8gaussians",
            "G": {"name": "toy_mlp_g"},
            "D": {"name": "toy_mlp_d"},
            "batch_size": 64,
            "iterations": 1000 + i,
            "accelerator": "cpu",
        }
        for i in range(n_runs)
    }
    return {
        "paper": "bench_synthetic",
        "title": "synthetic DAG-size benchmark",
        "citation": "none",
        "source": "none",
        "runs": runs,
        "artifacts": {
            "all": {
                "kind": "loss_curve",
                "title": "all runs",
                "where": "-",
                "paper_says": "-",
                "runs": list(runs),
                "params": {"columns": ["W_estimate"]},
            }
        },
        "claims": [],
    }


def _dry_run(root: Path, config: list[str]) -> tuple[float, int]:
    cmd = ["snakemake", "-n", "--quiet", "rules", "--cores", "1", "--config", *config]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake -n failed in {root}:\n{proc.stderr[-2000:]}")
    jobs = 0
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            jobs = int(parts[1])
    return wall, jobs


def bench_dag(n_runs: int = 1000) -> list[dict[str, Any]]:
    src = repo_root()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ganrepro-bench-dag-") as tmp:
        root = Path(tmp) / "repo"
        _scratch_copy(src, root)
        (root / "paper_tables" / "bench_synthetic").mkdir()
        (root / "paper_tables" / "bench_synthetic" / "paper.yaml").write_text(yaml.safe_dump(_synthetic_paper(n_runs)))
        papers = sorted(p.name for p in (src / "paper_tables").iterdir() if (p / "paper.yaml").exists())
        configs = {
            "paper_scale_all_papers_3_seeds": [
                "scale=paper",
                f"papers=[{','.join(papers)}]",
                "seeds=[0,1,2]",
            ],
            f"synthetic_{n_runs}_runs": [
                "scale=paper",
                "papers=[bench_synthetic]",
                "seeds=[0]",
                "classifiers=[]",
            ],
        }
        for name, config in configs.items():
            for cache in ("cold", "warm"):
                if cache == "cold":
                    shutil.rmtree(root / ".snakemake", ignore_errors=True)
                wall, jobs = _dry_run(root, config)
                rows.append(
                    {
                        "dag": name,
                        "plan_cache": cache,
                        "snakemake_n_s": round(wall, 3),
                        "jobs": jobs,
                        "config": " ".join(config),
                        **_provenance("cpu"),
                    }
                )
                print(f"dag   {name:34s} {cache}: snakemake -n {wall:6.2f} s for {jobs} jobs", flush=True)
    return rows


def _scratch_copy(src: Path, root: Path) -> None:
    """The files a DAG run reads (no results/, no committed reproduced/ folders) copied under ``root``."""
    for item in ("Snakefile", "workflow", "config", "paper_tables", "profiles", "envs"):
        p = src / item
        if p.is_dir():
            shutil.copytree(p, root / item, ignore=shutil.ignore_patterns("reproduced", "__pycache__"))
        elif p.exists():
            (root / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, root / item)


def bench_smoke(
    cores: int = 2, config: list[str] | None = None, targets: list[str] | None = None
) -> list[dict[str, Any]]:
    """One real ``snakemake --cores <cores>`` run (default: the Quickstart's, default config and target) in a
    scratch copy, with this checkout's package first on PYTHONPATH. Reports its wall time, the CPU time of all
    its jobs (user + sys of every waited-for child process), the jobs run and the artifacts written. Raises when
    the run fails: a failed run has no time worth reporting."""
    import os
    import resource

    src = repo_root()
    config, targets = list(config or []), list(targets or [])
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ganrepro-bench-smoke-") as tmp:
        root, scratch_tmp = Path(tmp) / "repo", Path(tmp) / "tmp"
        _scratch_copy(src, root)
        scratch_tmp.mkdir()
        env = dict(os.environ)
        env.pop("GANREPRO_CONFIG", None)
        # jobs import this checkout's package and see the copy as the repository; a fresh temp folder means the
        # random Inception stand-in is built inside the timed run, as in a fresh clone
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(src / "workflow"), env.get("PYTHONPATH")])),
            GANREPRO_ROOT=str(root),
            TMPDIR=str(scratch_tmp),
            GANREPRO_JOB_LOG=str(Path(tmp) / "jobs.jsonl"),  # the fork server's per-job wall and CPU
        )
        cmd = [
            "snakemake",
            "--cores",
            str(cores),
            *(["--config", *config] if config else []),
            *(["--", *targets] if targets else []),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed in {root}:\n{proc.stderr[-3000:]}")
        log = proc.stdout + proc.stderr
        done = [line.split()[2] for line in log.splitlines() if " steps (100%) done" in line]
        results = root / "results"
        artifacts = sorted(results.glob("paper_tables/*/*.csv"))
        pngs = [a.with_suffix(".png") for a in artifacts]
        row = {
            "case": "quickstart_smoke" if not config and not targets else "smoke_subset",
            "command": " ".join(cmd),
            "cores": cores,
            "wall_s": round(wall, 1),
            "wall_min": round(wall / 60, 2),
            "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "jobs": int(done[-1]) if done else 0,
            "artifacts": len(artifacts),
            "artifacts_with_png": sum(p.exists() for p in pngs),
            "papers": len({a.parent.name for a in artifacts}),
            "report": (results / "report" / "index.html").exists(),
            "under_10_min": wall <= 600,
            "load_avg_1min_before": round(load_before, 2),
            "cpu_count": os.cpu_count(),
            **_job_kinds(Path(tmp) / "jobs.jsonl"),
            **_provenance("cpu"),
        }
    kinds = sorted({k.split("_", 2)[2] for k in row if k.startswith("cpu_s_")}, key=lambda k: -row[f"cpu_s_{k}"])
    for k in kinds:
        print(f"  {k:>10}: {row[f'jobs_{k}']:4d} jobs, {row[f'cpu_s_{k}']:7.1f} s CPU", flush=True)
    print(
        f"smoke {row['case']}: {row['wall_s']:.1f} s wall ({row['wall_min']:.2f} min) on {cores} cores, "
        f"{row['cpu_s']:.0f} s CPU, {row['jobs']} jobs, {row['artifacts']} artifacts of {row['papers']} papers, "
        f"report {row['report']}; load before {load_before:.2f}",
        flush=True,
    )
    return [row]


def _job_kinds(path: Path) -> dict[str, Any]:
    """jobs_<kind> and cpu_s_<kind> per job kind (the ganrepro subcommand; evaluate by protocol) from the
    fork server's job log; nothing when the log is absent (the server was off)."""
    import json

    out: dict[str, Any] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        job = json.loads(line)
        argv = job["argv"] or ["?"]
        kind = argv[0].replace("-", "_")
        if kind == "evaluate" and len(argv) > 2:  # evaluate <run> <eval id>: fid10k_train-95c2c1 -> fid10k_train
            kind = "evaluate_" + argv[2].split("-")[0]
        out[f"jobs_{kind}"] = out.get(f"jobs_{kind}", 0) + 1
        out[f"cpu_s_{kind}"] = round(out.get(f"cpu_s_{kind}", 0.0) + job["cpu_s"], 1)
    return out


# --- cost model ------------------------------------------------------------------------------------------
def _pixels(cfg: dict[str, Any]) -> float:
    size = cfg["G"].get("image_size", 0) or 0
    if isinstance(size, list):
        return float(size[0] * size[1])
    return float(size * size) if size else 0.0


def _basis(run_cfg: dict[str, Any], train: Any) -> tuple[str, float, str]:
    """(case, seconds per G iteration, how it was obtained) for one planned run, from the measured cases."""
    train = _rows(train)
    measured = {r.preset: r for r in train}
    preset = run_cfg.get("preset")
    n_critic = int(run_cfg["method"].get("critic_iters", 1)) if run_cfg.get("train_generator", True) else 1
    if preset in measured and measured[preset].method == run_cfg["method"]["name"]:
        r = measured[preset]
        return r.case, r.ganrepro_s_per_it, "measured (same preset)"
    toy = _pixels(run_cfg) == 0
    if toy:
        cands = [r for r in train if r.image_size != r.image_size or not r.image_size]  # NaN: toy
    else:
        cands = [r for r in train if r.image_size == r.image_size and r.image_size]
    if not cands:
        return "", float("nan"), "no measured case of this kind"
    # nearest case: same method if possible, then closest image size
    px = _pixels(run_cfg)
    cands.sort(key=lambda r: (r.method != run_cfg["method"]["name"], abs((r.image_size or 0) ** 2 - px)))
    r = cands[0]
    scale = (n_critic + 1) / (r.n_critic + 1)  # cost ~ critic steps + generator step
    if not toy and r.image_size:
        scale *= px / float(r.image_size**2)
    return r.case, r.ganrepro_s_per_it * scale, f"proxy: {r.case} x {scale:.2f} (critic steps and pixels)"


def _rows(train: Any) -> list[Any]:
    """Rows of a train.csv as attribute objects: from a DataFrame, or read with the csv module (no pandas import,
    for the Snakefile)."""
    if hasattr(train, "itertuples"):
        return list(train.itertuples())
    return list(train)


def read_train_csv(path: Path) -> list[Any]:
    import csv
    from types import SimpleNamespace

    def num(v: str) -> Any:
        try:
            return float(v) if v != "" else float("nan")
        except ValueError:
            return v

    with open(path, newline="") as f:
        return [SimpleNamespace(**{k: num(v) for k, v in row.items()}) for row in csv.DictReader(f)]


def runtime_minutes(
    run_cfg: dict[str, Any], bench_dir: Path, safety: float = 2.0, fallback: int = 720, attempt: int = 1
) -> int:
    """SLURM runtime for a training job: measured seconds per G iteration on the kind of device the run asks for
    (benchmarks/gpu or benchmarks/cpu train.csv) x iterations x safety factor, plus 10 minutes for start-up and
    checkpoints. Without a benchmark for that device kind: the documented fallback. Times `attempt`: a node slower
    than the benchmark host can run out of time, and each retry (the slurm profile's `retries`) resumes from the
    checkpoint the timeout's SIGTERM wrote with one more multiple of the estimate."""
    kind = "gpu" if run_cfg.get("accelerator") == "gpu" else "cpu"
    path = bench_dir / kind / "train.csv"
    if not path.exists():
        return fallback * attempt
    rows = [r for r in read_train_csv(path) if "NOT" not in str(getattr(r, "size", ""))]
    _, s_it, _ = _basis(run_cfg, rows)
    if s_it != s_it:  # NaN: no case of this kind measured
        return fallback * attempt
    return (int(math.ceil(run_cfg["iterations"] * s_it * safety / 60)) + 10) * attempt


def cost_model(train_csv: Path, seeds: int = 3) -> list[dict[str, Any]]:
    """Hours of training per planned paper-scale run x seeds, from measured seconds per G iteration.

    Evaluation (FID/IS) is not included. The hours are in units of the device the train benchmark ran on:
    GPU-hours only when it ran on a GPU.
    """
    import pandas as pd

    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    train = pd.read_csv(train_csv)
    if (train["size"].str.contains("NOT", na=False)).any():
        raise ValueError(f"{train_csv} was measured with --tiny nets; a cost model needs the paper-size benchmark")
    device = str(train["device"].iloc[0])
    papers = sorted(p.name for p in (repo_root() / "paper_tables").iterdir() if (p / "paper.yaml").exists())
    plan = build_plan(load_config(overrides={"scale": "paper", "papers": papers, "seeds": [0]}))
    rows = []
    for paper in plan.papers.values():
        seen: set[str] = set()
        for art in paper.artifacts.values():
            for key, runs in art.runs.items():
                run = runs[0]
                case, s_it, how = _basis(run.config, train)
                hours = run.config["iterations"] * s_it * seeds / 3600
                rows.append(
                    {
                        "paper": paper.name,
                        "artifact": art.name,
                        "run": key,
                        "run_id": run.run_id,
                        "counted_in_paper_total": run.run_id not in seen,
                        "dataset": run.config["dataset"]["name"],
                        "iterations": run.config["iterations"],
                        "seeds": seeds,
                        "accelerator": run.config["accelerator"],
                        "basis_case": case,
                        "s_per_g_iteration": round(s_it, 5),
                        "basis": how,
                        "hours": round(hours, 4),
                        "hours_unit": f"{device}-hours (train benchmark device)",
                        "git_commit": train["git_commit"].iloc[0],
                    }
                )
                seen.add(run.run_id)
    return rows


# --- output -----------------------------------------------------------------------------------------------
def write(rows: list[dict[str, Any]], what: str, out_dir: Path) -> Path:
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows)
    path = out_dir / f"{what}.csv"
    atomic_to_csv(df, path)
    _plot(df, what, out_dir / f"{what}.png")
    return path


def _plot(df, what: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganrepro.core.io import atomic_savefig

    fig, ax = plt.subplots(figsize=(9.5, 3.4))
    if what == "evaluate":
        ax.bar([f"{m} ganrepro" for m in df["metric"]], df["ganrepro_s"], label="ganrepro")
        ax.bar([f"{m} direct" for m in df["metric"]], df["direct_s"], label="library called directly")
        ax.set_ylabel(f"seconds for {int(df['n_images'].iloc[0])} images")
        ax.set_title(
            "evaluation: "
            + ", ".join(f"{m} {r:.2f}x" for m, r in zip(df["metric"], df["ratio_ganrepro_over_direct"], strict=True)),
            fontsize=9,
        )
        ax.legend(fontsize=8)
    elif what == "cost":
        counted = df[df["counted_in_paper_total"]]
        tot = counted.groupby("paper")["hours"].sum()
        ax.barh(list(tot.index), list(tot.values))
        ax.set_xlabel(
            f"{df['hours_unit'].iloc[0]} for {df['seeds'].iloc[0]} seeds (training only); total {tot.sum():.1f}",
            fontsize=8,
        )
    elif what == "train":
        x = range(len(df))
        ax.bar([i - 0.2 for i in x], df["ganrepro_its_per_s"], width=0.4, label="ganrepro")
        ax.bar([i + 0.2 for i in x], df["reference_its_per_s"], width=0.4, label="reference-style loop")
        ax.set_xticks(list(x), [f"{c}\n{s:.2f}x" for c, s in zip(df["case"], df["speedup"], strict=True)], fontsize=7)
        ax.set_ylabel("G iterations / s")
        ax.set_title(f"training speed on {df['device'].iloc[0]} ({df['size'].iloc[0]})", fontsize=9)
        ax.legend(fontsize=8)
    elif what == "smoke":
        labels = [f"{c}\n{n} cores, {j} jobs" for c, n, j in zip(df["case"], df["cores"], df["jobs"], strict=True)]
        ax.barh(labels, df["wall_s"] / 60)
        ax.axvline(10, color="k", ls=":", lw=1)
        ax.set_xlabel("snakemake wall time (min); dotted: the 10 min target")
        ax.set_title(
            f"five-paper smoke DAG; CPU load before the run {df['load_avg_1min_before'].iloc[0]:.2f} "
            f"on {df['cpu_count'].iloc[0]} CPUs (clean: ~0)",
            fontsize=9,
        )
        ax.tick_params(labelsize=7)
    else:
        labels = [f"{d}\n({c})" for d, c in zip(df["dag"], df["plan_cache"], strict=True)]
        ax.barh(labels, df["snakemake_n_s"])
        ax.axvline(10, color="k", ls=":", lw=1)
        ax.set_xlabel("snakemake -n wall time (s); dotted: the 10 s target")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=120)
    plt.close(fig)
