"""Rule attack: reconstruct the victim's images from the (defended) update."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    stages.attack(snakemake.output[0], snakemake.input.shared, snakemake.input.checkpoint,
                  dict(snakemake.params.spec), int(w.trial), snakemake.params.seed,
                  snakemake.params.device, snakemake.threads,
                  generator=(list(snakemake.input.generator) or [None])[0])
