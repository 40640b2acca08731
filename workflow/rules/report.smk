# The comparison report: published statements vs reproduced numbers, with claim verdicts.
# Both outputs are flagged for `snakemake --report` (category "Comparison report").


rule report:
    input:
        artifact_files(".csv"),
        [P.CLASSIFIER_INFO.format(clf=c) for c in CLASSIFIERS],
        # paper.yaml, published.csv, committed results and cost models: `ganrepro keep` rebuilds the report
        committed_inputs(PLAN),
    output:
        html=report(
            P.REPORT_HTML,
            caption="../report/comparison.rst",
            category="Comparison report",
            labels={"file": "report (HTML)"},
        ),
        claims=report(
            P.REPORT_CLAIMS,
            caption="../report/comparison.rst",
            category="Comparison report",
            labels={"file": "claim verdicts (CSV)"},
        ),
    log:
        P.LOG.format(name="report"),
    localrule: True
    conda:
        "../../envs/ganrepro.yaml"
    params:
        scale=config["scale"],
        seeds=config["seeds"],
        papers=config["papers"],
        classifiers=config.get("classifiers", []),
    message:
        "writing the report"
    shell:
        "ganrepro report > {log} 2>&1"
