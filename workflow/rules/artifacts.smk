# One artifact (a paper's table or figure) = one CSV + one PNG + a provenance JSON.
# The PNG and the CSV are flagged for `snakemake --report`: category = paper, subcategory = artifact, caption
# workflow/report/artifact.rst (rendered from the params below).


rule artifact:
    input:
        artifact_inputs,
    output:
        csv=report(
            f"{P.ARTIFACT}.csv",
            caption="../report/artifact.rst",
            category="{paper}",
            subcategory="{artifact}",
            labels=lambda wc: {**artifact_labels(wc), "file": "table (CSV)"},
        ),
        png=report(
            f"{P.ARTIFACT}.png",
            caption="../report/artifact.rst",
            category="{paper}",
            subcategory="{artifact}",
            labels=lambda wc: {**artifact_labels(wc), "file": "figure (PNG)"},
        ),
        prov=f"{P.ARTIFACT}.provenance.json",
    log:
        P.LOG.format(name="artifact/{paper}/{artifact}"),
    conda:
        "../../envs/ganrepro.yaml"
    params:
        # in params so that Snakemake rebuilds the artifact when the scale, seeds or its spec change
        scale=config["scale"],
        seeds=config["seeds"],
        spec=lambda wc: config_hash(PLAN.artifact(wc.paper, wc.artifact).spec),
        # for the report caption (workflow/report/artifact.rst)
        paper_title=lambda wc: PLAN.papers[wc.paper].spec["title"],
        title=lambda wc: PLAN.artifact(wc.paper, wc.artifact).spec["title"],
        where=lambda wc: PLAN.artifact(wc.paper, wc.artifact).spec["where"],
        paper_says=lambda wc: PLAN.artifact(wc.paper, wc.artifact).spec["paper_says"],
    message:
        "building {wildcards.paper}/{wildcards.artifact}"
    shell:
        "ganrepro artifact {wildcards.paper} {wildcards.artifact} > {log} 2>&1"
