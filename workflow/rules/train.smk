# One training run = one folder under results/runs/, named by a readable prefix + the config hash.


rule run_config:
    output:
        P.RUN_CONFIG,
    log:
        P.LOG.format(name="run_config/{run}"),
    localrule: True
    conda:
        "../../envs/ganrepro.yaml"
    message:
        "resolved config for {wildcards.run}"
    shell:
        "ganrepro run-config $(dirname {output}) > {log} 2>&1"


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
