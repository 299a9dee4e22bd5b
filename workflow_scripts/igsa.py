"""Rule igsa: input-gradient smoothness (IGSA, Sec. 5.1.1) of one round's global model."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

p = snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.igsa(output=snakemake.output[0], checkpoint=snakemake.input.checkpoint,
                data=snakemake.input.data, cfg=dict(p.igsa), bn_mode=p.bn_mode, seed=p.seed,
                device=p.device, threads=snakemake.threads)
