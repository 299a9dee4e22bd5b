"""Rule capture: the victim client's shared update (and, apart, its ground truth), every trial."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

w, p = snakemake.wildcards, snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.capture(update_out=snakemake.output.shared, truth_out=snakemake.output.truth,
                   checkpoint=snakemake.input.checkpoint, data=snakemake.input.data,
                   protocol=w.protocol, num_examples=int(w.num_examples),
                   batch_size=int(w.batch_size), local_updates=int(w.local_updates),
                   trials=p.trials, client=dict(p.client), training=dict(p.training), seed=p.seed,
                   device=p.device, threads=snakemake.threads)
