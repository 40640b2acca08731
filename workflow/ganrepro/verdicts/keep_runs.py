"""Keep a paper's finished paper-scale runs in git (their small files), and put them back into results/runs/.

An artifact needs all its seeds at once, but a paper-scale seed can take most of a working session on a CPU and
results/ is not kept between machines. `ganrepro keep-runs` copies each finished run's small files (config.json,
status.json, losses.csv, samples/, hist/, eval/, claims_at_start.json; never the checkpoint or the snapshots,
which are large and only needed to resume or to score) into paper_tables/<paper>/reproduced/runs/<run id>/ with
a manifest of their sha256. `ganrepro restore-runs` verifies them and copies them back, so the DAG trains only the
runs still missing and builds the artifact from all seeds. A restored run is the same bytes its training wrote:
its status.json still names the machine, code and time that trained it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_write_json, sha256_file
from ganrepro.core.paths import CLAIMS_AT_START, committed_dir, run_dir
from ganrepro.core.provenance import git_commit, now_iso
from ganrepro.spec import names
from ganrepro.spec import scale as scales
from ganrepro.spec.plan import Plan, dump_json
from ganrepro.verdicts.results import read_json

MANIFEST = "kept_run.json"
LEFT_OUT_DIRS = ("ckpt", "snapshots")  # resume state and weights: large, and not read by any artifact
LEFT_OUT_SUFFIXES = (".pt", ".tmp")
MAX_BYTES = 8 << 20  # a kept run is its logs and pictures; more means something large slipped in
FINISHED = ("completed", "diverged")  # a diverged run is a result too
# restored file times, seconds before now: each job's output newer than its input (restore_runs)
AGE_S = {"config.json": 3, CLAIMS_AT_START: 3, "status.json": 1, "eval": 0}  # anything else: 2


def kept_runs_dir(paper: str) -> Path:
    return committed_dir(paper) / "runs"


def _paper_runs(plan: Plan, paper: str) -> dict[str, Any]:
    if paper not in plan.papers:
        raise GanreproError(f"paper {paper!r} is not in the configured papers ({', '.join(plan.papers)}); add it")
    return {r.run_id: r for a in plan.papers[paper].artifacts.values() for rs in a.runs.values() for r in rs}


def _small_files(folder: Path) -> list[Path]:
    """The files of a run folder that are kept, relative to it (sorted)."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or rel.parts[0] in LEFT_OUT_DIRS or p.suffix in LEFT_OUT_SUFFIXES:
            continue
        if ".corrupt" in p.name or rel.name == MANIFEST:
            continue
        out.append(rel)
    return out


def keep_runs(plan: Plan, paper: str) -> tuple[list[str], list[str]]:
    """Copy the paper's finished runs (completed or diverged) into reproduced/runs/; returns (one line per kept run:
    its id and new, unchanged or replaced; one line per planned run that is not finished). A run kept before is
    replaced only when its files changed."""
    names.check("paper", paper, "ganrepro keep-runs")
    if not scales.comparable(plan.config["scale"]):
        raise GanreproError(
            f"keep-runs keeps paper-scale runs only, and this plan is scale={plan.config['scale']}; "
            "pass --config scale=paper"
        )
    kept, waiting = [], []
    for rid, run in sorted(_paper_runs(plan, paper).items()):
        src = run_dir(rid)
        if not (src / "status.json").exists():
            waiting.append(f"{rid}: not finished (no status.json)")
            continue
        status = read_json(src / "status.json", f"rerun its training: snakemake --cores N {src / 'status.json'}")
        if status.get("status") not in FINISHED:
            waiting.append(f"{rid}: status {status.get('status')!r}, not a finished run")
            continue
        if (src / "config.json").read_text() != dump_json(run.config) + "\n":
            raise GanreproError(
                f"{src / 'config.json'} is not the config the plan resolves for run {rid}; move the folder aside "
                "and train the run again"
            )
        files = _small_files(src)
        size = sum((src / f).stat().st_size for f in files)
        if size > MAX_BYTES:
            raise GanreproError(
                f"{src}: its kept files take {size / 2**20:.1f} MiB, over the {MAX_BYTES >> 20} MiB a kept run may "
                "take; move the large files out of the run folder or raise MAX_BYTES in verdicts/keep_runs.py"
            )
        manifest = {
            "run_id": rid,
            "kept": now_iso(),
            "kept_by_commit": git_commit(),
            "files": {f.as_posix(): sha256_file(src / f) for f in files},
        }
        dst = kept_runs_dir(paper) / rid
        before = read_json(dst / MANIFEST, "delete the folder and keep it again") if (dst / MANIFEST).exists() else {}
        if before.get("files") == manifest["files"]:
            kept.append(f"{rid} (unchanged)")  # the same bytes: nothing to replace
            continue
        # staged beside, then swapped in: a kept run is whole, never half of an old and half of a new one
        stage = dst.with_name(f".{rid}.staging")
        shutil.rmtree(stage, ignore_errors=True)
        for f in files:
            (stage / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / f, stage / f)
        atomic_write_json(stage / MANIFEST, manifest)
        old = dst.with_name(f".{rid}.old")
        if dst.exists():
            shutil.rmtree(old, ignore_errors=True)
            dst.rename(old)
        stage.rename(dst)
        shutil.rmtree(old, ignore_errors=True)
        # the same config trained again gave other bytes (other code, or other numerics): said, never silent
        kept.append(f"{rid} ({'replaced: its files differ from the kept ones' if before else 'new'})")
    return kept, waiting


def _verified(folder: Path, runs: dict[str, Any], fix: str) -> list[Path]:
    """The files of a kept run, after checking its manifest, the bytes and that the plan still has its config."""
    rid = folder.name
    if not (folder / MANIFEST).is_file():
        raise GanreproError(f"{folder}: no {MANIFEST}, so its bytes cannot be verified; {fix}")
    manifest = read_json(folder / MANIFEST, fix)
    files = manifest.get("files")
    if manifest.get("run_id") != rid or not isinstance(files, dict) or not files:
        raise GanreproError(f"{folder / MANIFEST}: not the manifest of run {rid}; {fix}")
    if rid not in runs:
        raise GanreproError(  # (a kept run of a seed the plan does not ask for is skipped before this)
            f"{folder}: run {rid} is not in the current plan (its resolved config changed since it was kept, so "
            f"these files are another configuration's); delete the folder and train the run again"
        )
    for rel, digest in files.items():
        p = folder / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts or not p.is_file():
            raise GanreproError(f"{folder / MANIFEST}: lists {rel!r}, which is not a file of the kept run; {fix}")
        if sha256_file(p) != digest:
            raise GanreproError(f"{p}: its bytes differ from the sha256 the manifest records (damaged); {fix}")
    extra = sorted({f.as_posix() for f in _small_files(folder)} - set(files))
    if extra:
        raise GanreproError(f"{folder}: holds {', '.join(extra)}, which its manifest does not list; {fix}")
    config = (folder / "config.json").read_text() if "config.json" in files else None
    if config != dump_json(runs[rid].config) + "\n":
        raise GanreproError(
            f"{folder / 'config.json'} is not the config the plan resolves for run {rid}; delete the folder and "
            "train the run again"
        )
    return [Path(rel) for rel in files]


FIX = "keep the run again from a machine that has it (`ganrepro keep-runs`), or delete the folder"


def _kept_folders(paper: str) -> list[Path]:
    return sorted(p for p in kept_runs_dir(paper).glob("*") if p.is_dir() and not p.name.startswith("."))


def verify_kept(paper: str) -> list[tuple[str, str | None]]:
    """(run id, None or the one-line problem) for each kept run of the paper: its bytes against its manifest and
    its config.json against the paper-scale plan of its seed. Read only (`ganrepro check`)."""
    from ganrepro.spec.config import load_config
    from ganrepro.spec.plan import build_plan

    folders = _kept_folders(paper)
    if not folders:
        return []
    seeds = sorted({s for f in folders if (s := _kept_seed(f)) is not None}) or [0]
    runs = _paper_runs(build_plan(load_config(None, {"scale": "paper", "papers": [paper], "seeds": seeds})), paper)
    out: list[tuple[str, str | None]] = []
    for f in folders:
        try:
            _verified(f, runs, FIX)
            out.append((f.name, None))
        except GanreproError as e:
            out.append((f.name, str(e)))
    return out


def _kept_seed(folder: Path) -> int | None:
    """The seed a kept run's config.json names (None when it cannot be read: verification then says why)."""
    try:
        seed = json.loads((folder / "config.json").read_text()).get("seed")
    except (OSError, ValueError, AttributeError):
        return None
    return seed if isinstance(seed, int) else None


def restore_runs(plan: Plan, paper: str) -> tuple[list[str], list[str]]:
    """Copy the paper's kept runs into results/runs/ where a run folder has no result yet; returns (restored run
    ids, one line per kept run left as it was). Every kept run is verified first: one damaged run restores none."""
    names.check("paper", paper, "ganrepro restore-runs")
    runs = _paper_runs(plan, paper)
    folders = _kept_folders(paper)
    restored, left, checked = [], [], []
    for f in folders:
        seed = _kept_seed(f)
        if seed is not None and seed not in plan.config["seeds"]:
            left.append(f"{f.name}: seed {seed} is not among this plan's seeds {plan.config['seeds']}")
            continue
        checked.append((f, _verified(f, runs, FIX)))
    todo = []  # every destination is checked before anything is copied, like every kept run above
    for folder, files in checked:
        dst = run_dir(folder.name)
        if (dst / "status.json").exists():
            left.append(f"{folder.name}: results/runs/ already has it")
            continue
        if dst.exists() and any(p.is_file() for p in dst.rglob("*") if p.name not in ("config.json", CLAIMS_AT_START)):
            raise GanreproError(
                f"{dst} holds an unfinished run (checkpoint or logs); move it aside to restore the kept, finished one, "
                "or let it finish"
            )
        todo.append((folder, files, dst))
    for folder, files, dst in todo:
        stage = dst.with_name(f".{folder.name}.restoring")
        shutil.rmtree(stage, ignore_errors=True)
        for rel in files:
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / rel, stage / rel)
        # Snakemake reruns a job whose output is older than its input: config.json, then the run's files, then
        # status.json (the train rule's output), then eval/ (whose jobs read status.json)
        now = time.time()
        for rel in files:
            age = AGE_S.get(rel.parts[0], 2)
            os.utime(stage / rel, (now - age, now - age))
        if dst.exists():
            shutil.rmtree(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        stage.rename(dst)
        restored.append(folder.name)
    return restored, left
