"""Kept runs: finished paper-scale runs kept in git without their checkpoints, restored verified on another
machine, so that seeds trained in different sessions add up to one artifact."""

import json
import os
import shutil
import subprocess

import pytest
from ganrepro.cli import main
from ganrepro.core.errors import GanreproError
from ganrepro.spec.config import load_config
from ganrepro.spec.plan import build_plan, write_run_config
from ganrepro.verdicts.keep_runs import MANIFEST, keep_runs, kept_runs_dir, restore_runs

PAPER = "wgangp_columbia"


def _rm(*dirs) -> None:
    for d in dirs:
        shutil.rmtree(d)


def _plan(seeds=(0, 1, 2), scale="paper"):
    cfg = load_config(None, {"scale": scale, "papers": [PAPER], "seeds": list(seeds)})
    return build_plan(cfg)


def _fmnist_runs(plan):
    return sorted(r for a in plan.papers[PAPER].artifacts.values() if a.name == "fmnist_losses" for r in a.runs)


def _finish(plan, key="fmnist_mlp", seed=0, status="completed"):
    """A run folder as training leaves it: its files, a checkpoint and snapshots (never kept)."""
    run = next(r for r in plan.papers[PAPER].artifacts["fmnist_losses"].runs[key] if r.seed == seed)
    d = run.dir
    d.mkdir(parents=True, exist_ok=True)
    write_run_config(plan, d)
    (d / "losses.csv").write_text("iteration,loss_G,W_estimate\n10,1.0,2.0\n20,0.5,1.0\n")
    (d / "samples").mkdir(exist_ok=True)
    (d / "samples" / "it_0005000.png").write_bytes(b"\x89PNG fake grid " + bytes([seed]))
    (d / "ckpt").mkdir(exist_ok=True)
    (d / "ckpt" / "last.pt").write_bytes(b"resume state")
    (d / "snapshots").mkdir(exist_ok=True)
    (d / "snapshots" / "it_0005000.pt").write_bytes(b"weights")
    (d / "status.json").write_text(json.dumps({"status": status, "iterations_done": 5000, "device": "cpu"}))
    return run


def _bytes(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_keep_then_restore_gives_back_the_same_files_without_checkpoints(repo_copy):
    plan = _plan()
    run = _finish(plan)
    _finish(plan, "fmnist_dcgan", 1, status="diverged")  # a diverged run is a result: kept too
    before = _bytes(run.dir)
    kept, waiting = keep_runs(plan, PAPER)
    assert len(kept) == 2 and len(waiting) == len(plan.runs) - 2  # the others have not finished
    folder = kept_runs_dir(PAPER) / run.run_id
    files = set(json.loads((folder / MANIFEST).read_text())["files"])
    assert files == {"claims_at_start.json", "config.json", "losses.csv", "samples/it_0005000.png", "status.json"}
    assert not (folder / "ckpt").exists() and not (folder / "snapshots").exists()

    for d in (repo_copy / "results" / "runs").iterdir():  # another machine: no results/
        _rm(d)
    restored, left = restore_runs(plan, PAPER)
    assert sorted(restored) == sorted(line.split()[0] for line in kept) and left == []
    assert all(line.endswith("(new)") for line in kept)
    after = _bytes(run.dir)
    assert after == {k: v for k, v in before.items() if not k.startswith(("ckpt/", "snapshots/"))}
    # Snakemake reruns a job whose output is older than its input: status.json must be newer than config.json
    assert os.path.getmtime(run.dir / "status.json") > os.path.getmtime(run.dir / "config.json")
    again, left = restore_runs(plan, PAPER)
    assert again == [] and len(left) == 2 and "already has it" in left[0]
    assert all(line.endswith("(unchanged)") for line in keep_runs(plan, PAPER)[0])
    (run.dir / "losses.csv").write_text("iteration,loss_G,W_estimate\n10,1.0,2.5\n")  # trained again, other bytes
    kept, _ = keep_runs(plan, PAPER)
    assert f"{run.run_id} (replaced: its files differ from the kept ones)" in kept


def test_the_dag_does_not_train_a_restored_run_again(repo_copy):
    plan = _plan(seeds=(0,))
    run = _finish(plan)
    keep_runs(plan, PAPER)
    _rm(run.dir)
    restore_runs(plan, PAPER)
    target = f"results/runs/{run.run_id}/status.json"
    cmd = ["snakemake", "-n", "--cores", "1", target, "--config", "scale=paper", f"papers=[{PAPER}]", "seeds=[0]"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=repo_copy)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Nothing to be done" in out.stdout + out.stderr
    # control: the same folder without its status.json is trained
    (run.dir / "status.json").unlink()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=repo_copy)
    assert "training " + run.run_id in out.stdout + out.stderr


def test_a_damaged_kept_run_restores_nothing_and_names_the_file(repo_copy):
    plan = _plan()
    good, bad = _finish(plan), _finish(plan, "fmnist_mlp", 1)
    keep_runs(plan, PAPER)
    _rm(good.dir, bad.dir)
    (kept_runs_dir(PAPER) / bad.run_id / "losses.csv").write_text("iteration,loss_G\n10,0.0\n")
    with pytest.raises(GanreproError, match=r"losses\.csv: its bytes differ"):
        restore_runs(plan, PAPER)
    assert not good.dir.exists() and not bad.dir.exists()  # all verified first: none restored


def test_a_file_the_manifest_does_not_list_is_refused(repo_copy):
    plan = _plan()
    run = _finish(plan)
    keep_runs(plan, PAPER)
    _rm(run.dir)
    (kept_runs_dir(PAPER) / run.run_id / "extra.csv").write_text("a\n1\n")
    with pytest.raises(GanreproError, match="extra.csv, which its manifest does not list"):
        restore_runs(plan, PAPER)


def test_a_kept_run_of_another_config_is_refused(repo_copy):
    plan = _plan()
    run = _finish(plan)
    keep_runs(plan, PAPER)
    _rm(run.dir)
    folder = kept_runs_dir(PAPER) / run.run_id
    cfg = json.loads((folder / "config.json").read_text())
    cfg["iterations"] = 100  # the manifest updated too: only the plan can tell
    (folder / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    manifest = json.loads((folder / MANIFEST).read_text())
    from ganrepro.core.io import sha256_file

    manifest["files"]["config.json"] = sha256_file(folder / "config.json")
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(GanreproError, match="not the config the plan resolves"):
        restore_runs(plan, PAPER)


def test_seeds_outside_the_plan_are_left_and_unfinished_folders_are_not_overwritten(repo_copy):
    plan = _plan()
    s0, s2 = _finish(plan), _finish(plan, "fmnist_mlp", 2)
    keep_runs(plan, PAPER)
    _rm(s0.dir, s2.dir)
    restored, left = restore_runs(_plan(seeds=(0,)), PAPER)
    assert restored == [s0.run_id] and len(left) == 1 and "seed 2 is not among" in left[0]
    s2.dir.mkdir(parents=True)
    (s2.dir / "ckpt").mkdir()
    (s2.dir / "ckpt" / "last.pt").write_bytes(b"a run in progress")
    _rm(s0.dir)
    with pytest.raises(GanreproError, match="holds an unfinished run"):
        restore_runs(plan, PAPER)
    assert (s2.dir / "ckpt" / "last.pt").read_bytes() == b"a run in progress"
    assert not s0.dir.exists()  # every destination is checked before any run is copied


def test_keep_runs_keeps_paper_scale_only_and_the_cli_says_what_it_did(repo_copy, capsys):
    with pytest.raises(GanreproError, match="scale=smoke"):
        keep_runs(_plan(scale="smoke"), PAPER)
    plan = _plan()
    run = _finish(plan)
    assert main(["keep-runs", PAPER, "--config", "scale=paper", "seeds=[0,1,2]"]) == 0
    out = capsys.readouterr().out
    assert "kept 1 finished run(s)" in out and run.run_id in out and "not kept:" in out
    _rm(run.dir)
    assert main(["restore-runs", PAPER, "--config", "scale=paper", "seeds=[0,1,2]"]) == 0
    assert "restored 1 kept run(s)" in capsys.readouterr().out and (run.dir / "status.json").exists()


def test_check_verifies_kept_runs_and_fails_on_a_damaged_one(repo_copy):
    from ganrepro.verdicts.check import check

    plan = _plan()
    run = _finish(plan)
    keep_runs(plan, PAPER)
    code, lines = check([PAPER], committed_only=True)
    assert code == 0 and any(f"kept run {run.run_id}: verified" in ln for ln in lines)
    (kept_runs_dir(PAPER) / run.run_id / "status.json").write_text('{"status": "completed", "forged": true}')
    code, lines = check([PAPER], committed_only=True)
    assert code == 1 and any(f"kept run {run.run_id}: CHECK FAILED" in ln and "status.json" in ln for ln in lines)


def test_plan_status_names_a_kept_run_that_is_not_here(repo_copy, capsys):
    plan = _plan(seeds=(0,))
    run = _finish(plan)
    keep_runs(plan, PAPER)
    _rm(run.dir)
    assert main(["plan", "--status", "--config", "scale=paper", f"papers=[{PAPER}]", "seeds=[0]"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if run.run_id in ln)
    assert "kept in git" in line and f"restore-runs {PAPER}" in line
