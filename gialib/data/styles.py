"""Restyled images (Fig. 8's "Styles" OOD group): the same content, another style.

PACS (the paper's Styles set) shows one object as photo, art painting, cartoon
and sketch. Offline, we restyle in-distribution images with scikit-image
filters: ``sketch`` (inverted Sobel edges of the luminance: pencil strokes on
white) and ``cartoon`` (SLIC superpixels filled with their mean colour, outlined
in black: flat colour regions with ink lines).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gialib.registry import Registry

STYLES: Registry[Callable[[np.ndarray], np.ndarray]] = Registry("style")


@STYLES.register("sketch")
def sketch(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float in [0, 1] -> pencil sketch (gray strokes on white)."""
    from skimage.color import rgb2gray
    from skimage.filters import sobel

    edges = sobel(rgb2gray(rgb))
    strokes = np.clip(edges / max(float(np.percentile(edges, 99)), 1e-6), 0, 1)
    return np.repeat((1 - strokes)[..., None], 3, axis=2)


@STYLES.register("cartoon")
def cartoon(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float in [0, 1] -> flat superpixel colours with black outlines."""
    from skimage.color import label2rgb
    from skimage.segmentation import find_boundaries, slic

    segments = slic(rgb, n_segments=max(8, rgb.shape[0] * rgb.shape[1] // 48), compactness=10,
                    start_label=1)
    flat = label2rgb(segments, rgb, kind="avg", bg_label=0)
    flat[find_boundaries(segments, mode="inner")] = 0.0
    return flat


def restyle(style: str, images: torch.Tensor) -> torch.Tensor:
    """uint8 [M, 3, R, R] images in ``style`` (a name of ``STYLES``), uint8 again."""
    fn = STYLES.get(style)
    out = torch.empty_like(images)
    for i, img in enumerate(images):
        arr = img.permute(1, 2, 0).numpy().astype(np.float64) / 255.0
        styled = np.clip(fn(arr), 0, 1)
        out[i] = torch.from_numpy((styled * 255).round().astype(np.uint8)).permute(2, 0, 1)
    return out
