# ganrepro: load config, include the rules (common.smk validates the config first). Everything else lives in
# workflow/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# snakemake --config parses list items as strings (seeds=[0] -> ['0']); seeds are integers
if isinstance(config.get("seeds"), list):
    config["seeds"] = [
        int(s) if isinstance(s, str) and s.isdigit() else s for s in config["seeds"]
    ]


# `snakemake --report <file>.html`: this description, then the flagged outputs (workflow/report/*.rst captions)
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/artifacts.smk"
include: "workflow/rules/classifiers.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/bench.smk"


rule all:
    default_target: True
    input:
        rules.report.output.html,
