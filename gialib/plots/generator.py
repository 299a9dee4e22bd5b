"""Figures of the generator training stage: its curve and a sample grid beside real public images."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402


def curve_figure(curve: list[dict[str, Any]], noise_mmd: float, title: str, path: str) -> None:
    """Losses of both players and the sample-to-data MMD (with uniform noise's MMD for reference)."""
    it = [r["iteration"] for r in curve]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    names = {"loss_d": "discriminator", "loss_g": "generator", "loss_rec": "reconstruction (L1 pyramid)"}
    for key in [k for k in curve[0] if k.startswith("loss_")]:
        axes[0].plot(it, [r[key] for r in curve], label=names.get(key, key))
    axes[0].set_ylabel("training loss")
    axes[0].legend(fontsize=8)
    axes[1].plot(it, [r["mmd"] for r in curve], marker="o", ms=3, label="generator samples")
    axes[1].axhline(noise_mmd, color="grey", ls="--", lw=0.8, label="uniform noise")
    axes[1].set_ylabel("MMD to public images (lower is better)")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("iteration")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def samples_figure(real: torch.Tensor, fake: torch.Tensor, title: str, path: str) -> None:
    """Public images (left) and fixed-latent generator samples (right), both in [0, 1]."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.8))
    for ax, images, label in ((axes[0], real, "public split (real)"), (axes[1], fake, "generator samples")):
        grid = make_grid(images[:64].clamp(0, 1), nrow=8, padding=1, pad_value=1.0)
        ax.imshow(grid.permute(1, 2, 0).numpy())
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
