# One artifact (a paper's table or figure) = one CSV + one PNG + a provenance JSON.


rule artifact:
    input:
        artifact_inputs,
    output:
        csv="results/paper_tables/{paper}/{artifact}.csv",
        png="results/paper_tables/{paper}/{artifact}.png",
        prov="results/paper_tables/{paper}/{artifact}.provenance.json",
    log:
        "results/logs/artifact/{paper}/{artifact}.log",
    params:
        # in params so that Snakemake rebuilds the artifact when the scale, seeds or its spec change
        scale=config["scale"],
        seeds=config["seeds"],
        spec=lambda wc: config_hash(PLAN.artifact(wc.paper, wc.artifact).spec),
    message:
        "building {wildcards.paper}/{wildcards.artifact}"
    shell:
        "ganrepro artifact {wildcards.paper} {wildcards.artifact} {CONFIG_ARGS} > {log} 2>&1"
