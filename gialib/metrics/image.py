"""Per-image PSNR (torch) and SSIM (scikit-image) for images in [0, 1]."""

from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import structural_similarity


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error of [N, C, H, W] batches."""
    return ((a.double() - b.double()) ** 2).flatten(1).mean(1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB (data range 1); identical images give +inf."""
    return 10 * torch.log10(1.0 / mse(a, b))


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM over RGB (scikit-image, Gaussian-free 7x7 window, data range 1)."""
    out = []
    for x, y in zip(a.detach().cpu().numpy(), b.detach().cpu().numpy(), strict=True):
        side = min(x.shape[1:])
        win = min(7, side if side % 2 else side - 1)
        out.append(structural_similarity(x.astype(np.float64), y.astype(np.float64), data_range=1.0,
                                         channel_axis=0, win_size=win))
    return torch.tensor(out, dtype=torch.float64)
