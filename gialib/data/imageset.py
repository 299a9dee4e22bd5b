"""The prepared data file every later stage reads (``results/data/{dataset}/resolution~{r}.pt``).

One ``ImageSet`` holds uint8 images at a fixed resolution, integer labels and a
split code per image:

- ``private``: client data (partitioned among FL clients; without a ``victims`` split
  the victims are drawn from the attacked client's share of it),
- ``public``: the adversary's side knowledge (Level 2, "data distribution": GIA-L's
  generator trains on it), disjoint from the private split,
- ``test``: held out for the global model's test accuracy,
- ``victims``: the private images the attacks reconstruct, disjoint from the three others
  (config ``victims_per_class``; no FL round ever trains on them). A set without one
  keeps drawing victims from the private split.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gialib import io
from gialib.registry import Registry

log = logging.getLogger(__name__)


class Split(enum.IntEnum):
    private = 0
    public = 1
    test = 2
    victims = 3


@dataclass(frozen=True)
class ImageSet:
    images: torch.Tensor  # uint8 [M, 3, R, R]
    labels: torch.Tensor  # int64 [M]
    split: torch.Tensor  # uint8 [M], values of Split
    classes: tuple[str, ...]
    name: str
    # Input normalisation (mean, std) when it must not come from this set's own private split:
    # a view that swaps the victims' images (OOD, one class) keeps its base task's model.
    norm: tuple[list[float], list[float]] | None = None

    def __post_init__(self) -> None:
        m = self.images.shape[0]
        if self.images.dtype != torch.uint8 or self.images.dim() != 4 or self.images.shape[1] != 3:
            raise ValueError(f"dataset {self.name}: images must be uint8 [M,3,R,R], got "
                             f"{self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.shape != (m,) or self.split.shape != (m,):
            raise ValueError(f"dataset {self.name}: labels/split must have {m} entries")
        if m and (int(self.labels.min()) < 0 or int(self.labels.max()) >= len(self.classes)):
            raise ValueError(f"dataset {self.name}: labels outside 0..{len(self.classes) - 1}")

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def indices(self, split: Split) -> torch.Tensor:
        return torch.nonzero(self.split == int(split)).flatten()

    def victims_split(self) -> Split:
        """The split victims are drawn from: ``victims`` when the set has one, else ``private``
        (the attacked client's shard of it, as before the victims split existed)."""
        return Split.victims if bool((self.split == int(Split.victims)).any()) else Split.private

    def floats(self, idx: torch.Tensor) -> torch.Tensor:
        """Images ``idx`` as float32 in [0, 1] (the pixel box every attack works in)."""
        return self.images[idx].float().div_(255.0)

    def channel_stats(self) -> tuple[list[float], list[float]]:
        """Per-channel mean/std of the private split: the model's input normalisation."""
        if self.norm is not None:
            return list(self.norm[0]), list(self.norm[1])
        x = self.floats(self.indices(Split.private))
        return x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).clamp_min(1e-3).tolist()

    def to_dict(self) -> dict[str, Any]:
        mean, std = self.channel_stats()
        return {"images": self.images, "labels": self.labels, "split": self.split,
                "classes": list(self.classes), "name": self.name, "mean": mean, "std": std}


# A source builds an ImageSet from its config entry, a resolution and a seed.
SOURCES: Registry = Registry("dataset source")


def prepare_imageset(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    """Build dataset ``name`` (config ``datasets.<name>``) at ``resolution`` pixels."""
    builder = SOURCES.get(spec["source"])
    data = builder(name=name, spec=spec, resolution=resolution, seed=seed)
    counts = {s.name: int((data.split == int(s)).sum()) for s in Split}
    log.info("dataset %s at %dpx: %d classes, %s images", name, resolution, data.num_classes, counts)
    for s in (Split.private, Split.test):
        if counts[s.name] == 0:
            raise ValueError(f"dataset {name}: the {s.name} split is empty")
    return data


def save_imageset(data: ImageSet, path: str | Path) -> None:
    io.save_pt(data.to_dict(), path)


def load_imageset(path: str | Path) -> tuple[ImageSet, dict[str, Any]]:
    """Load a prepared data file; returns the set and its normalisation (mean, std)."""
    obj = io.load_pt(path, kind="dataset", required=("images", "labels", "split", "classes"))
    data = ImageSet(obj["images"], obj["labels"], obj["split"], tuple(obj["classes"]), obj["name"])
    return data, {"mean": obj["mean"], "std": obj["std"]}


# Register the built-in sources (import for side effects).
from gialib.data import content as _content  # noqa: E402,F401
from gialib.data import fashion_mnist as _fashion_mnist  # noqa: E402,F401
from gialib.data import ood_sets as _ood_sets  # noqa: E402,F401
from gialib.data import packaged as _packaged  # noqa: E402,F401
from gialib.data import torchvision_sets as _tv  # noqa: E402,F401
