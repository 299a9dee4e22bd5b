"""Rule provenance: the run's validated config and software versions, for the report."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.provenance(config_out=snakemake.output.config, versions_out=snakemake.output.versions,
                      config=snakemake.params.config)
