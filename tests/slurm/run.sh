#!/usr/bin/env bash
# The SLURM test (called by .ci/run): bring up a real single-node SLURM cluster, run the smoke DAG through the
# real `slurm` profile, prove from sacct that every non-local job went through sbatch, then preempt a training
# job with `scancel --signal=TERM` and check that the retried job finishes bitwise equal to an uninterrupted run.
# Every daemon started is stopped by pid at the end, pass or fail.
#
#   bash tests/slurm/run.sh [SCRATCH]      (default: a new /tmp/ganrepro-slurm-XXXX; kept for inspection)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-$(mktemp -d /tmp/ganrepro-slurm-XXXX)}
mkdir -p "$W"
W=$(cd "$W" && pwd)
chmod 755 "$W"  # mktemp makes it 0700; MariaDB runs as the mysql user and keeps its files below it
say() { echo "[slurm-test] $*"; }
t_start=$(date +%s)

trap 'bash "$REPO/tests/slurm/cluster.sh" down "$W/cluster"' EXIT
bash "$REPO/tests/slurm/cluster.sh" up "$W/cluster"

# A scratch copy of the tracked files: the DAG writes results/ there, never into the developer's tree.
rm -rf "$W/repo" && mkdir -p "$W/repo"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$W/repo"
cd "$W/repo"
SMK=(snakemake --profile slurm --workflow-profile tests/slurm/profile)

# --- 1. the smoke DAG through sbatch ------------------------------------------------------------------
say "smoke DAG through --profile slurm (log: $W/smoke.log)"
t0=$(date +%s)
if ! "${SMK[@]}" > "$W/smoke.log" 2>&1; then
  tail -40 "$W/smoke.log"; say "FAIL: the smoke DAG did not finish through SLURM"; exit 1
fi
say "smoke DAG finished in $(( $(date +%s) - t0 )) s"
python3 "$REPO/tests/slurm/check_sacct.py" "$W/smoke.log" --expect-output results/report/index.html --gpu-rule train

# --- 2. preemption: SIGTERM a running training job, let the retry resume it --------------------------
cp -r "$REPO/tests/slurm/requeue_paper" paper_tables/slurm_requeue
CFG=(--config scale=smoke 'papers=[slurm_requeue]' 'seeds=[0]' progress=False)
RID=$(ganrepro plan "${CFG[@]}" | awk '/distinct runs/ {getline; print $1}')
[ -n "$RID" ] || { say "FAIL: could not find the requeue test's run id"; exit 1; }
RUN=results/runs/$RID
say "preemption test on $RID"
"${SMK[@]}" "$RUN/status.json" "${CFG[@]}" > "$W/requeue.log" 2>&1 &
SMK_PID=$!
# wait for the first periodic checkpoint: the job is running and mid-way
for _ in $(seq 600); do [ -f "$RUN/ckpt/last.pt" ] && break; sleep 0.2; done
[ -f "$RUN/ckpt/last.pt" ] || { tail -30 "$W/requeue.log"; say "FAIL: the training job never checkpointed"; exit 1; }
JOB=$(squeue -h -o %i | head -1)
[ -n "$JOB" ] || { say "FAIL: no running SLURM job to preempt"; exit 1; }
say "scancel --signal=TERM $JOB"
scancel --signal=TERM "$JOB"
if ! wait "$SMK_PID"; then tail -40 "$W/requeue.log"; say "FAIL: the preempted job was not resumed to completion"; exit 1; fi

# the same run uninterrupted, outside SLURM, from the same resolved config
mkdir -p "$W/uninterrupted" && cp "$RUN/config.json" "$W/uninterrupted/"
ganrepro train "$W/uninterrupted" --device cpu --threads 1 --no-progress > "$W/uninterrupted.log" 2>&1
python3 "$REPO/tests/slurm/check_sacct.py" "$W/requeue.log" --preempted "$JOB" \
  --compare "$RUN" "$W/uninterrupted"

say "PASS in $(( $(date +%s) - t_start )) s (scratch: $W)"
