# Gradient leakage in federated learning: every experiment of the SoK as one DAG.
# Data flows one way: data -> train -> capture -> defend -> attack -> score -> aggregate -> figure.
from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless a config is given (`--configfile config/paper.yaml`
# replaces it rather than being merged into it).
if not config:

    configfile: "config/config.yaml"



report: "rules/captions/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/igsa.smk"
include: "rules/capture.smk"
include: "rules/defend.smk"
include: "rules/attack.smk"
include: "rules/score.smk"
include: "rules/aggregate.smk"
include: "rules/figure.smk"
include: "rules/targets.smk"
