"""Reconstruction grids (the paper's snapshot figures, e.g. Fig. 5).

One column per value of the swept field; per group of the other varying fields,
a row of ground truth and one row of reconstructions per attack. Each tile is a
mosaic of the victims' images of the first trials; the caller pairs every
reconstruction with its true image, so truth and reconstruction tiles line up
image by image.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

# One tile: a cell's fields (dataset, model, ..., trial) and its (truth, reconstruction) images.
Tile = tuple[dict[str, Any], torch.Tensor, torch.Tensor]


def _mosaic(images: list[torch.Tensor], size: int) -> torch.Tensor:
    side = max(img.shape[-1] for img in images)
    resized = [torch.nn.functional.interpolate(i, size=(side, side), mode="nearest") for i in images]
    batch = torch.cat(resized)[:size]
    return make_grid(batch.clamp(0, 1), nrow=math.ceil(math.sqrt(len(batch))), padding=1, pad_value=1.0)


def reconstruction_grid(tiles: list[Tile], x: str, hue: str, groups: list[str], *, title: str,
                        path: str, max_images: int = 16) -> None:
    """Draw ``tiles`` (every trial of a target, in trial order) as truth/reconstruction mosaics:
    a column per value of ``x``; per value of ``groups``, a truth row and a row per ``hue``."""
    xs = sorted({f[x] for f, _, _ in tiles})
    hues = sorted({f[hue] for f, _, _ in tiles})
    by_key: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for fields, truth, recon in tiles:
        key = tuple(fields[k] for k in groups)
        by_key[key][("truth", fields[x], fields[hue])].append(truth)
        by_key[key][(fields[hue], fields[x])].append(recon)
    rows = []
    for key in sorted(by_key):
        label = ", ".join(f"{k}={v}" for k, v in zip(groups, key, strict=True))
        row = by_key[key]
        rows.append((f"truth\n{label}".strip(), [row.get(("truth", v, hues[0])) for v in xs]))
        for h in hues:
            rows.append((f"{h}\n{label}".strip(), [row.get((h, v)) for v in xs]))
    fig, axes = plt.subplots(len(rows), len(xs), figsize=(1.7 * len(xs) + 1.2, 1.7 * len(rows)),
                             squeeze=False)
    for r, (label, row) in enumerate(rows):
        for c, images in enumerate(row):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if images:
                ax.imshow(_mosaic(images, max_images).permute(1, 2, 0).numpy())
            else:
                ax.axis("off")
            if r == 0:
                ax.set_title(f"{x}={xs[c]}", fontsize=7)
            if c == 0:
                ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(f"{title}\n(each tile: the first trials' images, truth above reconstruction)",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
