"""Real datasets load through torchvision from data_root; tested on tiny stand-ins."""

import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from gialib.data import Split
from gialib.data.imageset import prepare_imageset


def test_missing_cifar_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"dataset 'cifar10' not found under .*download: true"):
        prepare_imageset("cifar10", {"source": "cifar10", "root": str(tmp_path)}, 32, seed=0)


def test_cifar10_conversion_on_fake_batches(tmp_path, monkeypatch):
    """torchvision's CIFAR10 reader on tiny fake batch files (integrity check bypassed)."""
    from torchvision.datasets import CIFAR10

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    for name, n in [(f"data_batch_{i}", 4) for i in range(1, 6)] + [("test_batch", 6)]:
        batch = {"data": rng.integers(0, 255, (n, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, n).tolist()}
        with open(base / name, "wb") as fh:
            pickle.dump(batch, fh)
    with open(base / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    monkeypatch.setattr(CIFAR10, "_check_integrity", lambda self: True)
    names = [f"c{i}" for i in range(10)]
    monkeypatch.setattr(CIFAR10, "_load_meta", lambda self: setattr(self, "classes", names))
    data = prepare_imageset("cifar10", {"source": "cifar10", "root": str(tmp_path), "num_public": 5},
                            32, seed=0)
    assert data.images.shape == (26, 3, 32, 32)
    assert int((data.split == int(Split.public)).sum()) == 5
    assert int((data.split == int(Split.test)).sum()) == 6
    with open(base / "data_batch_1", "rb") as fh:
        first = pickle.load(fh)["data"][0].reshape(3, 32, 32)
    assert torch.equal(data.images[0], torch.from_numpy(first))


def test_imagefolder_loads_and_resizes(tmp_path):
    rng = np.random.default_rng(0)
    for sub in ("train", "val"):
        for cls in ("cat", "dog"):
            d = tmp_path / sub / cls
            d.mkdir(parents=True)
            for i in range(3):
                Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(d / f"{i}.png")
    data = prepare_imageset("folder", {"source": "imagefolder", "root": str(tmp_path), "num_public": 2},
                            16, seed=0)
    assert data.images.shape == (12, 3, 16, 16)
    assert data.classes == ("cat", "dog")
    assert int((data.split == int(Split.test)).sum()) == 6


def test_imagefolder_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="train/<class>"):
        prepare_imageset("folder", {"source": "imagefolder", "root": str(tmp_path)}, 16, seed=0)
