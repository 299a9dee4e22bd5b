"""Reconstruction quality: PSNR, SSIM, LPIPS; batches are matched to ground truth first."""

from gialib.metrics.image import psnr, ssim
from gialib.metrics.matching import match_reconstructions
from gialib.metrics.score import score_reconstruction

__all__ = ["match_reconstructions", "psnr", "score_reconstruction", "ssim"]
