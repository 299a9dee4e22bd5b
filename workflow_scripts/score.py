"""Rule score: PSNR / SSIM / LPIPS of each trial's reconstruction against its truth."""
from gialib import runtime, stages

p = snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.score(output=snakemake.output[0], attack=snakemake.input.attack,
                 truth=snakemake.input.truth, metrics=dict(p.metrics), device=p.device,
                 threads=snakemake.threads)
