"""Rule provenance: the run's validated config and software versions, for the report."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.provenance(snakemake.output.config, snakemake.output.versions, snakemake.params.config)
