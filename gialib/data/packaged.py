"""The embedded default dataset: photographs that installed packages ship, cut into a labelled set.

Each class is one photograph (scikit-image, scikit-learn and matplotlib sample
images). The photo is divided into a grid of tiles; tiles are dealt to the
private, public and test splits (seeded), and every sample is a random square
crop inside one tile of its split, resized down to the configured resolution (a tile
smaller than the resolution is an error: nothing is upsampled). So the
splits never share a pixel (the public set is truly disjoint from client data),
yet every split covers the whole photograph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from gialib.data.imageset import SOURCES, ImageSet, Split
from gialib.runtime import generator


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()

    return load


def _motorcycle() -> np.ndarray:
    import skimage.data

    return skimage.data.stereo_motorcycle()[0]


def _sklearn(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(filename)

    return load


def _matplotlib(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import matplotlib.cbook
        from PIL import Image

        with matplotlib.cbook.get_sample_data(filename) as fh:
            return np.asarray(Image.open(fh).convert("RGB"))

    return load


# name -> loader of an HxWx{1,3} uint8 photograph; all ship with installed packages.
PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": _skimage("astronaut"),
    "chelsea": _skimage("chelsea"),
    "coffee": _skimage("coffee"),
    "rocket": _skimage("rocket"),
    "hubble_deep_field": _skimage("hubble_deep_field"),
    "retina": _skimage("retina"),
    "immunohistochemistry": _skimage("immunohistochemistry"),
    "motorcycle": _motorcycle,
    "china": _sklearn("china.jpg"),
    "flower": _sklearn("flower.jpg"),
    "grace_hopper": _matplotlib("grace_hopper.jpg"),
    # grayscale photographs (replicated to RGB): textures, objects, fine detail
    "camera": _skimage("camera"),
    "moon": _skimage("moon"),
    "coins": _skimage("coins"),
    "brick": _skimage("brick"),
    "grass": _skimage("grass"),
    "gravel": _skimage("gravel"),
    "clock": _skimage("clock"),
    "text": _skimage("text"),
    "page": _skimage("page"),
    "horse": _skimage("horse"),  # a binary silhouette (Fig. 8's "other objects")
}

# Share of tiles per split (private gets the rest).
_TILE_SHARE = {Split.public: 0.25, Split.test: 0.25}


def load_photo(name: str) -> torch.Tensor:
    """Photograph ``name`` as uint8 [3, H, W]."""
    if name not in PHOTOS:
        raise ValueError(f"unknown packaged photograph {name!r}; known: {', '.join(sorted(PHOTOS))}")
    arr = np.asarray(PHOTOS[name]())
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    arr = arr[..., :3]
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255).round().astype(np.uint8) if arr.max() <= 1 else arr.astype(np.uint8)
    return torch.from_numpy(np.array(arr, copy=True)).permute(2, 0, 1).contiguous()


def _deal_tiles(grid: int, g: torch.Generator) -> dict[Split, list[int]]:
    order = torch.randperm(grid * grid, generator=g).tolist()
    dealt: dict[Split, list[int]] = {}
    start = 0
    for split, share in _TILE_SHARE.items():
        n = max(1, round(share * grid * grid))
        dealt[split] = order[start : start + n]
        start += n
    dealt[Split.private] = order[start:]
    return dealt


def random_crops(photo: torch.Tensor, tiles: list[int], grid: int, count: int, resolution: int,
                 g: torch.Generator, min_scale: float = 0.6) -> torch.Tensor:
    """``count`` random square crops inside ``tiles`` of ``photo``, resized down (never up: a
    crop is at least ``resolution`` pixels on a side, so every image has the detail of its
    resolution), randomly flipped."""
    from torchvision.transforms.v2 import functional as TF

    _, h, w = photo.shape
    th, tw = h // grid, w // grid
    if min(th, tw) < resolution:
        raise ValueError(f"a {grid}x{grid} tile of this {h}x{w} photograph is {min(th, tw)} px on its "
                         f"short side, below the resolution {resolution}: its crops would be upsampled; "
                         "give the dataset a smaller `grid` or a larger photograph")
    # The smallest crop: min_scale of the tile, or the resolution where that is larger.
    low = max(min_scale, resolution / min(th, tw))
    out = torch.empty((count, 3, resolution, resolution), dtype=torch.uint8)
    u = torch.rand((count, 5), generator=g)
    for i in range(count):
        tile = tiles[int(u[i, 0] * len(tiles))]
        row, col = divmod(tile, grid)
        side = max(2, resolution, int(min(th, tw) * (low + (1 - low) * float(u[i, 1]))))
        top = row * th + int(float(u[i, 2]) * (th - side + 1))
        left = col * tw + int(float(u[i, 3]) * (tw - side + 1))
        crop = TF.resized_crop(photo, top, left, side, side, [resolution, resolution], antialias=True)
        out[i] = TF.horizontal_flip(crop) if float(u[i, 4]) < 0.5 else crop
    return out


def per_class_counts(spec: dict[str, Any]) -> dict[Split, int]:
    return {Split.private: int(spec["private_per_class"]), Split.public: int(spec["public_per_class"]),
            Split.test: int(spec["test_per_class"])}


def photo_splits(photo: torch.Tensor, photo_name: str, per_class: dict[Split, int], grid: int,
                 resolution: int, g: torch.Generator) -> dict[Split, torch.Tensor]:
    """One class from one photograph: its tiles dealt to the splits, random crops inside them."""
    if min(photo.shape[1:]) // grid < 8:
        raise ValueError(f"photograph {photo_name} is too small for a {grid}x{grid} tile grid")
    dealt = _deal_tiles(grid, g)
    try:
        return {split: random_crops(photo, tiles, grid, per_class[split], resolution, g)
                for split, tiles in dealt.items()}
    except ValueError as exc:
        raise ValueError(f"photograph {photo_name}: {exc}") from exc


def assemble(name: str, classes: list[str], per_label: list[dict[Split, torch.Tensor]]) -> ImageSet:
    """An ImageSet from each class's images per split (label = position in ``classes``)."""
    images, labels, splits = [], [], []
    for label, dealt in enumerate(per_label):
        for split, x in dealt.items():
            images.append(x)
            labels.append(torch.full((len(x),), label, dtype=torch.int64))
            splits.append(torch.full((len(x),), int(split), dtype=torch.uint8))
    return ImageSet(torch.cat(images), torch.cat(labels), torch.cat(splits), tuple(classes), name)


@SOURCES.register("packaged")
def build_packaged(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    classes = list(spec["classes"])
    grid = int(spec.get("grid", 3))
    per_class = per_class_counts(spec)
    return assemble(name, classes, [
        photo_splits(load_photo(photo_name), photo_name, per_class, grid, resolution, generator(seed, label))
        for label, photo_name in enumerate(classes)])
