"""Rule aggregate: one CSV row per cell of a target, with provenance (timings apart)."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.aggregate(output=snakemake.output.table, provenance_out=snakemake.output.provenance,
                     target=snakemake.wildcards.target, config=snakemake.params.config)
