"""How Snakemake composes this repository's profiles (slurm/, profiles/default/, the SLURM test overlay), checked
with dry runs: SLURM is asked for as many CPUs as each job runs threads, and the workflow profile that Snakemake
applies to every run never contradicts the cluster profile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml
from snakemake_executor_plugin_slurm.partitions import get_job_cpu_requirement

from .conftest import ROOT

# The plugin asks `scontrol show config` while building its options (and copes when that fails); a dry run must
# plan with every SLURM command failing, and never submit or cancel.
SLURM_QUERIES = ["sinfo", "squeue", "sacct", "sacctmgr", "scontrol"]
SLURM_ACTIONS = ["sbatch", "srun", "scancel"]

# A rule with `message:` hides its threads and resources in a dry run; print the full job block instead.
FULL_JOB_INFO = """
import sys
from snakemake.cli import main
from snakemake.logging import DefaultFormatter
shown = DefaultFormatter.format_job_info
DefaultFormatter.format_job_info = lambda self, msg: shown(self, {**msg, "rule_msg": None})
main(sys.argv[1:])
"""


def _fake_slurm(tmp: Path) -> tuple[Path, Path]:
    """SLURM commands that fail as if no cluster were there, each leaving a mark when called."""
    bin_dir, marks = tmp / "fake-slurm-bin", tmp / "slurm-called"
    bin_dir.mkdir()
    marks.mkdir()
    for name in SLURM_QUERIES + SLURM_ACTIONS:
        exe = bin_dir / name
        exe.write_text(f"#!/bin/sh\ntouch {marks}/{name}\nexit 1\n")
        exe.chmod(0o755)
    return bin_dir, marks


def planned_jobs(*args: str, tmp: Path) -> list[dict]:
    """Dry-run Snakemake with `args`; one dict per planned job: rule, threads, resources (as printed)."""
    bin_dir, marks = _fake_slurm(tmp)
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    r = subprocess.run(
        [sys.executable, "-c", FULL_JOB_INFO, "-n", *args], capture_output=True, text=True, env=env, timeout=600
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    called = {p.name for p in marks.iterdir()}
    assert not called & set(SLURM_ACTIONS), f"a dry run called {sorted(called)}"
    jobs = []
    for block in re.split(r"^\[.*\d{4}\]$", out, flags=re.M):
        rule = re.search(r"^(?:local)?rule (\w+):$", block, flags=re.M)
        if not rule:
            continue
        threads = re.search(r"^\s+threads: (\d+)$", block, flags=re.M)
        res = re.search(r"^\s+resources: (.*)$", block, flags=re.M)
        resources = dict(kv.split("=", 1) for kv in res.group(1).split(", ")) if res else {}
        # Snakemake omits the threads line when a job runs 1 thread
        jobs.append({"rule": rule.group(1), "threads": int(threads.group(1)) if threads else 1, "res": resources})
    return jobs


def slurm_cpus(job: dict) -> int:
    """The CPUs the SLURM plugin would put in sbatch --cpus-per-task (or --cpus-per-gpu) for this job."""
    cpus, _ = get_job_cpu_requirement(SimpleNamespace(threads=job["threads"], resources=job["res"]))
    return cpus


def test_slurm_dry_run_plans_each_job_with_its_threads_and_resources(repo_copy, tmp_path):
    jobs = planned_jobs("--profile", "slurm", tmp=tmp_path)
    profile = yaml.safe_load((repo_copy / "slurm" / "config.yaml").read_text())
    by_rule: dict[str, list[dict]] = {}
    for job in jobs:
        by_rule.setdefault(job["rule"], []).append(job)
    assert {"train", "evaluate", "artifact", "run_config", "report"} <= set(by_rule), sorted(by_rule)
    # threads: the slurm profile's set-threads for train and artifact, the rule's own `threads:` elsewhere
    assert {j["threads"] for j in by_rule["train"]} == {profile["set-threads"]["train"]} == {4}
    assert {j["threads"] for j in by_rule["artifact"]} == {profile["set-threads"]["artifact"]}
    assert {j["threads"] for j in by_rule["evaluate"]} == {2}
    # every job gets exactly the CPUs it runs threads on
    for job in jobs:
        assert "cpus_per_task" not in job["res"], job
        assert slurm_cpus(job) == job["threads"], job
    # memory and runtime: set-resources for train and artifact, default-resources elsewhere
    default, per_rule = profile["default-resources"], profile["set-resources"]
    for job in jobs:
        want = default | per_rule.get(job["rule"], {})
        assert int(job["res"]["mem_mb"]) == want["mem_mb"], job
        if job["rule"] != "train":  # train's runtime comes from the benchmark (workflow/rules/train.smk)
            assert int(job["res"]["runtime"]) == want["runtime"], job
    gpus = {j["res"]["gpu"] for j in by_rule["train"]}
    assert gpus == {"0", "1"}  # toy runs on CPUs, image runs on a GPU


def test_slurm_test_overlay_fits_one_small_node(tmp_path, repo_copy):
    """tests/slurm/run.sh runs the real profile under tests/slurm/profile: every job asks for one CPU."""
    overlay = ROOT / "tests" / "slurm" / "profile"
    jobs = planned_jobs("--profile", "slurm", "--workflow-profile", str(overlay), tmp=tmp_path)
    assert {"train", "evaluate", "artifact"} <= {j["rule"] for j in jobs}
    assert {slurm_cpus(j) for j in jobs} == {1}
    assert {j["threads"] for j in jobs} == {1}


def test_workflow_profile_never_contradicts_the_cluster_profile(repo_copy):
    """Snakemake applies profiles/default to `--profile slurm` runs too, and its keys win: they must agree."""
    from snakemake.cli import parse_args

    default = yaml.safe_load((repo_copy / "profiles" / "default" / "config.yaml").read_text())
    slurm = yaml.safe_load((repo_copy / "slurm" / "config.yaml").read_text())
    assert {k: v for k, v in default.items() if k in slurm and slurm[k] != v} == {}
    _, args = parse_args(["-n", "--profile", "slurm"])
    assert (args.executor, args.cores, args.printshellcmds, args.keep_going) == ("slurm", 8, True, True)
    _, args = parse_args(["-n", "--cores", "2"])  # the README's local command: local executor, 2 cores
    assert (args.executor, args.cores, args.show_failed_logs) == (None, 2, True)
