"""Critic weight histograms and their saturation (TV-WGAN Fig. 7, Purdue Fig. 5: clipping piles weights at +-c)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.artifacts.runfiles import (
    colours,
    ident,
    params_of,
    pick_file,
    read_csv,
    status_of,
    where,
)
from ganrepro.core.errors import GanreproError
from ganrepro.spec.protocols import SATURATION_BAND


def rebin(hist: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Spread every source bin [lo, hi] (count n) over the target `edges` in proportion to the overlap, i.e.
    assuming the weights are uniform inside a source bin; counts are conserved. A zero-width bin (a constant
    tensor) goes wholly to the target bin holding it."""
    out = np.zeros(len(edges) - 1)
    for lo, hi, n in zip(
        hist["lo"].to_numpy(float), hist["hi"].to_numpy(float), hist["count"].to_numpy(float), strict=True
    ):
        if n == 0:
            continue
        if hi - lo <= 1e-12 * max(1.0, abs(lo)):
            j = int(np.clip(np.searchsorted(edges, lo, side="right") - 1, 0, len(out) - 1))
            out[j] += n
            continue
        overlap = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0, None)
        out += n * overlap / (hi - lo)
    return out


def saturation(hist: pd.DataFrame, band: float = SATURATION_BAND) -> tuple[float, float]:
    """(largest |w|, share of the weights with |w| >= (1 - band) x their tensor's largest |w|), read exactly from
    the engine's histograms, whose two outermost bins per tensor are that band (train/engine.py). A tensor whose
    outer bins are not the band (a histogram written before the band bins existed) makes the share NaN: it is
    not measurable from that file, and is never estimated by spreading counts inside a bin."""
    if hist.empty or hist["count"].sum() <= 0:
        return math.nan, math.nan
    m_all, saturated, total = 0.0, 0.0, 0.0
    for _, h in hist.groupby("param", sort=False):
        h = h.sort_values("lo")
        lo0, hi0, loN, hiN = h["lo"].iloc[0], h["hi"].iloc[0], h["lo"].iloc[-1], h["hi"].iloc[-1]
        m, t = float(hiN), float(loN)
        exact = len(h) >= 3 and np.allclose([-lo0, -hi0, t], [m, t, (1 - band) * m], rtol=1e-9, atol=1e-15)
        if not exact:
            return math.nan, math.nan
        m_all = max(m_all, m)
        saturated += float(h["count"].iloc[0] + h["count"].iloc[-1])
        total += float(h["count"].sum())
    return m_all, saturated / total


@kind(
    "weight_histogram",
    params={
        "iteration": {"type": "integer", "minimum": 0},
        "params_like": {"type": "string"},
        "bins": {"type": "integer", "minimum": 1, "default": 50},
    },
    columns=[
        *IDENT,
        "iteration",
        "requested_iteration",
        "status",
        "diverged_before",
        "bin_lo",
        "bin_hi",
        "count",
        "n_weights",
        "n_params",
        "max_abs_w",
        "saturated_fraction",
    ],
)
def weight_histogram(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Critic weight histogram per run, from hist/it_XXXXXXX.csv (50 bins per parameter tensor over its own
    [min, max], written by the engine at every snapshot).

    Params: `iteration` (default: each run's last; a run that diverged earlier uses its last, flagged),
    `params_like` (substring of the parameter names to keep, e.g. "weight"; default all), `bins` (default 50).
    Method: the selected tensors' histograms are summed onto one common grid of `bins` equal bins spanning the
    smallest `lo` to the largest `hi` over all seeds of the run key, each source bin spread over the grid in
    proportion to the overlap (uniform weights inside a source bin; counts conserved, so counts are fractional).
    Saturation (TV-WGAN Fig. 7, Purdue Fig. 5: clipping piles weights at +-c) is counted exactly from the source
    files: `saturated_fraction` = share of the weights with |w| >= 0.99 x their tensor's largest |w| (the engine
    writes that band as each tensor's outermost bins; NaN, i.e. not measurable, for files without them).
    CSV: run, method, seed, run_id, iteration, requested_iteration, status, diverged_before, bin_lo, bin_hi,
    count, n_weights, n_params, max_abs_w, saturated_fraction (the last four repeated on every bin row of the
    run and seed). Plot: one histogram per run key (counts summed over seeds).
    """
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    it_req, nbins = p.get("iteration"), p["bins"]
    like = p.get("params_like")
    picked: dict[str, list[tuple[Any, dict[str, Any], pd.DataFrame]]] = {}
    for key, runs in art.runs.items():
        for r in runs:
            st = status_of(r)
            it, path, early = pick_file(r, "hist", "csv", it_req, "weight histograms")
            h = read_csv(path, r)
            if len(h):
                available = list(dict.fromkeys(h["param"]))
                if like:
                    h = h[h["param"].str.contains(str(like), regex=False)]
                    if not len(h):
                        raise GanreproError(
                            f"{where(art)}: params.params_like {like!r} matches no parameter "
                            f"in {path} (parameters: {', '.join(available)})"
                        )
            info = {
                **ident(key, r),
                "iteration": it,
                "requested_iteration": it_req,
                "status": st.get("status"),
                "diverged_before": early,
            }
            picked.setdefault(key, []).append((r, info, h))
    rows = []
    for _key, items in picked.items():
        los = [h["lo"].min() for _, _, h in items if len(h)]
        his = [h["hi"].max() for _, _, h in items if len(h)]
        edges = np.linspace(min(los), max(his), nbins + 1) if los else None
        if edges is not None and edges[-1] <= edges[0]:
            edges = np.linspace(edges[0] - 1e-12, edges[0] + 1e-12, nbins + 1)
        for _r, info, h in items:
            if not len(h) or edges is None:  # no finite weights at that iteration (diverged)
                rows.append(
                    {
                        **info,
                        "bin_lo": np.nan,
                        "bin_hi": np.nan,
                        "count": 0.0,
                        "n_weights": 0,
                        "n_params": 0,
                        "max_abs_w": np.nan,
                        "saturated_fraction": np.nan,
                    }
                )
                continue
            counts = rebin(h, edges)
            m, sat = saturation(h)
            summary = {
                "n_weights": int(h["count"].sum()),
                "n_params": int(h["param"].nunique()),
                "max_abs_w": m,
                "saturated_fraction": sat,
            }
            rows += [
                {**info, "bin_lo": edges[i], "bin_hi": edges[i + 1], "count": counts[i], **summary}
                for i in range(nbins)
            ]
    df = pd.DataFrame(rows)

    keys = list(picked)
    colour = colours(keys)
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.2 * max(1, len(keys)), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=False):
        g = df[(df["run"] == key) & df["bin_lo"].notna()]
        if len(g):
            agg = g.groupby(["bin_lo", "bin_hi"], as_index=False)["count"].sum()
            ax.stairs(
                agg["count"],
                np.r_[agg["bin_lo"].to_numpy(), agg["bin_hi"].to_numpy()[-1]],
                fill=True,
                color=colour[key],
                alpha=0.7,
            )
            sat = g.groupby("seed")["saturated_fraction"].first().mean()
            ax.set_title(f"{key}: it {int(g['iteration'].max())}, saturated {sat:.1%}", fontsize=8)
        else:
            ax.set_title(f"{key}: no finite weights", fontsize=8)
        ax.set_xlabel("critic weight")
    axes[0][0].set_ylabel("count (summed over seeds)")
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)
    return (
        df,
        fig,
        {
            "histogram_method": "per-tensor histograms summed on a common grid per run key, "
            "proportional-overlap rebinning; saturation counted exactly: |w| >= 0.99 x the tensor's max |w|"
        },
    )
