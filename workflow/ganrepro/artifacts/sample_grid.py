"""Sample grids from each run's fixed noise, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ganrepro.artifacts import IDENT, kind
from ganrepro.artifacts.runfiles import ident, params_of, pick_file, status_of, where
from ganrepro.core.errors import GanreproError
from ganrepro.core.io import sha256_file
from ganrepro.core.paths import RESULTS, repo_root


def _pick_seeds(art: Any, key: str, runs: list[Any], seed: int | None) -> list[Any]:
    if seed is None:  # every seed: a grid per seed shows whether collapse or quality depends on the seed
        return sorted(runs, key=lambda r: r.seed)
    for r in runs:
        if r.seed == seed:
            return [r]
    raise GanreproError(
        f"{where(art)}: params.seed {seed} is not among run {key}'s seeds ({', '.join(str(r.seed) for r in runs)})"
    )


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
    """The sample grids (samples/it_XXXXXXX.png, from the run's fixed noise): a column per run key, a row per seed.

    Params: `iteration` (default: each run's last snapshot; a run that diverged earlier shows its last grid,
    flagged), `seed` (default: every seed; set it to show one). CSV, a row per (run, seed): run, method, seed,
    run_id, iteration, requested_iteration, status, diverged_before (the grid is an earlier one because the run
    diverged), png (path relative to results/), sha256.
    """
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    it_req, seed = p.get("iteration"), p.get("seed")  # optional; types checked against @kind above
    rows = []
    for key, runs in art.runs.items():
        for r in _pick_seeds(art, key, runs, seed) if runs else []:
            st = status_of(r)
            it, png, early = pick_file(r, "samples", "png", it_req, "sample grid")
            rows.append(
                {
                    **ident(key, r),
                    "iteration": it,
                    "requested_iteration": it_req,
                    "status": st.get("status"),
                    "diverged_before": early,
                    "png": _rel_to_results(png, r),
                    "sha256": sha256_file(png),
                    "_path": png,
                }
            )
    if not rows:
        raise GanreproError(f"{where(art)}: no runs to show")
    keys = list(dict.fromkeys(row["run"] for row in rows))
    seeds = sorted({row["seed"] for row in rows})
    images = [mpimg.imread(row["_path"]) for row in rows]
    # each row as tall as its tallest grid (height / width), so grids of any shape leave no empty bands
    aspect = [
        max(im.shape[0] / im.shape[1] for row, im in zip(rows, images, strict=True) if row["seed"] == s) for s in seeds
    ]
    fig, axes = plt.subplots(
        len(seeds),
        len(keys),
        figsize=(3.4 * len(keys), sum(3.4 * a + 0.35 for a in aspect) + 0.3),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"height_ratios": [3.4 * a + 0.35 for a in aspect]},
    )
    for ax in axes.flat:
        ax.axis("off")  # a run key without this seed leaves its cell empty
    for row, im in zip(rows, images, strict=True):
        ax = axes[seeds.index(row["seed"])][keys.index(row["run"])]
        ax.imshow(im)
        note = "\nDIVERGED (last grid)" if row["status"] == "diverged" else ""
        ax.set_title(f"{row['run']} ({row['method']}, seed {row['seed']}, it {row['iteration']}){note}", fontsize=8)
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)  # build() marks a figure of stand-in data
    df = pd.DataFrame(rows).drop(columns=["_path"])
    return df, fig, {"images": {f"{r['run']}/seed{r['seed']}": r["png"] for r in rows}}
