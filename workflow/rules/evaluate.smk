# Metrics on every snapshot of a run (paper.yaml: an artifact's `metrics:`), one job per (run, metric protocol).
# The feature network and the reference statistics are loaded once per job; a GPU is used when there is one.


def eval_inputs(wc):
    ev = PLAN.evals[f"{wc.run}/{wc.eval}"]
    out = [f"results/runs/{wc.run}/status.json"]
    if ev.classifier:
        out.append(f"results/classifiers/{ev.classifier}/info.json")
    return out


rule evaluate:
    input:
        eval_inputs,
        prefetched,
    output:
        "results/runs/{run}/eval/{eval}.csv",
    log:
        "results/logs/evaluate/{run}/{eval}.log",
    threads: 2
    resources:
        gpu=run_gpus,
    params:
        progress="" if config.get("progress", True) else "--no-progress",
    message:
        "evaluating {wildcards.eval} on {wildcards.run}"
    shell:
        "ganrepro evaluate results/runs/{wildcards.run} {wildcards.eval} {CONFIG_ARGS} --device {config[device]} "
        "{params.progress} > {log} 2>&1"
