# LeNet-5 classifiers for the mode-count metrics (config key `classifiers`, settings in config/classifiers.yaml).
# info.json is written last and only when the test accuracy meets the target: the job fails otherwise.


rule classifier:
    input:
        prefetched,
    output:
        info=report(
            "results/classifiers/{clf}/info.json",
            caption="../report/classifier.rst",
            category="Classifiers",
            labels={"classifier": "{clf}"},
        ),
        model="results/classifiers/{clf}/model.pt",
    log:
        "results/logs/classifier/{clf}.log",
    threads: 2
    resources:
        gpu=lambda wc: 0 if config["device"] == "cpu" else 1,
    params:
        progress="" if config.get("progress", True) else "--no-progress",
    message:
        "training classifier {wildcards.clf}"
    shell:
        "ganrepro classifier results/classifiers/{wildcards.clf} {CONFIG_ARGS} --device {config[device]} "
        "{params.progress} > {log} 2>&1"
