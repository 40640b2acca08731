# The plan (runs x seeds, artifacts) comes from ganrepro.spec.plan, which reads paper_tables/<paper>/paper.yaml.
# Adding a paper folder adds its runs and artifacts here without any rule edit.
try:
    from ganrepro.core.errors import GanreproError
    from ganrepro.core.io import config_hash
    from ganrepro.spec.plan import build_plan
    from ganrepro.verdicts.report import committed_inputs
    from ganrepro.verdicts.validate import validate_plan
except ImportError as e:
    raise WorkflowError(f"the ganrepro package is not importable ({e}); install it with: pip install -e .")

try:
    PLAN = build_plan(config)  # torch-free (ganrepro.spec): cheap enough for every cluster job step
    validate_plan(PLAN)  # artifact params and claim columns, before any job runs
except GanreproError as e:
    raise WorkflowError(f"ganrepro: {e}")

RUN_IDS = sorted(PLAN.runs)
CLASSIFIERS = sorted(PLAN.classifiers)
ARTIFACTS = PLAN.artifacts()
# The whole effective config (file + --config overrides) goes to every ganrepro call, as JSON values (valid YAML).
import json as _json
import shlex as _shlex

CONFIG_ARGS = "--config " + " ".join(
    _shlex.quote(f"{k}={_json.dumps(v, separators=(',', ':'))}") for k, v in sorted(config.items())
)


def run_gpus(wc):
    # Only runs that want an accelerator ask SLURM for one, and never when the config says cpu.
    run = PLAN.runs[wc.run]
    return 1 if run.config["accelerator"] == "gpu" and config["device"] != "cpu" else 0


def artifact_inputs(wc):
    art = PLAN.artifact(wc.paper, wc.artifact)
    runs = [f"results/runs/{r.run_id}/status.json" for runs in art.runs.values() for r in runs]
    return runs + [f"results/runs/{e.run.run_id}/eval/{e.eval_id}.csv" for e in art.evals]


wildcard_constraints:
    run="[A-Za-z0-9_.-]+",
    paper="[a-z][a-z0-9_]*",
    artifact="[A-Za-z0-9_]+",
    eval="[A-Za-z0-9_.-]+",


def prefetched(wc):
    # one command on a machine with internet: with allow_download=True every data-reading job waits for prefetch
    return [f"results/prefetch/{PREFETCH_HASH}.ok"] if config["allow_download"] else []
