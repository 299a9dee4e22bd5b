"""Shared fixtures: a small embedded image set and a small ConvNet (CPU, seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gialib.data.imageset import prepare_imageset
from gialib.models import build_model

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "data" / "mini.yaml"
SMALL_SPEC = {"source": "packaged", "classes": ["astronaut", "chelsea", "coffee", "rocket"],
              "private_per_class": 12, "public_per_class": 6, "test_per_class": 6}


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


@pytest.fixture(scope="session")
def mini_runs(tmp_path_factory):
    """Two independent local runs of the miniature config (determinism, SLURM reference)."""
    dirs = []
    for k in range(2):
        d = tmp_path_factory.mktemp(f"run{k}")
        snakemake("tab1", "--configfile", str(MINI), "--directory", str(d), "--cores", "2")
        dirs.append(d)
    return dirs


def _run(tmp_path_factory, name: str, *targets: str) -> Path:
    """One local run of ``tests/data/<name>.yaml``; its ``results/`` directory."""
    d = tmp_path_factory.mktemp(name)
    snakemake(*targets, "--configfile", str(REPO / "tests" / "data" / f"{name}.yaml"),
              "--directory", str(d), "--cores", "2")
    return d / "results"


@pytest.fixture(scope="session")
def mini_gial_run(tmp_path_factory):
    """The GIA-L miniature (generator, latent attacks, tab2, fig8), run once per session."""
    return _run(tmp_path_factory, "mini_gial", "tab2", "fig8")


@pytest.fixture(scope="session")
def mini_models_run(tmp_path_factory):
    """The model targets' miniature (fig10, tab3, tab4) and its claims ledger, run once per session."""
    return _run(tmp_path_factory, "mini_models", "fig10", "tab3", "tab4", "ledger")
