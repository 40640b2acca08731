# The comparison report: published statements vs reproduced numbers, with claim verdicts.


rule report:
    input:
        [f"results/paper_tables/{a.paper}/{a.name}.csv" for a in ARTIFACTS],
        [f"results/classifiers/{c}/info.json" for c in CLASSIFIERS],
    output:
        html="results/report/index.html",
        claims="results/report/claims.csv",
    localrule: True
    log:
        "results/logs/report.log",
    params:
        scale=config["scale"],
        seeds=config["seeds"],
        papers=config["papers"],
        classifiers=config.get("classifiers", []),
    message:
        "writing the report"
    shell:
        "ganrepro report {CONFIG_ARGS} > {log} 2>&1"
