"""Score every snapshot of a run with one named metric protocol (ganrepro.measure.METRICS).

results/runs/<run>/eval/<eval_id>.csv   one row per snapshot: iteration, value(s), and the protocol columns
results/runs/<run>/eval/<eval_id>.json  the full result dict of every snapshot (protocol, weights sha256, warnings)

The feature network and the real-image reference statistics are loaded once per job and reused for every
snapshot (the metrics package caches both). Generated images are drawn in the run's sample_bn_mode. Snapshots at
or after a divergence are recorded as NaN with the reason: a diverged GAN is a result, not a crash.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ganrepro import data
from ganrepro.core import device as core_device
from ganrepro.core import runfolder
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_to_csv, atomic_write_json, config_hash
from ganrepro.spec.plan import eval_id
from ganrepro.spec.protocols import EVAL_PROTOCOL_COLUMNS, KIND_FACTS
from ganrepro.train import latent
from ganrepro.train.engine import build_models, sampling_mode, snapshots


def _latent(cfg: dict[str, Any], nz: int, device: str):
    law = latent.law_of(cfg["method"])

    def draw(k: int) -> torch.Tensor:
        # torch's global RNG: the metric seeds it from its protocol seed, so every snapshot sees the same noise
        return latent.draw(law, k, nz, device=device)

    return draw


def evaluate_run(
    run_dir: str | Path,
    metric: str,
    overrides: dict[str, Any] | None = None,
    classifier: str | Path | None = None,
    data_root: str | Path | None = None,
    sources: dict[str, str] | None = None,
    device: str = "auto",
    progress: bool = True,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    from ganrepro.core.progress import progress as progress_bar
    from ganrepro.measure import METRICS

    run_dir = Path(run_dir)
    cfg = runfolder.read_json(run_dir / "config.json", "run `snakemake` again: it rewrites the run's config.json")
    status = runfolder.read_json(
        run_dir / "status.json", "run `snakemake` again (the run resumes from its last checkpoint and writes it again)"
    )
    m = METRICS.get(metric)
    kind = m.protocol.kind
    if KIND_FACTS[kind].needs_classifier and classifier is None:
        raise GanreproError(f"metric {metric} needs a LeNet-5 classifier; the artifact must name `classifier:`")
    dev = core_device.resolve(device)
    G, _ = build_models(cfg, dev)
    ds_name = cfg["dataset"]["name"]
    ds_kw = {k: v for k, v in cfg["dataset"].items() if k != "name"}
    files_kw = {"data_root": data_root, "sources": sources} if data.needs_files(ds_name) else {}
    sampler = data.build(ds_name, seed=cfg["seed"], **ds_kw, **files_kw)
    value_range = getattr(sampler, "value_range", (-1.0, 1.0))

    def real() -> torch.Tensor:
        ref_split = (overrides or {}).get("reference", m.protocol.reference)  # e.g. Zappos has only 'all'
        src = sampler
        if data.needs_files(ds_name) and ds_kw.get("split") != ref_split:
            src = data.build(ds_name, seed=0, **{**ds_kw, "split": ref_split}, **files_kw)
        x = src.images if isinstance(src.images, torch.Tensor) else torch.as_tensor(src.images)
        return data.uint8_to_range(x, src.value_range) if x.dtype == torch.uint8 else x

    weights = Path(data_root) / "torch_home" / "hub" / "checkpoints" if data_root else None
    bn_mode = cfg["sample_bn_mode"]
    draw = _latent(cfg, G.nz, dev)
    diverged_at = status.get("diverged_at")
    rows, full = [], []
    snaps = snapshots(run_dir)
    if not snaps:
        raise GanreproError(f"{run_dir}/snapshots is empty: nothing to evaluate (check snapshot_every)")
    for snap in progress_bar(snaps, desc=f"{metric} {run_dir.name[:30]}", unit="snapshot", enabled=progress):
        st = torch.load(snap, map_location=dev, weights_only=True)
        it = st["iteration"]
        row: dict[str, Any] = {"iteration": it, "metric": metric, "data": status["data"]}
        if diverged_at is not None and it >= diverged_at:
            row.update(value=math.nan, warnings=f"run diverged at iteration {diverged_at}: not scored")
            rows.append(row)
            full.append(row)
            continue
        G.load_state_dict(st["G"])

        def generate(k: int) -> torch.Tensor:
            with sampling_mode(G, bn_mode):
                return G(draw(k))

        res = m(
            generate,
            value_range=value_range,
            dataset=f"{ds_name}-{config_hash(ds_kw, 8)}",
            real=real,
            real_value_range=value_range,
            classifier=classifier,
            weights=weights,
            scale=cfg["scale"],
            device=dev,
            cache_dir=cache_dir,
            progress=False,
            overrides=overrides,
        )
        value = res["value"]
        if isinstance(value, dict):  # class_stats: several numbers
            row.update({k: v for k, v in value.items()})
            row["value"] = value.get("categories")
        else:
            row["value"] = value
        row["std"] = res.get("std")
        row.update({k: res.get(k) for k in EVAL_PROTOCOL_COLUMNS})
        row["protocol_seed"] = res.get("seed")  # the metric's sampling seed, not the run's training seed
        row["warnings"] = " | ".join(res.get("warnings") or [])
        rows.append(row)
        full.append({"iteration": it, **res})
    df = pd.DataFrame(rows)
    out = run_dir / "eval"
    eid = eval_id(metric, overrides)
    atomic_write_json(
        out / f"{eid}.json",
        {
            "run": run_dir.name,
            "metric": metric,
            "overrides": overrides,
            "sample_bn_mode": bn_mode,
            "results": full,
        },
    )
    atomic_to_csv(df, out / f"{eid}.csv")  # last: the Snakemake output
    return df
