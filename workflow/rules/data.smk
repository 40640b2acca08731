# Data assets (config/assets.yaml). `snakemake prefetch --cores 1` on a login node with internet, with
# `--config allow_download=True`, downloads what the plan needs (datasets of runs and classifiers, Inception weights
# of the metrics) into data_root and verifies every file; without it, it only verifies. With allow_download=True
# every training, classifier and evaluation job waits for it, so one command downloads, verifies and runs; with
# allow_download=False (the default) nothing depends on it and compute nodes verify on their own.


rule prefetch:
    output:
        P.PREFETCH_MARKER.format(hash=PREFETCH_HASH),
    log:
        P.LOG.format(name=f"prefetch/{PREFETCH_HASH}"),
    localrule: True
    conda:
        "../../envs/ganrepro.yaml"
    message:
        "verifying the files of: "
        + (", ".join(PREFETCH_DATASETS + PREFETCH_ASSETS) or "no dataset")
    shell:
        "ganrepro prefetch --marker {output} > {log} 2>&1"
