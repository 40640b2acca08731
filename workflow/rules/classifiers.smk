# LeNet-5 classifiers for the mode-count metrics (config key `classifiers`, settings in config/classifiers.yaml).
# info.json is written last and only when the test accuracy meets the target: the job fails otherwise.


rule classifier:
    input:
        prefetched,
    output:
        info=report(
            P.CLASSIFIER_INFO,
            caption="../report/classifier.rst",
            category="Classifiers",
            labels={"classifier": "{clf}"},
        ),
        model=P.CLASSIFIER_MODEL,
    log:
        P.LOG.format(name="classifier/{clf}"),
    # first: the mode-count evaluations wait for it, and a smoke run otherwise reached it last (55 s of wall time
    # on the DAG's tail, benchmarks/cpu/smoke.csv)
    priority: 50
    conda:
        "../../envs/ganrepro.yaml"
    threads: 2
    resources:
        gpu=GPU_UNLESS_CPU,
    message:
        "training classifier {wildcards.clf}"
    shell:
        "ganrepro classifier $(dirname {output.info}) > {log} 2>&1"
