# Metrics on every snapshot of a run (paper.yaml: an artifact's `metrics:`), one job per (run, metric protocol).
# The feature network and the reference statistics are loaded once per job; a GPU is used when there is one.


rule evaluate:
    input:
        eval_inputs,
        prefetched,
    output:
        P.EVAL_CSV,
    log:
        P.LOG.format(name="evaluate/{run}/{eval}"),
    conda:
        "../../envs/ganrepro.yaml"
    # smoke: a job is mostly single-threaded start-up and a few images, so two run side by side on 2 cores
    threads: 1 if config["scale"] == "smoke" else 2
    resources:
        gpu=run_gpus,
    params:
        paper=lambda wc: PLAN.evals[f"{wc.run}/{wc.eval}"].paper,
    message:
        "evaluating {wildcards.eval} on {wildcards.run}"
    shell:
        "ganrepro evaluate $(dirname $(dirname {output})) {wildcards.eval} --paper {params.paper} > {log} 2>&1"
