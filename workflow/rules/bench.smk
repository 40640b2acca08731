# `snakemake bench --cores 2`: the performance benchmark and the cost model (not part of `all`). On a cluster it
# runs on a GPU node like training (`--profile slurm bench`), so its numbers are the GPU's. FID/IS use 10k images:
# on a CPU that alone takes most of an hour.


rule bench:
    output:
        train=P.BENCH_CSV.format(what="train"),
        evaluate=P.BENCH_CSV.format(what="evaluate"),
        dag=P.BENCH_CSV.format(what="dag"),
        cost=P.BENCH_CSV.format(what="cost"),
    log:
        P.LOG.format(name="bench"),
    conda:
        "../../envs/ganrepro.yaml"
    threads: 2
    resources:
        gpu=GPU_UNLESS_CPU,
    message:
        "benchmark: training loops, snakemake -n, cost model"
    shell:
        "ganrepro bench train evaluate dag cost --out $(dirname {output.train}) > {log} 2>&1"
