"""Process-level settings every workflow step applies: threads, device, seeds, logging."""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import torch

log = logging.getLogger("gialib")

_VERSIONED = ("gialib", "torch", "torchvision", "numpy", "scikit-image", "lpips", "snakemake")


# The one switch for repeatable runs on CUDA (on by default; CPU kernels are deterministic anyway).
DETERMINISTIC = True
# cuBLAS picks its reduction order by workspace; a fixed workspace makes its results repeat.
# It must be set before the first cuBLAS call, which setup() precedes in every job.
_CUBLAS_WORKSPACE = ":4096:8"


def setup(threads: int = 1, device: str = "cpu", deterministic: bool = DETERMINISTIC) -> torch.device:
    """Fix the thread count (results depend on it through float reductions), pick a device and,
    with ``deterministic``, make CUDA kernels repeat their results from run to run; keep freed
    memory in the process (``keep_freed_memory``)."""
    keep_freed_memory()
    torch.set_num_threads(max(1, int(threads)))
    dev = resolve_device(device)
    set_deterministic(deterministic)
    return dev


# glibc's mallopt parameters (malloc.h) and the values set: blocks up to 32 MiB (glibc's largest
# mmap threshold) come from the heap, and the heap's free top goes back to the kernel only past 1 GiB.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 << 20, 1 << 30


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep the memory a process frees for its next allocations; False where
    the C library is not glibc (nothing changed).

    Why: by default glibc serves blocks above a threshold (128 KiB, rising with the blocks freed)
    with fresh mmaps and hands the free top of its heap back to the kernel, so an attack that
    frees and reallocates the same tens of MB every iteration takes each page again from the
    kernel, zeroed, one page fault at a time. A ResNet-18 attack step at 32 px (11 M parameters)
    faulted about 15 k pages per iteration and spent 190-200 ms in it; with this setting it
    faults none and takes 141-151 ms (the engine and the bare step alike, 6 rounds each; a
    one-off script, 2026-12-02, 2-core AMD EPYC). Results do not change: where a tensor lives
    is not what it holds. The cost: a job keeps its peak memory until it ends."""
    if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
        return False
    libc = ctypes.CDLL(None)
    # mallopt returns 1 on success; setting either threshold also stops glibc adapting them
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


def set_deterministic(enabled: bool = True) -> None:
    """Deterministic kernels (cuBLAS workspace, cuDNN without autotuning, torch's deterministic
    algorithms).

    ``warn_only``: a few CUDA backward kernels have no deterministic version (e.g. adaptive
    average pooling, which every ResNet and VGG head uses); torch then warns, naming the op,
    instead of failing the job, and every other kernel stays deterministic.
    """
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", _CUBLAS_WORKSPACE)
    # torch.use_deterministic_algorithms(enabled, warn_only=True), less its setting of Inductor's
    # flag: that imports torch._inductor.config and with it torch._dynamo (1.7 s of every job's
    # start-up), and nothing here compiles (no torch.compile); set if Inductor is already loaded.
    torch._C._set_deterministic_algorithms(enabled, warn_only=True)
    if "torch._inductor.config" in sys.modules:
        sys.modules["torch._inductor.config"].deterministic = enabled
    torch.backends.cudnn.deterministic = enabled
    torch.backends.cudnn.benchmark = False  # autotuning picks kernels by timing: not repeatable


def to_device(obj, device: torch.device | str):
    """Every tensor in a (nested) dict / list / tuple moved to ``device``; other values as they are."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


def to_cpu(obj):
    """A result ready to save: every tensor on the CPU, so any machine loads it."""
    return to_device(obj, "cpu")


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"config device={device!r} but no CUDA device is visible")
    return torch.device(device)


def generator(seed: int, *salt: int) -> torch.Generator:
    """A CPU generator seeded from the config seed and a few integers (round, trial, ...)."""
    g = torch.Generator()
    value = int(seed)
    for s in salt:
        value = (value * 1_000_003 + int(s)) % (2**63 - 1)
    g.manual_seed(value)
    return g


def derive_seed(seed: int, *salt: int) -> int:
    """An integer seed derived from the config seed and salts (for torch.manual_seed)."""
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator(seed, *salt)))


def versions() -> dict[str, str]:
    """Package versions stored with every result row (provenance)."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


@contextmanager
def logging_to(path: str | os.PathLike | None) -> Iterator[None]:
    """Send gialib's log (and warnings, tracebacks) to a Snakemake log file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    stream = None
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "w")  # noqa: SIM115 - closed below
        handlers.append(logging.StreamHandler(stream))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    for h in handlers:
        h.setFormatter(fmt)
    root = logging.getLogger()
    old = root.handlers[:]
    root.handlers = handlers
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield
    except BaseException:
        log.exception("step failed")
        raise
    finally:
        root.handlers = old
        if stream is not None:
            stream.close()
