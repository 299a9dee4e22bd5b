"""Shared fixtures: a small embedded image set and a small ConvNet (CPU, seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from filelock import FileLock

from gialib.data.imageset import prepare_imageset
from gialib.models import build_model

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "data" / "mini.yaml"
SMALL_SPEC = {"source": "packaged", "classes": ["astronaut", "chelsea", "coffee", "rocket"],
              "private_per_class": 12, "public_per_class": 6, "test_per_class": 6}


# The session's miniature runs (``built_once``): minutes each.
SESSION_RUNS = ("mini_runs", "mini_gial_run", "mini_models_run")


def pytest_collection_modifyitems(config, items):
    """Files that build or read a miniature run, or are marked slow, run first.

    Why: ``make test`` hands whole files to two pytest-xdist workers in collection order; with
    the alphabetical order the paper miniature (3-4 min) and the SLURM tests (4-5 min, mostly
    waiting) came last, side by side, and the suite ended minutes after the light files had.
    """
    heavy = {item.path for item in items
             if item.get_closest_marker("slow") is not None
             or any(name in getattr(item, "fixturenames", ()) for name in SESSION_RUNS)}
    items.sort(key=lambda item: item.path not in heavy)  # stable: the order within stays


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def small_set():
    return prepare_imageset("small", SMALL_SPEC, 32, seed=0)


@pytest.fixture(scope="session")
def default_set():
    """The default config's dataset at 32 px (10 packaged photographs)."""
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return prepare_imageset("packaged", cfg["datasets"]["packaged"], 32, seed=0)


def make_model(spec: str = "convnet+width=8", num_classes: int = 4, resolution: int = 32, seed: int = 0):
    return build_model(spec, num_classes, resolution, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], seed)


def snakemake(*args: str, cwd: Path = REPO, check: bool = True, env: dict | None = None):
    """Run this repository's workflow in a subprocess (from the repository root by default)."""
    env = {**(env or os.environ), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """``<root>/<name>``, made by ``build`` once per test session.

    ``make test`` runs pytest-xdist workers (``-n 2 --dist loadfile``), each with its own session;
    a miniature run costs minutes, so the first worker to ask builds it under a file lock in the
    directory the workers share, and the others wait for it and read the same files. A build
    that fails leaves no mark: the next test to ask tries again (and fails the same way)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' base temporary directories share this parent
    folder, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.is_file():
            build(folder)
            done.touch()
    return folder


def _run(tmp_path_factory, name: str, *targets: str) -> Path:
    """One local run of ``tests/data/<name>.yaml``; its ``results/`` directory."""
    def build(d: Path) -> None:
        snakemake(*targets, "--configfile", str(REPO / "tests" / "data" / f"{name}.yaml"),
                  "--directory", str(d), "--cores", "2")
    return built_once(tmp_path_factory, name, build) / "results"


@pytest.fixture(scope="session")
def mini_runs(tmp_path_factory):
    """Two independent local runs of the miniature config (determinism, SLURM reference)."""
    def build(folder: Path) -> None:
        for k in range(2):
            snakemake("tab1", "--configfile", str(MINI), "--directory", str(folder / f"run{k}"),
                      "--cores", "2")
    folder = built_once(tmp_path_factory, "mini_runs", build)
    return [folder / f"run{k}" for k in range(2)]


@pytest.fixture(scope="session")
def mini_gial_run(tmp_path_factory):
    """The GIA-L miniature (generator, latent attacks, tab2, fig8), run once per session."""
    return _run(tmp_path_factory, "mini_gial", "tab2", "fig8")


@pytest.fixture(scope="session")
def mini_models_run(tmp_path_factory):
    """The model targets' miniature (fig10, tab3, tab4) and its claims ledger, run once per session."""
    return _run(tmp_path_factory, "mini_models", "fig10", "tab3", "tab4", "ledger")
