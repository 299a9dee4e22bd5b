"""Rule attack: reconstruct the victims' images of every trial from the (defended) updates."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.attack(output=snakemake.output[0], update=snakemake.input.shared,
                  checkpoint=snakemake.input.checkpoint, spec=dict(snakemake.params.spec),
                  trials=int(snakemake.wildcards.trials), seed=snakemake.params.seed,
                  device=snakemake.params.device, threads=snakemake.threads,
                  generator=(list(snakemake.input.generator) or [None])[0])
