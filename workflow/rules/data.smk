# Data assets (config/assets.yaml). `snakemake prefetch --cores 1` on a login node with internet, with
# `--config allow_download=True`, downloads what the planned runs need into data_root and verifies every file;
# without it, it only verifies. Training does not depend on this rule: compute nodes verify on their own.
import json
import shlex

from ganrepro.data.assets import prefetch_key

PREFETCH_DATASETS = sorted({r.config["dataset"]["name"] for r in PLAN.runs.values()})
PREFETCH_HASH = prefetch_key(PREFETCH_DATASETS, config["data_root"], config.get("sources") or {})


rule prefetch:
    output:
        f"results/prefetch/{PREFETCH_HASH}.ok",
    localrule: True
    log:
        f"results/logs/prefetch/{PREFETCH_HASH}.log",
    params:
        config=" ".join(
            shlex.quote(f"{k}={v}")
            for k, v in (
                ("data_root", config["data_root"]),
                ("allow_download", config["allow_download"]),
                ("sources", json.dumps(config.get("sources") or {})),
            )
        ),
    message:
        "verifying (allow_download={config[allow_download]}) the files of: " + (", ".join(PREFETCH_DATASETS) or "no dataset")
    shell:
        "ganrepro prefetch {CONFIG_ARGS} {params.config} --marker {output} > {log} 2>&1"
