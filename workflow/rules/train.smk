# One training run = one folder under results/runs/, named by a readable prefix + the config hash.


# In Snakemake's own process, from the plan it already holds: a job per run that built the whole plan again cost
# ~0.7 s of CPU each (135 of them in the smoke DAG). A `run:` job runs in a thread only with force-use-threads
# (profiles/default); otherwise Snakemake spawns a new snakemake per job (~1.7 s each). `ganrepro run-config` does
# the same from the command line.
rule run_config:
    output:
        P.RUN_CONFIG,
    log:
        P.LOG.format(name="run_config/{run}"),
    localrule: True
    message:
        "resolved config for {wildcards.run}"
    run:
        write_run_config_job(output[0], log[0])


rule train:
    input:
        P.RUN_CONFIG,
        prefetched,
    output:
        P.RUN_STATUS,
    log:
        P.LOG.format(name="train/{run}"),
    conda:
        "../../envs/ganrepro.yaml"
    threads: lambda wc: PLAN.runs[wc.run].config["threads"]
    resources:
        gpu=run_gpus,
        runtime=train_runtime,  # minutes, from the committed benchmark (benchmarks/) x safety factor
    message:
        "training {wildcards.run}"
    # device, data_root, sources and progress come from the config (GANREPRO_CONFIG, see common.smk): where the
    # files are is not part of a run's identity, the checksums guarantee the bytes
    shell:
        "ganrepro train $(dirname {output}) --threads {threads} > {log} 2>&1"
