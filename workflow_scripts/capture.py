"""Rule capture: the victim client's shared update (and, apart, its ground truth), every trial."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    runtime.setup(snakemake.threads)
    stages.capture(snakemake.output.shared, snakemake.output.truth, snakemake.input.checkpoint,
                   snakemake.input.data, w.protocol, int(w.num_examples), int(w.batch_size),
                   int(w.local_updates), snakemake.params.trials, dict(snakemake.params.client),
                   dict(snakemake.params.training), snakemake.params.seed)
