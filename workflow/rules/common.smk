# The plan (runs x seeds, artifacts) comes from ganrepro.spec.plan, which reads paper_tables/<paper>/paper.yaml.
# Adding a paper folder adds its runs and artifacts here without any rule edit. Every path comes from
# ganrepro.core.paths (P below), the one place the results/ layout is spelled.
import json
import os
from pathlib import Path

try:
    from ganrepro.core import paths as P
    from ganrepro.core.errors import GanreproError
    from ganrepro.core.io import config_hash
    from ganrepro.spec.config import check_config, config_origins
    from ganrepro.spec.plan import build_plan, write_run_config
    from ganrepro.verdicts.report import committed_inputs
    from ganrepro.verdicts.validate import validate_plan
except ImportError as e:
    raise WorkflowError(
        f"the ganrepro package is not importable ({e}); install it with: pip install -e ."
    )

try:
    # a bad value names its source: --config on the command line, a --configfile, or config/config.yaml
    CONFIG_FILES = [
        Path(workflow.basedir) / "config" / "config.yaml",
        *workflow.config_settings.configfiles,
    ]
    config.update(
        check_config(
            config,
            config_origins(CONFIG_FILES, workflow.config_settings.config),
            str(CONFIG_FILES[0]),
        )
    )
    PLAN = build_plan(
        config
    )  # torch-free (ganrepro.spec): cheap enough for every cluster job step
    validate_plan(PLAN)  # artifact params and claim columns, before any job runs
except GanreproError as e:
    raise WorkflowError(f"ganrepro: {e}")

# Every ganrepro command of the DAG reads the effective config (config/config.yaml + --config overrides) from
# GANREPRO_CONFIG. Local jobs inherit it; a cluster job step parses this file again with the same --config and
# sets it again. Kept out of the params of the rules, because changing e.g. `papers` or `progress` must not retrain finished runs.
os.environ["GANREPRO_CONFIG"] = json.dumps(config, sort_keys=True)


envvars:
    "GANREPRO_CONFIG",


def write_run_config_job(output, log):
    """The run_config rule's body (rules/train.smk): one line naming the problem, in the log and the error. The log
    names the process that wrote the file: Snakemake's own unless a profile drops force-use-threads.
    """
    try:
        write_run_config(PLAN, Path(output).parent)
        Path(log).write_text(f"{output} written by process {os.getpid()}\n")
    except GanreproError as e:
        Path(log).write_text(f"ganrepro: {e}\n")
        raise WorkflowError(f"ganrepro: {e}")


RUN_IDS = sorted(PLAN.runs)
CLASSIFIERS = sorted(PLAN.classifiers)
ARTIFACTS = PLAN.artifacts()
PREFETCH_DATASETS, PREFETCH_ASSETS, PREFETCH_HASH = (
    PLAN.prefetch
)  # see ganrepro.spec.plan.required_data
GPU_UNLESS_CPU = 0 if config["device"] == "cpu" else 1


wildcard_constraints:
    run="[A-Za-z0-9_.-]+",
    paper="[a-z][a-z0-9_]*",
    artifact="[A-Za-z0-9_]+",
    eval="[A-Za-z0-9_.-]+",


def run_gpus(wc):
    # Only runs that want an accelerator ask SLURM for one, and never when the config says cpu.
    run = PLAN.runs[wc.run]
    return 1 if run.config["accelerator"] == "gpu" and config["device"] != "cpu" else 0


def train_runtime(wc, attempt):
    from ganrepro.bench import runtime_minutes

    return runtime_minutes(
        PLAN.runs[wc.run].config,
        Path(workflow.basedir) / "benchmarks",
        safety=float(config.get("runtime_safety", 2.0)),
        attempt=attempt,
    )


def prefetched(wc):
    # one command on a machine with internet: with allow_download=True every data-reading job waits for prefetch
    return (
        [P.PREFETCH_MARKER.format(hash=PREFETCH_HASH)]
        if config["allow_download"]
        else []
    )


def eval_inputs(wc):
    ev = PLAN.evals[f"{wc.run}/{wc.eval}"]
    out = [P.RUN_STATUS.format(run=wc.run)]
    if ev.classifier:
        out.append(P.CLASSIFIER_INFO.format(clf=ev.classifier))
    return out


def artifact_inputs(wc):
    art = PLAN.artifact(wc.paper, wc.artifact)
    runs = [
        P.RUN_STATUS.format(run=r.run_id) for runs in art.runs.values() for r in runs
    ]
    return runs + [
        P.EVAL_CSV.format(run=e.run.run_id, eval=e.eval_id) for e in art.evals
    ]


def artifact_labels(wc):
    art = PLAN.artifact(wc.paper, wc.artifact)
    return {
        "paper": wc.paper,
        "artifact": wc.artifact,
        "kind": art.kind,
        "scale": config["scale"],
    }


def artifact_files(ext):
    return [
        f"{P.ARTIFACT.format(paper=a.paper, artifact=a.name)}{ext}" for a in ARTIFACTS
    ]


# Local runs: a fork server (ganrepro.forkserver) imports torch once and every `ganrepro` job forks from it,
# instead of each job starting Python and importing torch (~4-5 s of CPU per job, most of a smoke job).
# Never under a cluster executor (jobs must run where the scheduler put them). GANREPRO_FORKSERVER=off disables it.
FORKSERVER = []


def start_forkserver():
    if workflow.remote_exec or workflow.subprocess_exec or not workflow.local_exec:
        return
    from ganrepro.forkserver import start

    FORKSERVER.append(start())  # None when GANREPRO_FORKSERVER=off


def stop_forkserver():
    from ganrepro.forkserver import stop

    while FORKSERVER:
        stop(FORKSERVER.pop())


onstart:
    start_forkserver()


onsuccess:
    stop_forkserver()


onerror:
    stop_forkserver()
