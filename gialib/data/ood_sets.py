"""Out-of-distribution sets of the paper's Fig. 8, read by torchvision from ``root`` (downloaded only
with ``download: true``): Places365 (scenes; the paper's "Places") and DTD (the Describable
Textures Dataset; "Textures"). ImageNet-O ("Objects") and PACS ("Styles") are plain class
folders: use ``source: imagefolder``.

They serve as ``ood=`` sources of a dataset view (``imagenet+ood=places``): only their images
are used, as victims (private split), relabelled into the base task's classes; a few go to
the test split because every set needs one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from gialib.data.imageset import SOURCES, ImageSet, Split
from gialib.data.torchvision_sets import _cap, _missing, _to_uint8


def _ood_source(make, default_split: str, hint: str):
    def build(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
        root = Path(spec.get("root", "data"))
        split = spec.get("split", default_split)
        try:
            ds = make(root, split, bool(spec.get("download", False)))
        except (RuntimeError, FileNotFoundError) as exc:
            raise _missing(name, root, hint, exc) from exc
        x, y = _to_uint8(ds, resolution, _cap(len(ds), spec.get("max_images"), seed, 3))
        if len(x) < 2:
            raise ValueError(f"dataset {name!r}: {len(x)} image(s) under {root}; need at least 2")
        codes = torch.full((len(x),), int(Split.private), dtype=torch.uint8)
        codes[: max(1, len(x) // 10)] = int(Split.test)
        return ImageSet(x, y, codes, tuple(ds.classes), name)

    return build


def _places365(root: Path, split: str, download: bool):
    from torchvision.datasets import Places365

    return Places365(str(root), split=split, small=True, download=download)


def _dtd(root: Path, split: str, download: bool):
    from torchvision.datasets import DTD

    return DTD(str(root), split=split, download=download)


SOURCES.register("places365")(_ood_source(
    _places365, "val", "Expected the small-image Places365 files (val_256/, places365_val.txt)."))
SOURCES.register("dtd")(_ood_source(_dtd, "test", "Expected dtd/dtd/images/ and dtd/dtd/labels/."))
