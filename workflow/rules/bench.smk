# `snakemake bench --cores 2`: the performance benchmark and the cost model (not part of `all`). On a cluster it
# runs on a GPU node like training (`--profile slurm bench`), so its numbers are the GPU's. FID/IS use 10k images:
# on a CPU that alone takes most of an hour.
rule bench:
    output:
        train="results/bench/train.csv",
        evaluate="results/bench/evaluate.csv",
        dag="results/bench/dag.csv",
        cost="results/bench/cost.csv",
    log:
        "results/logs/bench.log",
    threads: 2
    resources:
        gpu=lambda wc: 0 if config["device"] == "cpu" else 1,
    message:
        "benchmark: training loops, snakemake -n, cost model"
    shell:
        "ganrepro bench train evaluate dag cost --device {config[device]} --out results/bench > {log} 2>&1"
