# Gradient leakage in federated learning: every experiment of the SoK as one DAG.
# Data flows one way: data -> train -> capture -> defend -> attack -> score -> aggregate -> figure.
import os

from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless `--configfile` names one, which replaces it rather than
# being merged into it. `--config key=value` overlays whichever is in force: Snakemake
# merges it into the default here, or into the `--configfile`s. (A test on `not config`
# would drop the default as soon as `--config` sets one key.)
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config", "config.yaml")



report: "rules/captions/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/igsa.smk"
include: "rules/capture.smk"
include: "rules/defend.smk"
include: "rules/generator.smk"
include: "rules/attack.smk"
include: "rules/score.smk"
include: "rules/aggregate.smk"
include: "rules/figure.smk"
include: "rules/ledger.smk"
include: "rules/provenance.smk"
include: "rules/targets.smk"


# Defined here, not in an included file: Snakemake takes the default target
# from the main Snakefile only.
rule all:
    default_target: True
    input:
        [f for t in TARGETS for f in target_outputs(t)],
        paths.LEDGER,
