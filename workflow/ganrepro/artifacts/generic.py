"""Generic artifact kinds read straight from run folders (losses.csv, samples/, hist/, status.json).

They serve figures that several papers share: loss / W-estimate curves (WGAN Figs. 3-4, WG's plots use
-Loss_D median-filtered with window 101), sample grids, critic weight histograms (TV-WGAN Fig. 7, Purdue
Fig. 5: clipping saturates the weights at the clip bound), critic gradient norm per layer (Purdue Fig. 5,
WGAN-GP Fig. 1b) and divergence summaries (TV-WGAN Figs. 2/4). Every CSV is tidy: one row per observation
with the run key (`run`), `method`, `seed` and `run_id`, plus `iteration` where there is one, so that claims
(pandas queries) can be written against them. Runs that diverged (NaN/Inf rows, no later snapshots) are
handled, never an error; a missing input file is a GanreproError naming the file.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import sha256_file
from ganrepro.core.paths import RESULTS, repo_root

SATURATION_TOL = 0.01  # "saturated": |w| within 1% of the largest |w| (the clip bound under weight clipping)


# ------------------------------------------------------------------------------------------------ helpers
def _params(art: Any) -> dict[str, Any]:
    return dict((art.spec or {}).get("params") or {})


def _where(art: Any) -> str:
    return f"artifact {art.paper}/{art.name} ({art.kind})"


def _int_param(art: Any, p: dict[str, Any], name: str, default: int | None, minimum: int = 1) -> int | None:
    v = p.get(name, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise GanreproError(f"{_where(art)}: params.{name} must be an integer >= {minimum}, got {v!r}")
    return v


def _method(run: Any) -> str:
    return str((getattr(run, "config", None) or {}).get("method", {}).get("name", ""))


def _ident(key: str, run: Any) -> dict[str, Any]:
    return {"run": key, "method": _method(run), "seed": run.seed, "run_id": run.run_id}


def _require(path: Path, run: Any, what: str) -> Path:
    if not path.exists():
        raise GanreproError(f"{path} missing: run {run.run_id} has no {what}; run `snakemake` to train it")
    return path


def _status(run: Any) -> dict[str, Any]:
    path = _require(run.dir / "status.json", run, "status.json (it has not finished)")
    return json.loads(path.read_text())


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV the engine wrote; an empty table (no rows logged, or no finite weights) reads as empty."""
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    return df if "iteration" in df.columns else pd.DataFrame()


def _losses(run: Any) -> pd.DataFrame:
    path = _require(run.dir / "losses.csv", run, "losses.csv")
    df = _read_csv(path)
    return df.sort_values("iteration", kind="stable").reset_index(drop=True) if len(df) else pd.DataFrame(columns=["iteration"])


_IT = re.compile(r"it_(\d+)\.")


def _pick_file(run: Any, sub: str, ext: str, iteration: int | None, what: str) -> tuple[int, Path, bool]:
    """The run's file `sub/it_XXXXXXX.ext` at `iteration` (default: the last one). A run that diverged before
    `iteration` has no file there: its last file is used instead (third value True). Missing otherwise: error."""
    folder = run.dir / sub
    files = sorted(folder.glob(f"it_*.{ext}"))
    if iteration is None:
        if not files:
            raise GanreproError(f"{folder}/it_*.{ext} missing: run {run.run_id} wrote no {what}; "
                                "run `snakemake` to train it")
        f = files[-1]
        return int(_IT.search(f.name).group(1)), f, False
    path = folder / f"it_{iteration:07d}.{ext}"
    if path.exists():
        return iteration, path, False
    st = _status(run)
    if st.get("status") == "diverged" and st.get("diverged_at") is not None and st["diverged_at"] < iteration:
        earlier = [f for f in files if int(_IT.search(f.name).group(1)) <= iteration]
        if earlier:
            f = earlier[-1]
            return int(_IT.search(f.name).group(1)), f, True
    raise GanreproError(f"{path} missing: run {run.run_id} has no {what} at iteration {iteration} "
                        f"(has: {', '.join(f.name for f in files) or 'none'})")


def _finite(s: pd.Series) -> pd.Series:
    """Float copy with +-Inf turned into NaN (diverged rows)."""
    return pd.to_numeric(s, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)


def median_filter(values: pd.Series, window: int) -> pd.Series:
    """Centred running median over `window` rows (odd). At the ends the window is cut to the rows that exist
    (no zero padding, unlike scipy.signal.medfilt); NaN/Inf rows are left out of every window and stay NaN."""
    x = _finite(values).reset_index(drop=True)
    if window <= 1:
        return x
    out = x.rolling(window, center=True, min_periods=1).median()
    out[x.isna()] = np.nan
    return out


def _colours(keys: list[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {k: cmap(i % 10) for i, k in enumerate(keys)}


def _diverged_runs(art: Any) -> dict[str, int | None]:
    out = {}
    for runs in art.runs.values():
        for r in runs:
            st = _status(r)
            if st.get("status") == "diverged":
                out[r.run_id] = st.get("diverged_at")
    return out


# --------------------------------------------------------------------------------------------- loss_curve
@kind(
    "loss_curve",
    params={
        "columns": {"type": "array", "items": {"type": "string"}, "minItems": 1, "default": ["loss_D"],
                    "description": "losses.csv columns to show"},
        "median_filter": {"type": "integer", "minimum": 1, "default": 1, "description": "odd window, log rows"},
        "every": {"type": "integer", "minimum": 1, "default": 1, "description": "keep every k-th log row"},
    },
    columns=lambda p, ctx: [*IDENT, "iteration", "status", "final", *(x for c in p["columns"] for x in (c, f"{c}_filtered"))],
)
def loss_curve(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Logged losses against G iteration, raw and median-filtered.

    Params: `columns` (list of losses.csv columns, default [loss_D]; e.g. [W_estimate], which the WGAN method
    logs as -Loss_D); `median_filter` (odd window in log rows, default 1 = none; WG plots W with 101), applied
    per seed to the full logged series before thinning (see `median_filter`); `every` (keep every k-th log row in
    the CSV, default 1; the last row of each seed is always kept).
    CSV: run, method, seed, run_id, iteration, status, final (last logged row of the seed), and per column
    `<col>` (raw) and `<col>_filtered`. A column a run does not log (e.g. W_estimate for the standard GAN) is
    NaN for that run; a column no run logs is an error. Plot: one panel per column, mean +- std over seeds of
    the filtered curve, one line per run key.
    """
    p = _params(art)
    cols = p.get("columns", ["loss_D"])
    cols = [cols] if isinstance(cols, str) else list(cols)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise GanreproError(f"{_where(art)}: params.columns must be a non-empty list of losses.csv column names")
    window = _int_param(art, p, "median_filter", 1)
    if window % 2 == 0:
        raise GanreproError(f"{_where(art)}: params.median_filter must be odd (a centred window), got {window}")
    every = _int_param(art, p, "every", 1)
    frames, seen = [], set()
    for key, runs in art.runs.items():
        for r in runs:
            st = _status(r)
            df = _losses(r)
            seen |= set(df.columns)
            out = pd.DataFrame({"iteration": df["iteration"].astype(int)})
            for k, v in reversed(_ident(key, r).items()):
                out.insert(0, k, v)
            out["status"] = st.get("status")
            out["final"] = False
            if len(out):
                out.loc[out.index[-1], "final"] = True
            for c in cols:
                raw = _finite(df[c]) if c in df.columns else pd.Series(np.nan, index=df.index)
                out[c] = raw.to_numpy()
                out[f"{c}_filtered"] = median_filter(raw, window).to_numpy()
            keep = (np.arange(len(out)) % every == 0) | out["final"].to_numpy()
            frames.append(out[keep])
    absent = [c for c in cols if c not in seen]
    if absent:
        files = ", ".join(str(r.dir / "losses.csv") for runs in art.runs.values() for r in runs)
        raise GanreproError(f"{_where(art)}: column(s) {', '.join(absent)} in no losses.csv ({files}); "
                            f"logged columns: {', '.join(sorted(seen - {'iteration'})) or 'none'}")
    df = pd.concat(frames, ignore_index=True)

    colour = _colours(list(art.runs))
    fig, axes = plt.subplots(1, len(cols), figsize=(5 * len(cols), 3.8), squeeze=False)
    for ax, c in zip(axes[0], cols, strict=True):
        for key, g in df.groupby("run", sort=False):
            agg = g.groupby("iteration")[f"{c}_filtered"].agg(["mean", "std"]).reset_index()
            if agg["mean"].notna().any():
                ax.plot(agg["iteration"], agg["mean"], color=colour[key], label=str(key),
                        marker="o" if len(agg) < 3 else None)  # a run that diverged at once: still visible
                sd = agg["std"].fillna(0)
                ax.fill_between(agg["iteration"], agg["mean"] - sd, agg["mean"] + sd, color=colour[key], alpha=0.2)
        ax.set_xlabel("G iteration")
        filt = f", median filter {window}" if window > 1 else ""
        ax.set_title(f"{c} (mean ± std over seeds{filt})", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)
    return df, fig, {"diverged_runs": _diverged_runs(art)}


# -------------------------------------------------------------------------------------------- sample_grid
def _pick_seed(art: Any, key: str, runs: list[Any], seed: int | None) -> Any:
    if seed is None:  # seed 0 when the run has it, else the first seed listed
        return next((r for r in runs if r.seed == 0), runs[0])
    for r in runs:
        if r.seed == seed:
            return r
    raise GanreproError(f"{_where(art)}: params.seed {seed} is not among run {key}'s seeds "
                        f"({', '.join(str(r.seed) for r in runs)})")


def _rel_to_results(path: Path, run: Any) -> str:
    try:
        return path.resolve().relative_to((repo_root() / RESULTS).resolve()).as_posix()
    except ValueError:  # a run folder outside results/ (tests): name it as the layout would
        return (Path("runs") / run.dir.name / path.relative_to(run.dir)).as_posix()


@kind(
    "sample_grid",
    params={"iteration": {"type": "integer", "minimum": 0}, "seed": {"type": "integer", "minimum": 0}},
    columns=[*IDENT, "iteration", "requested_iteration", "status", "diverged_before", "png", "sha256"],
)
def sample_grid(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """The sample grids (samples/it_XXXXXXX.png, from the run's fixed noise) side by side, one per run key.

    Params: `iteration` (default: each run's last snapshot; a run that diverged earlier shows its last grid,
    flagged), `seed` (default 0, else the run's first seed). CSV: run, method, seed, run_id, iteration,
    requested_iteration, status, diverged_before (the grid is an earlier one because the run diverged),
    png (path relative to results/), sha256.
    """
    import matplotlib.image as mpimg

    p = _params(art)
    it_req = _int_param(art, p, "iteration", None, minimum=0)
    seed = _int_param(art, p, "seed", None, minimum=0)
    rows = []
    for key, runs in art.runs.items():
        if not runs:
            continue
        r = _pick_seed(art, key, runs, seed)
        st = _status(r)
        it, png, early = _pick_file(r, "samples", "png", it_req, "sample grid")
        rows.append({**_ident(key, r), "iteration": it, "requested_iteration": it_req, "status": st.get("status"),
                     "diverged_before": early, "png": _rel_to_results(png, r), "sha256": sha256_file(png),
                     "_path": png})
    if not rows:
        raise GanreproError(f"{_where(art)}: no runs to show")
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.6), squeeze=False)
    for ax, row in zip(axes[0], rows, strict=True):
        ax.imshow(mpimg.imread(row["_path"]))
        ax.axis("off")
        note = "\nDIVERGED (last grid)" if row["status"] == "diverged" else ""
        ax.set_title(f"{row['run']} ({row['method']}, seed {row['seed']}, it {row['iteration']}){note}", fontsize=8)
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)
    df = pd.DataFrame(rows).drop(columns="_path")
    return df, fig, {"images": {r["run"]: r["png"] for r in rows}}


# --------------------------------------------------------------------------------------- weight_histogram
def rebin(hist: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Spread every source bin [lo, hi] (count n) over the target `edges` in proportion to the overlap, i.e.
    assuming the weights are uniform inside a source bin; counts are conserved. A zero-width bin (a constant
    tensor) goes wholly to the target bin holding it."""
    out = np.zeros(len(edges) - 1)
    for lo, hi, n in zip(hist["lo"].to_numpy(float), hist["hi"].to_numpy(float), hist["count"].to_numpy(float),
                         strict=True):
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
    params={"iteration": {"type": "integer", "minimum": 0}, "params_like": {"type": "string"},
            "bins": {"type": "integer", "minimum": 1, "default": 50}},
    columns=[*IDENT, "iteration", "requested_iteration", "status", "diverged_before", "bin_lo", "bin_hi", "count",
             "n_weights", "n_params", "max_abs_w", "saturated_fraction", "saturated_fraction_upper"],
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
    p = _params(art)
    it_req = _int_param(art, p, "iteration", None, minimum=0)
    nbins = _int_param(art, p, "bins", 50)
    like = p.get("params_like")
    picked: dict[str, list[tuple[Any, dict[str, Any], pd.DataFrame]]] = {}
    for key, runs in art.runs.items():
        for r in runs:
            st = _status(r)
            it, path, early = _pick_file(r, "hist", "csv", it_req, "weight histograms")
            h = _read_csv(path)
            if len(h):
                available = list(dict.fromkeys(h["param"]))
                if like:
                    h = h[h["param"].str.contains(str(like), regex=False)]
                    if not len(h):
                        raise GanreproError(f"{_where(art)}: params.params_like {like!r} matches no parameter "
                                            f"in {path} (parameters: {', '.join(available)})")
            info = {**_ident(key, r), "iteration": it, "requested_iteration": it_req, "status": st.get("status"),
                    "diverged_before": early}
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
                rows.append({**info, "bin_lo": np.nan, "bin_hi": np.nan, "count": 0.0, "n_weights": 0,
                             "n_params": 0, "max_abs_w": np.nan, "saturated_fraction": np.nan,
                             "saturated_fraction_upper": np.nan})
                continue
            counts = rebin(h, edges)
            m, sat, sat_up = saturation(h)
            summary = {"n_weights": int(h["count"].sum()), "n_params": int(h["param"].nunique()), "max_abs_w": m,
                       "saturated_fraction": sat, "saturated_fraction_upper": sat_up}
            rows += [{**info, "bin_lo": edges[i], "bin_hi": edges[i + 1], "count": counts[i], **summary}
                     for i in range(nbins)]
    df = pd.DataFrame(rows)

    keys = list(picked)
    colour = _colours(keys)
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.2 * max(1, len(keys)), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=False):
        g = df[(df["run"] == key) & df["bin_lo"].notna()]
        if len(g):
            agg = g.groupby(["bin_lo", "bin_hi"], as_index=False)["count"].sum()
            ax.stairs(agg["count"], np.r_[agg["bin_lo"].to_numpy(), agg["bin_hi"].to_numpy()[-1]], fill=True,
                      color=colour[key], alpha=0.7)
            sat = g.groupby("seed")["saturated_fraction"].first().mean()
            ax.set_title(f"{key}: it {int(g['iteration'].max())}, saturated {sat:.1%}", fontsize=8)
        else:
            ax.set_title(f"{key}: no finite weights", fontsize=8)
        ax.set_xlabel("critic weight")
    axes[0][0].set_ylabel("count (summed over seeds)")
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)
    return df, fig, {"histogram_method": "per-tensor histograms summed on a common grid per run key, "
                                          "proportional-overlap rebinning; saturation within 1% of max |w|"}


# --------------------------------------------------------------------------------------- gradnorm_by_layer
@kind(
    "gradnorm_by_layer",
    params={"last_rows": {"type": "integer", "minimum": 1, "default": 10}},
    columns=[*IDENT, "layer_index", "param", "gradnorm", "iteration_from", "iteration_to", "n_rows", "status"],
)
def gradnorm_by_layer(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Critic gradient norm per layer depth (Purdue Fig. 5, WGAN-GP Fig. 1b) from losses.csv's
    `gradnorm_D.<param>` columns (L2 norm of the last critic step's gradient per weight tensor).

    Params: `last_rows` (default 10): the mean over the last that many log rows whose gradient norms are all
    finite (a diverged run's NaN/Inf rows are skipped), 1 = the last such row. Layers are numbered from 1 (the
    tensor nearest the critic's input) in the order of the columns, which is the module order.
    CSV: run, method, seed, run_id, layer_index, param, gradnorm, iteration_from, iteration_to, n_rows, status.
    Plot: gradient norm (log scale) vs layer index, mean over seeds per run key (band: min-max over seeds).
    """
    p = _params(art)
    last = _int_param(art, p, "last_rows", 10)
    rows = []
    for key, runs in art.runs.items():
        for r in runs:
            st = _status(r)
            df = _losses(r)
            gcols = [c for c in df.columns if c.startswith("gradnorm_D.")]
            if not gcols:
                raise GanreproError(f"{r.dir / 'losses.csv'} has no gradnorm_D.* columns (run {r.run_id}); "
                                    "rerun it with this version of the engine")
            vals = df[gcols].apply(_finite)
            ok = vals.notna().all(axis=1)
            tail = vals[ok].tail(last)
            its = df.loc[tail.index, "iteration"]
            for i, c in enumerate(gcols):
                rows.append({**_ident(key, r), "layer_index": i + 1, "param": c.removeprefix("gradnorm_D."),
                             "gradnorm": float(tail[c].mean()) if len(tail) else np.nan,
                             "iteration_from": int(its.min()) if len(its) else np.nan,
                             "iteration_to": int(its.max()) if len(its) else np.nan,
                             "n_rows": len(tail), "status": st.get("status")})
    out = pd.DataFrame(rows)
    colour = _colours(list(art.runs))
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, g in out.groupby("run", sort=False):
        agg = g.groupby("layer_index")["gradnorm"].agg(["mean", "min", "max"]).reset_index()
        agg = agg[agg["mean"] > 0]
        if len(agg):
            ax.plot(agg["layer_index"], agg["mean"], "o-", color=colour[key], label=str(key))
            ax.fill_between(agg["layer_index"], agg["min"], agg["max"], color=colour[key], alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel("critic layer (1 = input side)")
    ax.set_ylabel("gradient norm")
    ax.legend(fontsize=8)
    ax.set_title(f"{art.spec.get('title', art.name)} (mean of last {last} finite log rows)", fontsize=9)
    return out, fig, {}


# ------------------------------------------------------------------------------------- divergence_summary
@kind(
    "divergence_summary",
    params={"column": {"type": "string", "default": "loss_D"}, "window": {"type": "integer", "minimum": 1, "default": 100}},
    columns=[*IDENT, "status", "diverged", "diverged_at", "divergence_reason", "iterations_done", "iterations_planned",
             "column", "last_iteration", "final_value", "max_abs", "rolling_std", "window_rows"],
)
def divergence_summary(art: Any) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
    """Did each run diverge, when and why (TV-WGAN Figs. 2/4: GP-WGAN explosion / fluctuation), and how much
    the loss fluctuated at the end.

    Params: `column` (losses.csv column, default loss_D), `window` (default 100 log rows).
    CSV, one row per run and seed: run, method, seed, run_id, status, diverged (bool), diverged_at,
    divergence_reason, iterations_done, iterations_planned, column, last_iteration (last logged), final_value
    (last finite value of the column), max_abs (largest finite |value|), rolling_std (sample std of the last
    `window` finite values), window_rows (how many there were). Plot: the column against iteration per run
    (symlog scale), colour per run key, an x at the divergence iteration.
    """
    p = _params(art)
    col = p.get("column", "loss_D")
    window = _int_param(art, p, "window", 100)
    rows, curves = [], []
    for key, runs in art.runs.items():
        for r in runs:
            st = _status(r)
            df = _losses(r)
            if col not in df.columns:
                raise GanreproError(f"{r.dir / 'losses.csv'} has no column {col!r} (run {r.run_id}); "
                                    f"logged columns: {', '.join(c for c in df.columns if c != 'iteration')}")
            v = _finite(df[col])
            fin = v.dropna()
            tail = fin.tail(window)
            rows.append({**_ident(key, r), "status": st.get("status"), "diverged": st.get("status") == "diverged",
                         "diverged_at": st.get("diverged_at"), "divergence_reason": st.get("divergence_reason"),
                         "iterations_done": st.get("iterations_done"),
                         "iterations_planned": st.get("iterations_planned"), "column": col,
                         "last_iteration": int(df["iteration"].iloc[-1]) if len(df) else np.nan,
                         "final_value": float(fin.iloc[-1]) if len(fin) else np.nan,
                         "max_abs": float(fin.abs().max()) if len(fin) else np.nan,
                         "rolling_std": float(tail.std()) if len(tail) > 1 else np.nan,
                         "window_rows": len(tail)})
            curves.append((key, r, st, df["iteration"].to_numpy(), v.to_numpy()))
    out = pd.DataFrame(rows)
    out["diverged_at"] = out["diverged_at"].astype("Int64")
    colour = _colours(list(art.runs))
    fig, ax = plt.subplots(figsize=(7, 4))
    labelled = set()
    for key, _r, st, its, v in curves:
        ax.plot(its, v, color=colour[key], lw=1, label=None if key in labelled else str(key))
        labelled.add(key)
        at = st.get("diverged_at")
        if st.get("status") == "diverged" and at is not None:
            ok = np.isfinite(v) & (its <= at)
            y = v[ok][-1] if ok.any() else 0.0
            ax.plot([at], [y], "x", color=colour[key], ms=9, mew=2)
            ax.annotate(f"diverged @ {at}", (at, y), fontsize=7, color=colour[key], xytext=(3, 3),
                        textcoords="offset points")
    finite = np.abs(np.concatenate([c[4] for c in curves] or [np.zeros(0)]))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    # linear up to the typical magnitude, logarithmic beyond it: explosions stay on the plot, small losses too
    ax.set_yscale("symlog", linthresh=float(np.median(finite)) if len(finite) else 1.0)
    ax.set_xlabel("G iteration")
    ax.set_ylabel(col)
    ax.legend(fontsize=8)
    ax.set_title(f"{art.spec.get('title', art.name)}: {col}, x = divergence", fontsize=9)
    return out, fig, {"diverged_runs": _diverged_runs(art)}
