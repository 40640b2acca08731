"""Metric-vs-iteration curves from the `evaluate` rule's per-snapshot CSVs (e.g. SW-GAN Figs. 4-5, Table I)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ganrepro.artifacts import kind
from ganrepro.artifacts.plotting import plot_over_seeds
from ganrepro.artifacts.runfiles import colours
from ganrepro.core import runfolder
from ganrepro.core.errors import GanreproError
from ganrepro.spec.protocols import EVAL_COLUMNS, KIND_FACTS


def eval_table(art: Any) -> pd.DataFrame:
    """Every evaluation of the artifact, one row per (run, snapshot), with run key, method and seed."""
    frames = []
    for ev in art.evals:
        if not ev.csv.exists():
            raise GanreproError(f"{ev.csv} missing: run `snakemake` to evaluate {ev.run.run_id}")
        fix = "run `snakemake` again: the evaluation is redone"
        df = runfolder.read_csv(ev.csv, fix, columns=("iteration",))
        df = df.drop(columns=["scale"], errors="ignore")  # the artifact adds its own scale column
        df.insert(0, "eval_id", ev.eval_id)
        df.insert(0, "seed", ev.run.seed)
        df.insert(0, "method", ev.run.config["method"]["name"])
        df.insert(0, "run", ev.run.key)
        frames.append(df)
    if not frames:
        raise GanreproError(f"artifact {art.paper}/{art.name} of kind metric_curve declares no `metrics:`")
    return pd.concat(frames, ignore_index=True)


def _columns(p: dict[str, Any], ctx: Any) -> list[str]:
    """run, method, seed, eval_id, then the eval CSV's columns (less scale, which the artifact sets itself)."""
    extra = [c for k in ctx.metric_kinds for c in KIND_FACTS[k].value_columns]
    cols = [c for c in EVAL_COLUMNS if c != "scale"]
    return ["run", "method", "seed", "eval_id", *cols[:3], *dict.fromkeys(extra), *cols[3:]]


@kind("metric_curve", params={"column": {"type": "string", "default": "value"}}, columns=_columns)
def metric_curve(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """One panel per metric: the value against G iteration, mean +- std over seeds, one line per run key (each
    seed drawn thin beneath).
    Params: `column` (default value) names the CSV column to plot (e.g. count_std for class_stats)."""
    import matplotlib.pyplot as plt  # here: validating imports this module

    df = eval_table(art)
    col = art.spec.get("params", {}).get("column", "value")
    ids = sorted(df["eval_id"].unique())
    colour = colours(sorted(df["run"].unique()))
    fig, axes = plt.subplots(1, len(ids), figsize=(5 * len(ids), 4), squeeze=False)
    for ax, eid in zip(axes[0], ids, strict=True):
        sub = df[df["eval_id"] == eid]
        for key, g in sub.groupby("run"):
            plot_over_seeds(ax, g, "iteration", col, str(key), colour[key])
        ax.set_xlabel("G iteration")
        ax.set_title(f"{eid}: {col} (mean ± std over seeds)", fontsize=9)
        ax.legend(fontsize=8)
    # CSV round trip turns the booleans into 1.0/0.0 (NaN where the metric uses no Inception network)
    official = {
        str(v).lower() in ("true", "1", "1.0") for v in df.get("official_weights", pd.Series(dtype=object)).dropna()
    }
    labels = {True: "official Inception weights", False: "RANDOM-INIT Inception (not comparable)"}
    extra = {
        "weights": ", ".join(labels[v] for v in sorted(official)) or "not used",
        "metrics": {
            e.eval_id: {"metric": e.metric, "overrides": e.overrides, "classifier": e.classifier} for e in art.evals
        },
    }
    return df, fig, extra
