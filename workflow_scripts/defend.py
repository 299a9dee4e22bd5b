"""Rule defend: post-process every trial's captured update with the cell's defence."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.defend(output=snakemake.output[0], update=snakemake.input[0],
                  defense=snakemake.wildcards.defense, seed=snakemake.params.seed)
