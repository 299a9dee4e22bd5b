"""Rule train_generator: GIA-L's generator on the public split of a dataset at one resolution."""
from gialib import runtime, stages

out = snakemake.output
with runtime.logging_to(snakemake.log[0]):
    stages.train_generator(out.checkpoint, out.curve, out.curve_plot, out.samples, snakemake.input.data,
                           snakemake.wildcards.generator, dict(snakemake.params.generators),
                           snakemake.params.seed, snakemake.threads)
