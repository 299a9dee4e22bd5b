"""Rule igsa: input-gradient smoothness (IGSA, Sec. 5.1.1) of one round's global model."""
from gialib import runtime, stages

p = snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.igsa(snakemake.output[0], snakemake.input.checkpoint, snakemake.input.data,
                dict(p.igsa), p.bn_mode, p.seed, p.device, snakemake.threads)
