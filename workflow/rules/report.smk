# The comparison report: published statements vs reproduced numbers, with claim verdicts.
# Both outputs are flagged for `snakemake --report` (category "Comparison report").


rule report:
    input:
        [f"results/paper_tables/{a.paper}/{a.name}.csv" for a in ARTIFACTS],
        [f"results/classifiers/{c}/info.json" for c in CLASSIFIERS],
        # paper.yaml, published.csv, committed results and cost models: `ganrepro keep` rebuilds the report
        committed_inputs(PLAN),
    output:
        html=report(
            "results/report/index.html",
            caption="../report/comparison.rst",
            category="Comparison report",
            labels={"file": "report (HTML)"},
        ),
        claims=report(
            "results/report/claims.csv",
            caption="../report/comparison.rst",
            category="Comparison report",
            labels={"file": "claim verdicts (CSV)"},
        ),
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
