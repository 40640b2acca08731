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


def _pick_seed(art: Any, key: str, runs: list[Any], seed: int | None) -> Any:
    if seed is None:  # seed 0 when the run has it, else the first seed listed
        return next((r for r in runs if r.seed == 0), runs[0])
    for r in runs:
        if r.seed == seed:
            return r
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
    """The sample grids (samples/it_XXXXXXX.png, from the run's fixed noise) side by side, one per run key.

    Params: `iteration` (default: each run's last snapshot; a run that diverged earlier shows its last grid,
    flagged), `seed` (default 0, else the run's first seed). CSV: run, method, seed, run_id, iteration,
    requested_iteration, status, diverged_before (the grid is an earlier one because the run diverged),
    png (path relative to results/), sha256.
    """
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt  # here: validating imports this module

    p = params_of(art)
    it_req, seed = p.get("iteration"), p.get("seed")  # optional; types checked against @kind above
    rows = []
    for key, runs in art.runs.items():
        if not runs:
            continue
        r = _pick_seed(art, key, runs, seed)
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
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.6), squeeze=False)
    for ax, row in zip(axes[0], rows, strict=True):
        ax.imshow(mpimg.imread(row["_path"]))
        ax.axis("off")
        note = "\nDIVERGED (last grid)" if row["status"] == "diverged" else ""
        ax.set_title(f"{row['run']} ({row['method']}, seed {row['seed']}, it {row['iteration']}){note}", fontsize=8)
    fig.suptitle(art.spec.get("title", art.name), fontsize=10)  # build() marks a figure of stand-in data
    df = pd.DataFrame(rows).drop(columns=["_path"])
    return df, fig, {"images": {r["run"]: r["png"] for r in rows}}
