"""Fashion-MNIST (Xiao et al., 2017): the default run's real labelled task, read offline.

70,000 grayscale 28x28 images of ten clothing classes (60,000 in the train file,
10,000 in the test file), read by ``torchvision.datasets.FashionMNIST`` from
``<root>/FashionMNIST/raw/`` (the unpacked idx files; ``make setup`` puts them
there, see ``gialib.assets.fashion_mnist``). Per class, a seeded draw from the
train file gives the ``private`` split (the FL clients' data, the victims among
them) and, disjoint from it, the ``public`` split (the adversary's side knowledge:
GIA-L's generator trains on it); the ``test`` split comes from the test file. A
public image whose pixels equal a private image's (the train file holds a few
exact duplicates) is dropped, so the generator never trains on a victim's image.

Images keep their native pixels: at a resolution above 28 px they are padded with
the background (black) around the centre, below it they are downsampled
(antialiased); grayscale is replicated to three channels.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from gialib.data.imageset import SOURCES, ImageSet, Split
from gialib.runtime import generator

log = logging.getLogger(__name__)

NATIVE = 28
# torchvision's class names, as path-safe words (a class may appear in a view's name and a path).
CLASSES = ("tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle_boot")
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")
SETUP_HINT = "`make setup` fetches it (Debian package dataset-fashion-mnist, else torchvision's download)"


def raw_dir(root: str | Path) -> Path:
    """Where torchvision reads the unpacked idx files."""
    return Path(root) / "FashionMNIST" / "raw"


def missing_files(root: str | Path) -> list[Path]:
    return [raw_dir(root) / f for f in RAW_FILES if not (raw_dir(root) / f).is_file()]


def require_files(name: str, spec: dict[str, Any]) -> None:
    """Raise (naming the path and the make target) unless the idx files are under the entry's root."""
    if spec.get("download", False):
        return
    missing = missing_files(spec.get("root", "data"))
    if missing:
        raise FileNotFoundError(f"dataset {name!r} (fashion-mnist): {len(missing)} of its files are missing "
                                f"under {raw_dir(spec.get('root', 'data'))} (e.g. {missing[0].name}); "
                                f"{SETUP_HINT}, or set datasets.{name}.download: true when online")


def fit(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """uint8 [M, 28, 28] -> uint8 [M, 3, R, R]: background padding above 28 px, downsampling below."""
    x = images[:, None]
    if resolution >= NATIVE:
        before = (resolution - NATIVE) // 2
        after = resolution - NATIVE - before
        x = torch.nn.functional.pad(x, (before, after, before, after))
    else:
        x = torch.nn.functional.interpolate(x.float(), size=(resolution, resolution), mode="bilinear",
                                            antialias=True, align_corners=False)
        x = x.round().clamp(0, 255).to(torch.uint8)
    return x.expand(-1, 3, -1, -1).contiguous()


def draw_splits(labels: torch.Tensor, private_per_class: int, public_per_class: int, num_classes: int,
                seed: int, salt: int = 61) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class, a seeded draw of disjoint private and public indices into the train file."""
    private, public = [], []
    for c in range(num_classes):
        idx = torch.nonzero(labels == c).flatten()
        need = private_per_class + public_per_class
        if need > len(idx):
            raise ValueError(f"private_per_class + public_per_class = {need} exceeds the {len(idx)} train "
                             f"images of class {CLASSES[c]}")
        idx = idx[torch.randperm(len(idx), generator=generator(seed, salt, c))]
        private.append(idx[:private_per_class])
        public.append(idx[private_per_class:need])
    return torch.cat(private).sort().values, torch.cat(public).sort().values


def drop_duplicates(pixels: torch.Tensor, keep: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """``candidates`` without the images whose pixels equal one of ``keep``'s."""
    seen = {bytes(pixels[i].numpy().tobytes()) for i in keep.tolist()}
    unique = [i for i in candidates.tolist() if bytes(pixels[i].numpy().tobytes()) not in seen]
    return torch.tensor(unique, dtype=torch.int64)


@SOURCES.register("fashion-mnist")
def build_fashion_mnist(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    from torchvision.datasets import FashionMNIST

    root = Path(spec.get("root", "data"))
    download = bool(spec.get("download", False))
    if not download:
        require_files(name, spec)
    train = FashionMNIST(str(root), train=True, download=download)
    test = FashionMNIST(str(root), train=False, download=download)
    private, public = draw_splits(train.targets, int(spec["private_per_class"]),
                                  int(spec["public_per_class"]), len(CLASSES), seed)
    kept = drop_duplicates(train.data, private, public)
    if len(kept) < len(public):
        log.info("dataset %s: %d public image(s) dropped (pixel-identical to a private image)", name,
                 len(public) - len(kept))
    _, test_idx = draw_splits(test.targets, 0, int(spec["test_per_class"]), len(CLASSES), seed, salt=62)
    pixels = torch.cat([train.data[private], train.data[kept], test.data[test_idx]])
    labels = torch.cat([train.targets[private], train.targets[kept], test.targets[test_idx]])
    split = torch.cat([torch.full((len(private),), int(Split.private), dtype=torch.uint8),
                       torch.full((len(kept),), int(Split.public), dtype=torch.uint8),
                       torch.full((len(test_idx),), int(Split.test), dtype=torch.uint8)])
    return ImageSet(fit(pixels, resolution), labels.to(torch.int64), split, CLASSES, name)
