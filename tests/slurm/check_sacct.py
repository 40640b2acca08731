"""Checks for tests/slurm/run.sh, against SLURM's own accounting (sacct), not against Snakemake's word.

check_sacct.py LOG [--expect-output FILE] [--gpu-rule RULE]
    every non-local job in Snakemake's LOG was submitted with sbatch, is in sacct, and COMPLETED there;
    jobs of RULE were allocated a GPU GRES.
check_sacct.py LOG --preempted JOBID --compare RUN_DIR REF_DIR
    JOBID ended early in sacct and a later job of the same rule COMPLETED; RUN_DIR's final checkpoint and
    samples equal REF_DIR's (an uninterrupted run) bit for bit.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path

SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
STATS = re.compile(r"^Job stats:\njob\s+count\n[- ]+\n((?:\S+\s+\d+\n)+)", re.M)
REPO = Path(__file__).resolve().parents[2]


def local_rules() -> set[str]:
    """Rules that run on the submit host: `localrule: True` in workflow/rules/*.smk, plus the target rule `all`."""
    names = {"all"}
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            if re.search(r"^\s+localrule:\s*True", block, re.M):
                names.add(block.split(":", 1)[0].strip())
    return names


def planned_jobs(log: str) -> dict[str, int]:
    """The DAG's job counts per rule, from the first "Job stats" table Snakemake printed."""
    m = STATS.search(log)
    if not m:
        fail("no 'Job stats' table in Snakemake's log")
    counts = dict(line.split() for line in m.group(1).splitlines())
    return {k: int(v) for k, v in counts.items() if k != "total"}


def fail(msg: str) -> None:
    print(f"[slurm-test] FAIL: {msg}")
    sys.exit(1)


def sacct(job_ids: list[str]) -> dict[str, dict[str, str]]:
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,State,Comment,AllocTRES,ExitCode"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        jid, state, comment, tres, code = line.split("|")
        rows[jid] = {"state": state, "comment": comment, "tres": tres, "exit": code}
    return rows


def check_dag(log: str, expect_output: str | None, gpu_rule: str | None) -> None:
    planned = planned_jobs(log)
    local = local_rules()
    remote = {k: v for k, v in planned.items() if k not in local}
    submitted = SUBMITTED.findall(log)
    if not remote:
        fail("the DAG has no non-local job; nothing would go through SLURM")
    if len(submitted) != sum(remote.values()):
        fail(f"{sum(remote.values())} non-local jobs planned but {len(submitted)} sbatch submissions in the log")
    ids = [sid for _, sid in submitted]
    acct = sacct(ids)
    missing = [i for i in ids if i not in acct]
    if missing:
        fail(f"sacct does not know SLURM jobs {missing}")
    bad = {i: r["state"] for i, r in acct.items() if r["state"] != "COMPLETED"}
    if bad:
        fail(f"SLURM jobs not COMPLETED in sacct: {bad}")
    # sacct's own record of which rule each job ran (the plugin's --comment) must match the DAG rule by rule
    by_rule: dict[str, int] = {}
    for r in acct.values():
        rule = re.match(r"rule_(\w+?)(_wildcards_.*)?$", r["comment"])
        name = rule.group(1) if rule else r["comment"]
        by_rule[name] = by_rule.get(name, 0) + 1
    if by_rule != remote:
        fail(f"sacct's jobs per rule {by_rule} differ from the DAG's non-local jobs {remote}")
    if gpu_rule:
        gpu_jobs = [r for r in acct.values() if r["comment"].startswith(f"rule_{gpu_rule}_")]
        if not gpu_jobs or not all("gres/gpu=1" in r["tres"] for r in gpu_jobs):
            fail(f"not every '{gpu_rule}' job was allocated gres/gpu=1: {[r['tres'] for r in gpu_jobs]}")
    if expect_output and not Path(expect_output).exists():
        fail(f"{expect_output} was not produced")
    n_local = sum(v for k, v in planned.items() if k in local)
    print(
        f"[slurm-test] {len(ids)}/{sum(remote.values())} non-local jobs went through sbatch and COMPLETED in sacct "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_rule.items()))}); {n_local} local jobs ran on the submit host"
    )


def digest(path: Path) -> str:
    """Hash of a checkpoint's tensors (torch.save's zip container is not byte-stable across writes)."""
    import torch

    st = torch.load(path, map_location="cpu", weights_only=False)
    h = hashlib.sha256()
    for net in ("G", "D"):
        for k, v in sorted(st[net].items()):
            h.update(k.encode())
            h.update(v.cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def check_preemption(log: str, job: str, run: Path, ref: Path) -> None:
    ids = [sid for _, sid in SUBMITTED.findall(log)]
    if job not in ids:
        fail(f"the preempted job {job} is not among the submissions in the log ({ids})")
    acct = sacct(ids)
    first = acct[job]
    if first["state"] == "COMPLETED" and first["exit"] == "0:0":
        fail(f"job {job} was signalled but completed normally; the signal came too late to test anything")
    later = [i for i in ids if int(i) > int(job) and acct[i]["comment"] == first["comment"]]
    if not later or acct[later[-1]]["state"] != "COMPLETED":
        fail(f"no later job of {first['comment']} COMPLETED after the preemption ({[acct[i] for i in later]})")
    import json

    st = json.loads((run / "status.json").read_text())
    if not st.get("resumed_from"):
        fail(f"{run}/status.json says the run was not resumed from a checkpoint ({st.get('resumed_from')})")
    a, b = digest(run / "ckpt" / "last.pt"), digest(ref / "ckpt" / "last.pt")
    if a != b:
        fail(f"final checkpoint differs from the uninterrupted run: {a[:12]} vs {b[:12]}")
    snaps = sorted(p.name for p in (run / "snapshots").glob("*.pt"))
    for name in snaps:
        if digest(run / "snapshots" / name) != digest(ref / "snapshots" / name):
            fail(f"snapshot {name} differs from the uninterrupted run")
    print(
        f"[slurm-test] job {job} got SIGTERM ({first['state']}, exit {first['exit']}); job {later[-1]} resumed "
        f"from iteration {st['resumed_from']} and COMPLETED; final checkpoint and {len(snaps)} snapshots equal "
        f"the uninterrupted run's bit for bit (sha256 of tensors {a[:12]})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", type=Path, help="Snakemake's console log")
    ap.add_argument("--expect-output")
    ap.add_argument("--gpu-rule")
    ap.add_argument("--preempted")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_DIR", "REF_DIR"))
    a = ap.parse_args()
    log = a.log.read_text()
    if a.preempted:
        check_preemption(log, a.preempted, *a.compare)
    else:
        check_dag(log, a.expect_output, a.gpu_rule)


if __name__ == "__main__":
    main()
