"""Rule prepare_data: build the labelled image set at one resolution."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    stages.prepare_data(snakemake.output[0], w.dataset, dict(snakemake.params.spec),
                        int(w.resolution), snakemake.params.seed)
