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
    message:
        "building {wildcards.paper}/{wildcards.artifact}"
    shell:
        "ganrepro artifact {wildcards.paper} {wildcards.artifact} {CONFIG_ARGS} > {log} 2>&1"
