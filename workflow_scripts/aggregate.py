"""Rule aggregate: one CSV row per cell of a target, with provenance."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.aggregate(snakemake.output[0], snakemake.wildcards.target, snakemake.params.config)
