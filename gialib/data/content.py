"""Content with semantic detail (Figs. 6-7): faces, clocks, text, pages, rulers, one class each.

The paper shows that GIAs lose exactly the details that carry private
information (a face's features, a clock's hands, text, a ruler's scale). Offline
sources of such content:

- ``face``: scikit-image's ``lfw_subset`` (100 grayscale 25x25 faces, replicated
  to RGB, resized); whole faces, dealt to the splits (a face is in one split only),
- ``ruler``: a ruler with mm / cm ticks and numbers, drawn by matplotlib,
- any photograph of ``packaged.PHOTOS`` (``clock``, ``text``, ``page``, ``coins``
  ...): tiles dealt to the splits and random crops inside them, as in the
  embedded default set.

Config: ``{source: content, classes: [face, clock, text, page, ruler],
private_per_class, public_per_class, test_per_class, grid}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gialib.data.imageset import SOURCES, ImageSet, Split
from gialib.data.packaged import assemble, load_photo, per_class_counts, photo_splits
from gialib.runtime import generator


def lfw_faces() -> torch.Tensor:
    """The 100 face images of scikit-image's ``lfw_subset`` as uint8 [100, 3, 25, 25]."""
    import skimage.data

    faces = skimage.data.lfw_subset()[:100]  # the first 100 are faces, the rest are not
    gray = torch.from_numpy((np.clip(faces, 0, 1) * 255).round().astype(np.uint8))
    return gray[:, None].repeat(1, 3, 1, 1)


def ruler_photo() -> torch.Tensor:
    """A 16 cm ruler (ticks every mm, longer at 5 mm and cm, numbered) as uint8 [3, H, W]."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 2), dpi=100, facecolor="#f2d680")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.5, 16.5)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for mm in range(161):
        height = 0.45 if mm % 10 == 0 else 0.3 if mm % 5 == 0 else 0.18
        ax.plot([mm / 10, mm / 10], [1, 1 - height], color="black", lw=1.2)
        if mm % 10 == 0:
            ax.text(mm / 10, 0.35, str(mm // 10), ha="center", va="center", fontsize=14)
    ax.text(8, 0.12, "cm", ha="center", fontsize=10)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).contiguous()


def _resize(images: torch.Tensor, resolution: int) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as TF

    return TF.resize(images, [resolution, resolution], antialias=True)


def _deal_set(images: torch.Tensor, per_class: dict[Split, int], resolution: int, g: torch.Generator,
              what: str) -> dict[Split, torch.Tensor]:
    """Whole images of a set dealt to the splits without repetition, resized, randomly flipped."""
    need = sum(per_class.values())
    if need > len(images):
        raise ValueError(f"content class {what!r} has {len(images)} images, the splits ask for {need}")
    order = torch.randperm(len(images), generator=g)
    flip = torch.rand(len(images), generator=g) < 0.5
    out, start = {}, 0
    for split in (Split.public, Split.test, Split.private):
        idx = order[start: start + per_class[split]]
        start += per_class[split]
        x = _resize(images[idx], resolution)
        out[split] = torch.where(flip[idx, None, None, None], x.flip(-1), x)
    return out


# Content classes that are sets of whole images (the others are photographs, cut into crops).
IMAGE_SETS = {"face": lfw_faces}
DRAWN = {"ruler": ruler_photo}


@SOURCES.register("content")
def build_content(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    classes = list(spec["classes"])
    grid = int(spec.get("grid", 3))
    per_class = per_class_counts(spec)
    dealt = []
    for label, cls in enumerate(classes):
        g = generator(seed, label)
        if cls in IMAGE_SETS:
            dealt.append(_deal_set(IMAGE_SETS[cls](), per_class, resolution, g, cls))
        else:
            photo = DRAWN[cls]() if cls in DRAWN else load_photo(cls)
            dealt.append(photo_splits(photo, cls, per_class, grid, resolution, g))
    return assemble(name, classes, dealt)
