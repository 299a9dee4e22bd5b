"""Rule prepare_data: build the labelled image set at one resolution."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    stages.prepare_data(output=snakemake.output[0], name=w.dataset, spec=dict(snakemake.params.spec),
                        resolution=int(w.resolution), seed=snakemake.params.seed)
