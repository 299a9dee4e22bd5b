"""Rule score: PSNR / SSIM / LPIPS of each trial's reconstruction against its truth."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.score(snakemake.output[0], list(snakemake.input.attacks), snakemake.input.truth,
                 dict(snakemake.params.metrics))
