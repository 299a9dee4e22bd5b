"""Fashion-MNIST (Xiao et al., 2017): the default run's real labelled task, read offline.

70,000 grayscale 28x28 images of ten clothing classes (60,000 in the train file,
10,000 in the test file), read by ``torchvision.datasets.FashionMNIST`` from
``<root>/FashionMNIST/raw/`` (the unpacked idx files; ``make setup`` puts them
there, see ``gialib.assets.fashion_mnist``). Per class, one seeded order of the
train file's images is cut into the ``private`` split (the FL clients' data), then,
with ``victims_per_class``, the ``victims`` split (the images the attacks
reconstruct, never trained on by any FL round), then the ``public`` split (the
adversary's side knowledge: GIA-L's generator trains on it); the ``test`` split
comes from the test file. Without ``victims_per_class`` the victims are drawn from
the private split (the attacked client's shard), as before the key existed.

The train file holds a few exact duplicates: a victim never equals a private image
(such a candidate is passed over, so the victims split has exactly its size), and
a public image that equals a private or victim image is dropped (logged), so the
generator never trains on a victim's image.

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


def _pixel_keys(pixels: torch.Tensor, idx: torch.Tensor) -> set[bytes]:
    return {bytes(pixels[i].numpy().tobytes()) for i in idx.tolist()}


def draw_splits(labels: torch.Tensor, private_per_class: int, public_per_class: int, num_classes: int,
                seed: int, salt: int = 61, *, victims_per_class: int = 0,
                pixels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per class, one seeded order of its images cut into (private, victims, public) indices.

    The private split takes the first ``private_per_class``, the victims split the next
    ``victims_per_class`` whose ``pixels`` equal no private image's, the public split the
    ``public_per_class`` after the last victim. Without victims the private and public draws
    are those made before the victims split existed (the same config gives the same data).
    """
    private, victims, public = [], [], []
    empty = torch.empty(0, dtype=torch.int64)
    for c in range(num_classes):
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=generator(seed, salt, c))]
        chosen, end = empty, private_per_class
        if victims_per_class:
            if pixels is None:
                raise ValueError("a victims split needs the pixels (to pass over copies of private images)")
            seen = _pixel_keys(pixels, idx[:private_per_class])
            picked = []
            for pos in range(private_per_class, len(idx)):
                if len(picked) == victims_per_class:
                    break
                if bytes(pixels[idx[pos]].numpy().tobytes()) not in seen:
                    picked.append(pos)
            if len(picked) < victims_per_class:
                raise ValueError(f"victims_per_class = {victims_per_class}: class {CLASSES[c]} has only "
                                 f"{len(picked)} train images left after private_per_class = "
                                 f"{private_per_class} (duplicates of private images excluded)")
            chosen, end = idx[picked], picked[-1] + 1
        need = end + public_per_class
        if need > len(idx):
            keys = "private_per_class + victims_per_class" if victims_per_class else "private_per_class"
            raise ValueError(f"{keys} + public_per_class needs {need} images, which exceeds the {len(idx)} "
                             f"train images of class {CLASSES[c]}")
        private.append(idx[:private_per_class])
        victims.append(chosen)
        public.append(idx[end:need])
    return tuple(torch.cat(part).sort().values for part in (private, victims, public))


def drop_duplicates(pixels: torch.Tensor, keep: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """``candidates`` without the images whose pixels equal one of ``keep``'s."""
    seen = _pixel_keys(pixels, keep)
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
    private, victims, public = draw_splits(train.targets, int(spec["private_per_class"]),
                                           int(spec["public_per_class"]), len(CLASSES), seed,
                                           victims_per_class=int(spec.get("victims_per_class", 0)),
                                           pixels=train.data)
    kept = drop_duplicates(train.data, torch.cat([private, victims]), public)
    if len(kept) < len(public):
        log.info("dataset %s: %d public image(s) dropped (pixel-identical to a private or victim image)",
                 name, len(public) - len(kept))
    _, _, test_idx = draw_splits(test.targets, 0, int(spec["test_per_class"]), len(CLASSES), seed, salt=62)
    parts = ((private, train, Split.private), (victims, train, Split.victims), (kept, train, Split.public),
             (test_idx, test, Split.test))
    pixels = torch.cat([source.data[idx] for idx, source, _ in parts])
    labels = torch.cat([source.targets[idx] for idx, source, _ in parts])
    split = torch.cat([torch.full((len(idx),), int(code), dtype=torch.uint8) for idx, _, code in parts])
    return ImageSet(fit(pixels, resolution), labels.to(torch.int64), split, CLASSES, name)
