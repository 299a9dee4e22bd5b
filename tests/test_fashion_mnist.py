"""Fashion-MNIST: the data source's disjoint splits, native pixels and missing-data error; the set-up's
fetch chain and file checks (synthetic idx files; the real set when `make setup` has fetched it)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from gialib.assets import fashion_mnist as fetcher
from gialib.data import Split, prepare_imageset, require_datasets
from gialib.data.fashion_mnist import CLASSES, RAW_FILES, fit, raw_dir

REPO = Path(__file__).resolve().parents[1]


def _idx(images: np.ndarray | None, labels: np.ndarray | None) -> bytes:
    if images is not None:
        return struct.pack(">IIII", 2051, len(images), 28, 28) + images.astype(np.uint8).tobytes()
    return struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def _write_raw(root: Path, per_class: tuple[int, int] = (30, 6), duplicate: bool = False) -> None:
    """A tiny Fashion-MNIST under root/FashionMNIST/raw: distinct random images, balanced labels."""
    rng = np.random.default_rng(0)
    out = raw_dir(root)
    out.mkdir(parents=True)
    for prefix, n in (("train", per_class[0]), ("t10k", per_class[1])):
        labels = np.repeat(np.arange(10), n)
        images = rng.integers(0, 256, (len(labels), 28, 28))
        if duplicate and prefix == "train":
            images[1:n] = images[0]  # class 0: all its train images are one picture
        (out / f"{prefix}-images-idx3-ubyte").write_bytes(_idx(images, None))
        (out / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx(None, labels))


SPEC = {"source": "fashion-mnist", "private_per_class": 10, "public_per_class": 12, "test_per_class": 4}


def _flat(data, split):
    return {bytes(x.numpy().tobytes()) for x in data.images[data.indices(split)]}


def test_splits_are_disjoint_balanced_and_seeded(tmp_path):
    _write_raw(tmp_path)
    spec = {**SPEC, "root": str(tmp_path)}
    data = prepare_imageset("fm", spec, 32, seed=0)
    assert data.classes == CLASSES
    for split, n in ((Split.private, 10), (Split.public, 12), (Split.test, 4)):
        counts = torch.bincount(data.labels[data.indices(split)], minlength=10)
        assert counts.tolist() == [n] * 10, split
    assert not _flat(data, Split.private) & _flat(data, Split.public)  # no victim trains the generator
    again = prepare_imageset("fm", spec, 32, seed=0)
    assert torch.equal(again.images, data.images) and torch.equal(again.split, data.split)
    other = prepare_imageset("fm", spec, 32, seed=1)
    assert not torch.equal(other.images[other.indices(Split.private)],
                           data.images[data.indices(Split.private)])


def test_public_image_equal_to_a_private_one_is_dropped(tmp_path):
    _write_raw(tmp_path, duplicate=True)
    data = prepare_imageset("fm", {**SPEC, "root": str(tmp_path)}, 28, seed=0)
    public_labels = data.labels[data.indices(Split.public)]
    assert int((public_labels == 0).sum()) == 0  # every class-0 public image equals a victim's
    assert int((public_labels == 1).sum()) == 12
    assert not _flat(data, Split.private) & _flat(data, Split.public)


def test_native_pixels_padded_or_downsampled():
    x = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    padded = fit(x, 32)
    assert padded.shape == (5, 3, 32, 32) and padded.dtype == torch.uint8
    assert torch.equal(padded[:, 1, 2:30, 2:30], x) and int(padded[:, :, :2].sum()) == 0
    assert torch.equal(padded[:, 0], padded[:, 2])
    assert fit(x, 28)[:, 0].equal(x)
    small = fit(x, 16)
    assert small.shape == (5, 3, 16, 16)
    assert abs(small.float().mean() - x.float().mean()) < 3  # an average, not a crop


def test_too_many_per_class_is_an_error_naming_the_class(tmp_path):
    _write_raw(tmp_path)
    with pytest.raises(ValueError, match="exceeds the 30 train images of class tshirt_top"):
        prepare_imageset("fm", {**SPEC, "root": str(tmp_path), "public_per_class": 21}, 32, seed=0)


def test_missing_data_is_named_before_any_job(tmp_path):
    datasets = {"fm": {**SPEC, "root": str(tmp_path / "nowhere")},
                "packaged": {"source": "packaged", "classes": ["astronaut", "chelsea"],
                             "private_per_class": 2, "public_per_class": 0, "test_per_class": 1}}
    expected = f"{tmp_path / 'nowhere' / 'FashionMNIST' / 'raw'}.*make setup"
    with pytest.raises(FileNotFoundError, match=expected):
        require_datasets(datasets)
    with pytest.raises(FileNotFoundError, match=expected):  # a view reads its base entry
        require_datasets(datasets, ["fm+ood=packaged"])
    require_datasets(datasets, ["packaged"])  # nothing to fetch for a packaged set
    with pytest.raises(FileNotFoundError, match="make setup"):
        prepare_imageset("fm", datasets["fm"], 32, seed=0)
    _write_raw(tmp_path / "nowhere")
    require_datasets(datasets)


def _gz(tmp_path: Path, per_class: tuple[int, int]) -> list[Path]:
    src = tmp_path / "src"
    _write_raw(src, per_class)
    files = []
    for name in RAW_FILES:
        gz = tmp_path / f"{name}.gz"
        gz.write_bytes(gzip.compress((raw_dir(src) / name).read_bytes()))
        files.append(gz)
    return files


def test_unpack_refuses_files_that_are_not_fashion_mnist(tmp_path):
    files = _gz(tmp_path, (30, 6))  # right format, wrong counts
    expected = "train-images-idx3-ubyte.gz unpacked has 235216 bytes, expected 47040016"
    with pytest.raises(fetcher.FetchError, match=expected):
        fetcher.unpack(files, tmp_path / "root")
    assert not list(raw_dir(tmp_path / "root").glob("*ubyte"))  # nothing half-written
    with pytest.raises(fetcher.FetchError, match="not among"):
        fetcher.unpack(files[:3], tmp_path / "root")


def test_label_counts_are_checked(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(_idx(None, np.zeros(10000)))
    with pytest.raises(fetcher.FetchError, match="label counts"):
        fetcher.check_raw(path)
    path.write_bytes(_idx(None, np.repeat(np.arange(10), 1000)))
    fetcher.check_raw(path)


def test_fetch_tries_each_way_and_reports_all_failures(tmp_path):
    def fail(root):
        raise fetcher.FetchError("no network")

    def fake(root):
        _write_raw(root)

    with pytest.raises(fetcher.FetchError, match=r"tried:\n  a: no network\n  b: no network"):
        fetcher.fetch(tmp_path / "x", {"a": fail, "b": fail})
    # a way that leaves files which are not Fashion-MNIST is refused by the check after it
    with pytest.raises(fetcher.FetchError, match="bytes, expected"):
        fetcher.fetch(tmp_path / "y", {"a": fail, "b": fake})
    _write_raw(tmp_path / "z")
    assert fetcher.fetch(tmp_path / "z", {"a": fail}) == "present"


def test_data_roots_come_from_the_config():
    from gialib.assets import data_roots

    cfg = {"datasets": {"a": {"source": "fashion-mnist", "root": "d1"}, "b": {"source": "fashion-mnist"},
                        "c": {"source": "packaged"}}}
    assert data_roots(cfg) == [Path("d1"), Path("data")]


REAL = REPO / "data"


@pytest.mark.skipif(bool(fetcher.missing_files(REAL)), reason="Fashion-MNIST not under data/ (make setup)")
def test_real_fashion_mnist():
    for name in RAW_FILES:
        fetcher.check_raw(raw_dir(REAL) / name)
    data = prepare_imageset("fm", {**SPEC, "root": str(REAL), "private_per_class": 100,
                                   "public_per_class": 100, "test_per_class": 50}, 32, seed=0)
    assert [len(data.indices(s)) for s in Split] == [1000, 1000, 500, 0]  # no victims_per_class
    assert not _flat(data, Split.private) & _flat(data, Split.public)


def test_setup_command_fills_the_configs_paths(tmp_path, caplog):
    """`python -m gialib.assets --config FILE`: the data root comes from the config; a present set
    is left alone; an unknown step is refused by name."""
    import logging

    import yaml

    from gialib.assets import setup
    from gialib.assets.__main__ import main

    _write_raw(tmp_path / "d")
    cfg = {"metrics": {"lpips": "off"},
           "datasets": {"fm": {**SPEC, "root": str(tmp_path / "d")}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    with caplog.at_level(logging.INFO, logger="gialib.assets"):
        main(["--config", str(tmp_path / "c.yaml")])
    assert f"{{'{tmp_path / 'd'}': 'present'}}" in caplog.text
    assert setup(cfg, ["lpips"]) == {"lpips": {}}
    with pytest.raises(ValueError, match=r"unknown asset\(s\) \['weights'\]"):
        setup(cfg, ["weights"])
