"""Reconstruction grids (the paper's snapshot figures, e.g. Fig. 5).

One column per value of the swept field; per group of the other varying fields,
a row of ground truth and one row of reconstructions per attack. Each tile is a
mosaic of the victims' images of the first trials, every reconstruction paired
with its true image by optimal assignment, so truth and reconstruction tiles
line up image by image.
"""

from __future__ import annotations

import math
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

from gialib import io, paths  # noqa: E402
from gialib.experiments.plan import Cell  # noqa: E402
from gialib.metrics.matching import match_reconstructions  # noqa: E402

_GROUP_KEYS = ("dataset", "model", "defense", "num_examples", "batch_size", "resolution", "round",
               "protocol", "local_updates")


def _images(cell: Cell) -> tuple[torch.Tensor, torch.Tensor]:
    truth = io.load_trial(cell.path(paths.TRUTH), cell.trial, kind="truth", required=("images",))["images"]
    recon = io.load_pt(cell.path(paths.ATTACK), kind="attack", required=("images",))["images"]
    return truth, recon[match_reconstructions(recon, truth)]


def _mosaic(images: list[torch.Tensor], size: int) -> torch.Tensor:
    side = max(img.shape[-1] for img in images)
    resized = [torch.nn.functional.interpolate(i, size=(side, side), mode="nearest") for i in images]
    batch = torch.cat(resized)[:size]
    return make_grid(batch.clamp(0, 1), nrow=math.ceil(math.sqrt(len(batch))), padding=1, pad_value=1.0)


def reconstruction_grid(cells: list[Cell], x: str, hue: str, title: str, path: str,
                        max_images: int = 16) -> None:
    """Draw ``cells`` (all trials of a target) as truth/reconstruction mosaics."""
    # A field that varies only with x (FedSGD's batch_size with num_examples) is no group.
    groups = [k for k in _GROUP_KEYS if k not in (x, hue) and len({getattr(c, k) for c in cells}) > 1
              and len({(getattr(c, x), getattr(c, k)) for c in cells}) > len({getattr(c, x) for c in cells})]
    xs = sorted({getattr(c, x) for c in cells})
    hues = sorted({getattr(c, hue) for c in cells})
    tiles: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for cell in sorted(cells, key=lambda c: c.trial):
        key = tuple(getattr(cell, k) for k in groups)
        truth, recon = _images(cell)
        tiles[key][("truth", getattr(cell, x), getattr(cell, hue))].append(truth)
        tiles[key][(getattr(cell, hue), getattr(cell, x))].append(recon)
    rows = []
    for key in sorted(tiles):
        label = ", ".join(f"{k}={v}" for k, v in zip(groups, key, strict=True))
        rows.append((f"truth\n{label}".strip(), [tiles[key].get(("truth", v, hues[0])) for v in xs]))
        for h in hues:
            rows.append((f"{h}\n{label}".strip(), [tiles[key].get((h, v)) for v in xs]))
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
