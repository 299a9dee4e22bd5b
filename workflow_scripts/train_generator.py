"""Rule train_generator: GIA-L's generator on the public split of a dataset at one resolution."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

out, p = snakemake.output, snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.train_generator(output=out.checkpoint, curve_csv=out.curve, curve_png=out.curve_plot,
                           samples_png=out.samples, data=snakemake.input.data,
                           name=snakemake.wildcards.generator, generators=dict(p.generators),
                           seed=p.seed, threads=snakemake.threads, device=p.device)
