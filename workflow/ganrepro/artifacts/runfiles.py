"""Reading a run folder (status.json, losses.csv, samples/, hist/) for the artifact kinds built from run files.

Every artifact CSV is tidy: one row per observation with the run key (`run`), `method`, `seed` and `run_id`
(IDENT), plus `iteration` where there is one, so that claims can be written against it. Runs that diverged
(NaN/Inf rows, no later snapshots) are handled, never an error; a missing input file is a GanreproError naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganrepro.core import runfolder
from ganrepro.core.errors import GanreproError


def params_of(art: Any) -> dict[str, Any]:
    return dict((art.spec or {}).get("params") or {})


def where(art: Any) -> str:
    return f"artifact {art.paper}/{art.name} ({art.kind})"


def method_of(run: Any) -> str:
    return str((getattr(run, "config", None) or {}).get("method", {}).get("name", ""))


def ident(key: str, run: Any) -> dict[str, Any]:
    return {"run": key, "method": method_of(run), "seed": run.seed, "run_id": run.run_id}


def require(path: Path, run: Any, what: str) -> Path:
    if not path.exists():
        raise GanreproError(f"{path} missing: run {run.run_id} has no {what}; run `snakemake` to train it")
    return path


def _retrain(run: Any) -> str:
    return f"run `snakemake` again (run {run.run_id} resumes from its last checkpoint and writes it again)"


def status_of(run: Any) -> dict[str, Any]:
    path = require(run.dir / "status.json", run, "status.json (it has not finished)")
    st = runfolder.read_json(path, _retrain(run))
    if st.get("status") not in ("completed", "diverged"):
        raise runfolder.damaged(path, f"status {st.get('status')!r}, expected completed or diverged", _retrain(run))
    return st


def read_csv(path: Path, run: Any) -> pd.DataFrame:
    """A CSV the engine wrote (histograms); an empty table (no finite weights at that iteration) reads as empty."""
    fix = f"restore it, or retrain run {run.run_id} (remove {run.dir}, then run `snakemake`)"
    return runfolder.read_csv(path, fix, columns=("iteration",), allow_empty=True)


def losses(run: Any) -> pd.DataFrame:
    """The run's losses.csv, checked against its status.json: a finished run logged its last iteration (or the one
    it diverged at), so an emptied or cut file is damaged, never a run that silently drops out of a figure."""
    path = require(run.dir / "losses.csv", run, "losses.csv")
    st = status_of(run)
    fix = f"`ganrepro train {run.dir}` rewrites it from the run's checkpoint"
    df = runfolder.read_csv(path, fix, columns=("iteration",), allow_empty=False)
    last = st.get("diverged_at") if st["status"] == "diverged" else st.get("iterations_done")
    got = int(pd.to_numeric(df["iteration"], errors="coerce").max()) if len(df) else None
    if last is not None and got != int(last):
        raise runfolder.damaged(path, f"its last logged iteration is {got}, status.json says {last}", fix)
    return df.sort_values("iteration", kind="stable").reset_index(drop=True)


IT_FILE = re.compile(r"it_(\d+)\.")


def pick_file(run: Any, sub: str, ext: str, iteration: int | None, what: str) -> tuple[int, Path, bool]:
    """The run's file `sub/it_XXXXXXX.ext` at `iteration` (default: the last one). A run that diverged before
    `iteration` has no file there: its last file is used instead (third value True). Missing otherwise: error."""
    folder = run.dir / sub
    files = sorted(folder.glob(f"it_*.{ext}"))
    if iteration is None:
        if not files:
            raise GanreproError(
                f"{folder}/it_*.{ext} missing: run {run.run_id} wrote no {what}; run `snakemake` to train it"
            )
        f = files[-1]
        return int(IT_FILE.search(f.name).group(1)), f, False
    path = folder / f"it_{iteration:07d}.{ext}"
    if path.exists():
        return iteration, path, False
    st = status_of(run)
    if st.get("status") == "diverged" and st.get("diverged_at") is not None and st["diverged_at"] < iteration:
        earlier = [f for f in files if int(IT_FILE.search(f.name).group(1)) <= iteration]
        if earlier:
            f = earlier[-1]
            return int(IT_FILE.search(f.name).group(1)), f, True
    raise GanreproError(
        f"{path} missing: run {run.run_id} has no {what} at iteration {iteration} "
        f"(has: {', '.join(f.name for f in files) or 'none'})"
    )


def finite_values(s: pd.Series) -> pd.Series:
    """Float copy with +-Inf turned into NaN (diverged rows)."""
    return pd.to_numeric(s, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)


def median_filter(values: pd.Series, window: int) -> pd.Series:
    """Centred running median over `window` rows (odd). At the ends the window is cut to the rows that exist
    (no zero padding, unlike scipy.signal.medfilt); NaN/Inf rows are left out of every window and stay NaN."""
    x = finite_values(values).reset_index(drop=True)
    if window <= 1:
        return x
    out = x.rolling(window, center=True, min_periods=1).median()
    out[x.isna()] = np.nan
    return out


def colours(keys: list[str]) -> dict[str, Any]:
    import matplotlib.pyplot as plt  # here: validating imports this module

    cmap = plt.get_cmap("tab10")
    return {k: cmap(i % 10) for i, k in enumerate(keys)}


def diverged_runs(art: Any) -> dict[str, int | None]:
    out = {}
    for runs in art.runs.values():
        for r in runs:
            st = status_of(r)
            if st.get("status") == "diverged":
                out[r.run_id] = st.get("diverged_at")
    return out
