# Data assets (config/assets.yaml). `snakemake prefetch --cores 1` on a login node with internet, with
# `--config allow_download=True`, downloads what the plan needs (datasets of runs and classifiers, Inception weights
# of the metrics) into data_root and verifies every file; without it, it only verifies. With allow_download=True
# every training, classifier and evaluation job waits for it, so one command downloads, verifies and runs; with
# allow_download=False (the default) nothing depends on it and compute nodes verify on their own.
PREFETCH_DATASETS, PREFETCH_ASSETS, PREFETCH_HASH = PLAN.prefetch  # see ganrepro.spec.plan.required_data


rule prefetch:
    output:
        f"results/prefetch/{PREFETCH_HASH}.ok",
    localrule: True
    log:
        f"results/logs/prefetch/{PREFETCH_HASH}.log",
    message:
        "verifying (allow_download={config[allow_download]}) the files of: "
        + (", ".join(PREFETCH_DATASETS + PREFETCH_ASSETS) or "no dataset")
    shell:
        "ganrepro prefetch {CONFIG_ARGS} --marker {output} > {log} 2>&1"
