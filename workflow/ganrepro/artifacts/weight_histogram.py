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

SATURATION_TOL = 0.01  # "saturated": |w| within 1% of the largest |w| (the clip bound under weight clipping)


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


def saturation(hist: pd.DataFrame, tol: float = SATURATION_TOL) -> tuple[float, float, float]:
    """(max |w|, fraction of weights with |w| >= (1 - tol) * max |w| assuming uniform weights inside each
    source bin, upper bound: fraction in source bins that reach into that band). The engine's bins span each
    tensor's [min, max], so max |w| is exact; the band is often narrower than one source bin (50 bins per
    tensor), hence the two values: clipped weights piled up at +-c make both large."""
    lo, hi, n = (hist[c].to_numpy(float) for c in ("lo", "hi", "count"))
    total = n.sum()
    if total <= 0:
        return math.nan, math.nan, math.nan
    m = float(max(np.abs(lo).max(), np.abs(hi).max()))
    t = (1 - tol) * m
    width = hi - lo
    point = width <= 1e-12 * max(1.0, m)
    safe = np.where(point, 1.0, width)
    inside = np.clip(hi - np.maximum(lo, t), 0, None) + np.clip(np.minimum(hi, -t) - lo, 0, None)
    frac = np.where(point, (np.abs(lo) >= t).astype(float), np.clip(inside / safe, 0, 1))
    reach = np.where(point, np.abs(lo) >= t, (hi > t) | (lo < -t))  # a bin merely ending at the band is out
    return m, float((n * frac).sum() / total), float(n[reach].sum() / total)


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
        "saturated_fraction_upper",
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
    Saturation (TV-WGAN Fig. 7, Purdue Fig. 5: clipping piles weights at +-c) is measured on the source bins:
    `saturated_fraction` = share of weights with |w| within 1% of the largest |w| (uniform within a bin),
    `saturated_fraction_upper` = share in the source bins that reach into that band (an upper bound).
    CSV: run, method, seed, run_id, iteration, requested_iteration, status, diverged_before, bin_lo, bin_hi,
    count, n_weights, n_params, max_abs_w, saturated_fraction, saturated_fraction_upper (the last five repeated
    on every bin row of the run and seed). Plot: one histogram per run key (counts summed over seeds).
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
            h = read_csv(path)
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
                        "saturated_fraction_upper": np.nan,
                    }
                )
                continue
            counts = rebin(h, edges)
            m, sat, sat_up = saturation(h)
            summary = {
                "n_weights": int(h["count"].sum()),
                "n_params": int(h["param"].nunique()),
                "max_abs_w": m,
                "saturated_fraction": sat,
                "saturated_fraction_upper": sat_up,
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
            "proportional-overlap rebinning; saturation within 1% of max |w|"
        },
    )
