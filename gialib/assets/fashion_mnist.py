"""Fetch Fashion-MNIST into ``<root>/FashionMNIST/raw/``, where torchvision reads it.

Ways are tried in order until one works; each failure is logged and the final
error lists them all:

1. ``installed``: Debian's package ``dataset-fashion-mnist`` is installed
   (``dpkg -L`` lists its gzipped idx files);
2. ``apt-get install``: as root, install that package (``apt-get update`` first
   when the package is unknown);
3. ``apt-get download``: fetch the package's .deb without installing it and
   extract it with ``dpkg-deb -x`` under ``<root>``;
4. ``torchvision``: torchvision's own download (needs internet).

Debian recompresses the files (its .gz differ from upstream's in their headers, so
torchvision's MD5 sums of the .gz do not apply); what is checked is the unpacked
content: each idx file's header (magic number, 60,000 / 10,000 images of 28x28),
its exact size, and 6,000 / 1,000 labels per class. A truncated or different file
is an error, not a data set; files are unpacked atomically.
"""

from __future__ import annotations

import collections
import gzip
import logging
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gialib.data.fashion_mnist import RAW_FILES, missing_files, raw_dir

log = logging.getLogger(__name__)

PACKAGE = "dataset-fashion-mnist"


class FetchError(RuntimeError):
    pass


# raw file -> (idx magic number, item count, bytes per item); see http://yann.lecun.com/exdb/mnist/
LAYOUT = {
    "train-images-idx3-ubyte": (2051, 60000, 28 * 28),
    "train-labels-idx1-ubyte": (2049, 60000, 1),
    "t10k-images-idx3-ubyte": (2051, 10000, 28 * 28),
    "t10k-labels-idx1-ubyte": (2049, 10000, 1),
}
NUM_CLASSES = 10


def check_raw(path: Path, name: str | None = None, shown: str | Path | None = None) -> None:
    """Raise ``FetchError`` unless ``path`` is the Fashion-MNIST idx file ``name`` (default: its own
    name); errors call it ``shown`` (default: ``path``)."""
    magic, count, item = LAYOUT[name or path.name]
    where = shown or path
    header = 16 if magic == 2051 else 8
    size = path.stat().st_size
    if size != header + count * item:
        raise FetchError(f"{where} has {size} bytes, expected {header + count * item}")
    with open(path, "rb") as fh:
        fields = struct.unpack(f">{header // 4}I", fh.read(header))
        if fields[0] != magic or fields[1] != count or (magic == 2051 and fields[2:] != (28, 28)):
            raise FetchError(f"{where}: idx header {fields}, expected magic {magic}, {count} items")
        if magic == 2049:
            per_class = collections.Counter(fh.read())
            balanced = set(per_class.values()) == {count // NUM_CLASSES}
            if sorted(per_class) != list(range(NUM_CLASSES)) or not balanced:
                raise FetchError(f"{where}: label counts {dict(sorted(per_class.items()))}, expected "
                                 f"{count // NUM_CLASSES} of each of {NUM_CLASSES} classes")


def unpack(gz_files: list[Path], root: str | Path) -> None:
    """Unpack the four ``*-ubyte.gz`` files into ``raw_dir(root)``, each checked before it lands."""
    by_name = {p.name.removesuffix(".gz"): p for p in gz_files}
    missing = sorted(set(LAYOUT) - set(by_name))
    if missing:
        raise FetchError(f"{', '.join(missing)} (.gz) not among {sorted(p.name for p in gz_files)}")
    out = raw_dir(root)
    out.mkdir(parents=True, exist_ok=True)
    for name in LAYOUT:
        target = out / name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
        try:
            with os.fdopen(fd, "wb") as dst, gzip.open(by_name[name], "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            check_raw(Path(tmp), name, shown=f"{by_name[name]} unpacked")
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the data from other users
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _run(cmd: list[str], **kwargs) -> str:
    log.info("running: %s", " ".join(cmd))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    except FileNotFoundError as exc:
        raise FetchError(f"{cmd[0]} is not available") from exc
    if done.returncode != 0:
        raise FetchError(f"`{' '.join(cmd)}` failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def _gz_in(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.name.endswith("-ubyte.gz") and p.is_file()]


def from_installed(root: Path) -> None:
    files = _gz_in([Path(line) for line in _run(["dpkg", "-L", PACKAGE]).splitlines()])
    unpack(files, root)


def from_apt_install(root: Path) -> None:
    if os.geteuid() != 0:
        raise FetchError("not root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        _run(["apt-get", "install", "-y", "-qq", PACKAGE], env=env)
    except FetchError:
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", PACKAGE], env=env)
    from_installed(root)


def from_apt_download(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".deb-", dir=root) as tmp:
        _run(["apt-get", "download", PACKAGE], cwd=tmp)
        debs = sorted(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        if not debs:
            raise FetchError(f"apt-get download left no {PACKAGE}_*.deb")
        tree = Path(tmp) / "tree"
        _run(["dpkg-deb", "-x", str(debs[0]), str(tree)])
        unpack(_gz_in(list(tree.rglob("*.gz"))), root)


def from_torchvision(root: Path) -> None:
    from torchvision.datasets import FashionMNIST

    try:
        for train in (True, False):
            FashionMNIST(str(root), train=train, download=True)
    except Exception as exc:  # URLError, RuntimeError: every way torchvision reports a failed download
        raise FetchError(f"torchvision download: {exc}") from exc


# Tried in this order: the cheapest and most offline first.
WAYS: dict[str, Callable[[Path], None]] = {
    "installed": from_installed,
    "apt-get install": from_apt_install,
    "apt-get download": from_apt_download,
    "torchvision": from_torchvision,
}


def fetch(root: str | Path, ways: dict[str, Callable[[Path], None]] | None = None) -> str:
    """Make ``<root>/FashionMNIST/raw/`` complete; returns how (``"present"`` if it already was)."""
    root = Path(root)
    if not missing_files(root):
        return "present"
    failures = []
    for name, way in (WAYS if ways is None else ways).items():
        start = time.perf_counter()
        try:
            way(root)
        except FetchError as exc:
            log.info("Fashion-MNIST via %s: no (%s)", name, exc)
            failures.append(f"{name}: {exc}")
            continue
        if missing_files(root):
            failures.append(f"{name}: still missing {[p.name for p in missing_files(root)]}")
            continue
        for raw in RAW_FILES:  # torchvision's download lands unchecked by `unpack`: check all alike
            check_raw(raw_dir(root) / raw)
        log.info("Fashion-MNIST via %s into %s in %.1f s", name, raw_dir(root), time.perf_counter() - start)
        return name
    raise FetchError(f"could not get Fashion-MNIST into {raw_dir(root)} ({', '.join(RAW_FILES)}); tried:\n  "
                     + "\n  ".join(failures))
