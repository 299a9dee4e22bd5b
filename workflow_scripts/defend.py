"""Rule defend: post-process the captured update with the cell's defence."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    stages.defend(snakemake.output[0], snakemake.input[0], w.defense, int(w.trial),
                  snakemake.params.seed)
