"""Real datasets through torchvision, read from ``data_root``; downloaded only when asked.

``cifar10`` / ``cifar100``: the train split gives private data and (a held-out,
disjoint part of it) the public split; the test split is the test set.
``imagefolder``: any ``root/train/<class>/*`` and ``root/val/<class>/*`` tree
(ImageNet, Places365 or PACS exports, ...), optionally capped per class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from gialib.data.imageset import SOURCES, ImageSet, Split
from gialib.runtime import generator


def _to_uint8(dataset, resolution: int,
              limit: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.transforms import v2

    tf = v2.Compose([v2.ToImage(), v2.Resize(resolution, antialias=True), v2.CenterCrop(resolution),
                     v2.RGB()])
    idx = range(len(dataset)) if limit is None else limit.tolist()
    xs, ys = [], []
    for i in idx:
        img, y = dataset[i]
        xs.append(tf(img))
        ys.append(int(y))
    if not xs:
        empty = torch.empty((0, 3, resolution, resolution), dtype=torch.uint8)
        return empty, torch.empty(0, dtype=torch.int64)
    return torch.stack(xs).to(torch.uint8), torch.tensor(ys, dtype=torch.int64)


def _missing(name: str, root: Path, hint: str, exc: Exception) -> FileNotFoundError:
    return FileNotFoundError(
        f"dataset {name!r} not found under {root} ({exc}). {hint} Or set "
        f"datasets.{name}.download: true on a machine with internet access.")


def _split_public(train_labels: torch.Tensor, num_public: int, seed: int) -> torch.Tensor:
    """Split codes for a train set: ``num_public`` random images become the public split."""
    if num_public >= len(train_labels):
        raise ValueError(f"num_public={num_public} leaves no private images (train has {len(train_labels)})")
    split = torch.full((len(train_labels),), int(Split.private), dtype=torch.uint8)
    pub = torch.randperm(len(train_labels), generator=generator(seed, 17))[:num_public]
    split[pub] = int(Split.public)
    return split


def _cap(n: int, cap: int | None, seed: int, salt: int) -> torch.Tensor | None:
    if cap is None or cap >= n:
        return None
    return torch.randperm(n, generator=generator(seed, salt))[:cap].sort().values


def _cifar(class_name: str, hint: str):
    def build(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
        import torchvision.datasets

        cls = getattr(torchvision.datasets, class_name)
        root = Path(spec.get("root", "data"))
        download = bool(spec.get("download", False))
        try:
            train = cls(root, train=True, download=download)
            test = cls(root, train=False, download=download)
        except RuntimeError as exc:
            raise _missing(name, root, hint, exc) from exc
        x_tr, y_tr = _to_uint8(train, resolution, _cap(len(train), spec.get("max_train"), seed, 1))
        x_te, y_te = _to_uint8(test, resolution, _cap(len(test), spec.get("max_test"), seed, 2))
        split = torch.cat([_split_public(y_tr, int(spec.get("num_public", 5000)), seed),
                           torch.full((len(y_te),), int(Split.test), dtype=torch.uint8)])
        return ImageSet(torch.cat([x_tr, x_te]), torch.cat([y_tr, y_te]), split,
                        tuple(train.classes), name)

    return build


SOURCES.register("cifar10")(_cifar("CIFAR10", "Expected cifar-10-batches-py/ (python version)."))
SOURCES.register("cifar100")(_cifar("CIFAR100", "Expected cifar-100-python/ (python version)."))


@SOURCES.register("imagefolder")
def build_imagefolder(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    """``root/train/<class>/...`` (private + public) and ``root/val/<class>/...`` (test)."""
    from torchvision.datasets import ImageFolder

    root = Path(spec.get("root", "data"))
    parts = {}
    for sub in ("train", "val"):
        folder = root / sub
        if not folder.is_dir():
            raise FileNotFoundError(
                f"dataset {name!r}: folder {folder} does not exist; expected {root}/train/<class>/* "
                f"and {root}/val/<class>/* (ImageNet: the extracted ILSVRC2012 train/val folders)")
        parts[sub] = ImageFolder(str(folder))
    if parts["train"].classes != parts["val"].classes:
        raise ValueError(f"dataset {name!r}: train and val folders have different classes")
    cap = spec.get("max_per_class")
    chosen = {}
    for k, (sub, ds) in enumerate(parts.items()):
        targets = torch.tensor(ds.targets)
        keep = []
        for c in range(len(ds.classes)):
            idx = torch.nonzero(targets == c).flatten()
            if cap is not None and len(idx) > cap:
                idx = idx[torch.randperm(len(idx), generator=generator(seed, k, c))[:cap]].sort().values
            keep.append(idx)
        chosen[sub] = torch.cat(keep) if keep else torch.empty(0, dtype=torch.int64)
    x_tr, y_tr = _to_uint8(parts["train"], resolution, chosen["train"])
    x_te, y_te = _to_uint8(parts["val"], resolution, chosen["val"])
    num_public = int(spec.get("num_public", max(1, len(y_tr) // 10)))
    split = torch.cat([_split_public(y_tr, num_public, seed),
                       torch.full((len(y_te),), int(Split.test), dtype=torch.uint8)])
    return ImageSet(torch.cat([x_tr, x_te]), torch.cat([y_tr, y_te]), split,
                    tuple(parts["train"].classes), name)
