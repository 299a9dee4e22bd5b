"""Rule defend: post-process every trial's captured update with the cell's defence."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.defend(snakemake.output[0], snakemake.input[0], snakemake.wildcards.defense,
                  snakemake.params.seed)
