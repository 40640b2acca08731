"""Artifact kinds: each turns run outputs into one CSV + one PNG (+ provenance JSON) for a paper's table/figure.

A paper folder names a `kind` per artifact; a new kind is one function registered here. Builders receive the
resolved Artifact (spec + runs per seed) and return the DataFrame and the matplotlib figure; the shared
``write`` below writes everything atomically, with provenance.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: cluster nodes and CI have no display

from ganrepro.core.errors import GanreproError  # noqa: E402
from ganrepro.core.io import atomic_savefig, atomic_to_csv, atomic_write_json  # noqa: E402
from ganrepro.core.provenance import git_commit, hardware, now_iso  # noqa: E402
from ganrepro.core.registry import Registry  # noqa: E402

KINDS = Registry("artifact kind")


def run_records(art: Any) -> list[dict[str, Any]]:
    recs = []
    for key, runs in art.runs.items():
        for r in runs:
            st_path = r.dir / "status.json"
            if not st_path.exists():
                raise GanreproError(f"{st_path} missing: run {r.run_id} has not finished; run `snakemake` to train it")
            st = json.loads(st_path.read_text())
            recs.append(
                {
                    "key": key,
                    "run_id": r.run_id,
                    "seed": r.seed,
                    "status": st["status"],
                    "iterations_done": st["iterations_done"],
                    "wall_time_s": st["wall_time_s"],
                    "its_per_s": st["its_per_s"],
                    "device": st["device"],
                    "data": st["data"],
                }
            )
    return recs


def build(art: Any, scale: str, seeds: list[int], out_dir: Path | None = None) -> dict[str, Any]:
    out_dir = Path(out_dir or art.out_dir)
    t0 = time.perf_counter()
    fn = KINDS.get(art.kind)
    runs = run_records(art)
    df, fig, extra = fn(art)
    df.insert(0, "scale", scale)  # every row says at which scale it was measured
    data_labels = sorted({r["data"] for r in runs}) or [extra.pop("data", "analytic")]
    prov = {
        "paper": art.paper,
        "artifact": art.name,
        "kind": art.kind,
        "title": art.spec["title"],
        "scale": scale,
        "comparable": scale == "paper",
        "seeds": seeds if runs else [],
        "data": ", ".join(data_labels),
        "weights": extra.pop("weights", "not used"),
        "runs": runs,
        "params": art.spec.get("params", {}),
        "train_wall_time_s": round(sum(r["wall_time_s"] for r in runs), 2),
        "artifact_wall_time_s": round(time.perf_counter() - t0, 2),
        "git_commit": git_commit(),
        "hardware": hardware(),
        "date": now_iso(),
        **extra,
    }
    label = f"{art.paper} {art.name} | scale={scale}" + ("" if scale == "paper" else " (NOT COMPARABLE)")
    label += f" | data: {prov['data']} | seeds: {prov['seeds'] or 'n/a'}"
    # Below the figure (the tight bbox grows to hold it), so it never covers x-axis labels.
    fig.text(0.5, -0.01, label, ha="center", va="top", fontsize=7, color="dimgray")
    atomic_to_csv(df, out_dir / f"{art.name}.csv")
    atomic_savefig(fig, out_dir / f"{art.name}.png", dpi=110, bbox_inches="tight")
    atomic_write_json(out_dir / f"{art.name}.provenance.json", prov)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return prov


from ganrepro.artifacts import curves, generic, wgan_toy  # noqa: E402,F401
