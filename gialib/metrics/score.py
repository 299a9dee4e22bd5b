"""The score stage: match the reconstruction to the truth, then PSNR, SSIM, LPIPS per image."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import torch

from gialib.metrics.image import mse, psnr, ssim
from gialib.metrics.matching import match_reconstructions


class DeviceLPIPS:
    """An ``LPIPS`` metric whose network runs on ``device`` (moved there once); images go there
    per call and the distances come back on the CPU."""

    def __init__(self, lpips, device: torch.device | str) -> None:
        self.lpips = lpips
        self.device = torch.device(device)
        lpips.model.to(self.device)
        self.status = getattr(lpips, "status", "")

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.lpips(a.to(self.device), b.to(self.device)).cpu()


def label_accuracy(predicted: torch.Tensor, true: torch.Tensor) -> float:
    """Share of the true labels recovered, as multisets (label order carries no information)."""
    hits = Counter(predicted.tolist()) & Counter(true.tolist())
    return sum(hits.values()) / max(1, len(true))


def score_reconstruction(recon: torch.Tensor, truth: torch.Tensor, pred_labels: torch.Tensor,
                         true_labels: torch.Tensor, lpips=None, lpips_status: str = "") -> dict[str, Any]:
    """Scores of one attack: per-image lists (in truth order) and their means."""
    order = match_reconstructions(recon, truth)
    matched = recon[order]
    per = {"mse": mse(matched, truth), "psnr": psnr(matched, truth), "ssim": ssim(matched, truth)}
    if lpips is not None:
        per["lpips"] = lpips(matched, truth)
    out: dict[str, Any] = {f"{k}_per_image": v.tolist() for k, v in per.items()}
    for k, v in per.items():
        out[k] = float(v.clamp(max=1e3).mean()) if k == "psnr" else float(v.mean())
    if lpips is None:
        out["lpips"] = math.nan
    out["lpips_status"] = lpips_status
    out["order"] = order.tolist()
    out["label_accuracy"] = label_accuracy(pred_labels, true_labels)
    return out
