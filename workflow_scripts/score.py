"""Rule score: PSNR / SSIM / LPIPS of a reconstruction against the truth."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.score(snakemake.output[0], snakemake.input.attack, snakemake.input.truth,
                 dict(snakemake.params.metrics))
