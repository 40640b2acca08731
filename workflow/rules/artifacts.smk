# One artifact (a paper's table or figure) = one CSV + one PNG + a provenance JSON.
# The PNG and the CSV are flagged for `snakemake --report`: category = paper, subcategory = artifact, caption
# workflow/report/artifact.rst (rendered from the params below).


def artifact_labels(wc):
    art = PLAN.artifact(wc.paper, wc.artifact)
    return {"paper": wc.paper, "artifact": wc.artifact, "kind": art.kind, "scale": config["scale"]}


rule artifact:
    input:
        artifact_inputs,
    output:
        csv=report(
            "results/paper_tables/{paper}/{artifact}.csv",
            caption="../report/artifact.rst",
            category="{paper}",
            subcategory="{artifact}",
            labels=lambda wc: {**artifact_labels(wc), "file": "table (CSV)"},
        ),
        png=report(
            "results/paper_tables/{paper}/{artifact}.png",
            caption="../report/artifact.rst",
            category="{paper}",
            subcategory="{artifact}",
            labels=lambda wc: {**artifact_labels(wc), "file": "figure (PNG)"},
        ),
        prov="results/paper_tables/{paper}/{artifact}.provenance.json",
    log:
        "results/logs/artifact/{paper}/{artifact}.log",
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
        "ganrepro artifact {wildcards.paper} {wildcards.artifact} {CONFIG_ARGS} > {log} 2>&1"
