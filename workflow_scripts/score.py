"""Rule score: PSNR / SSIM / LPIPS of each trial's reconstruction against its truth, for every
attack file of one target."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

p = snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.score(output=snakemake.output[0], attacks=list(snakemake.input.attacks),
                 truths=list(snakemake.input.truths), metrics=dict(p.metrics), device=p.device,
                 threads=snakemake.threads)
