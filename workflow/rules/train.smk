# One training run = one folder under results/runs/, named by a readable prefix + the config hash.
import json
import shlex

# where the data files are (data_root, sources): not part of the run config, the checksums guarantee the bytes;
# a global rather than a param, so that moving the files never marks finished runs for a rerun
SOURCES_ARG = ("--sources " + shlex.quote(json.dumps(config["sources"]))) if config.get("sources") else ""


def train_runtime(wc):
    from pathlib import Path

    from ganrepro.bench import runtime_minutes

    return runtime_minutes(PLAN.runs[wc.run].config, Path(workflow.basedir) / "benchmarks",
                           safety=float(config.get("runtime_safety", 2.0)))


rule run_config:
    output:
        "results/runs/{run}/config.json",
    localrule: True
    message:
        "resolved config for {wildcards.run}"
    shell:
        "ganrepro run-config results/runs/{wildcards.run} {CONFIG_ARGS}"


rule train:
    input:
        "results/runs/{run}/config.json",
        prefetched,
    output:
        "results/runs/{run}/status.json",
    log:
        "results/logs/train/{run}.log",
    threads: lambda wc: PLAN.runs[wc.run].config["threads"]
    resources:
        gpu=run_gpus,
        runtime=train_runtime,  # minutes, from the committed benchmark (benchmarks/) x safety factor
    params:
        progress="" if config.get("progress", True) else "--no-progress",
    message:
        "training {wildcards.run}"
    shell:
        "ganrepro train results/runs/{wildcards.run} --device {config[device]} --threads {threads} "
        "--data-root {config[data_root]:q} {SOURCES_ARG} {params.progress} > {log} 2>&1"
