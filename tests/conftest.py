"""Shared fixtures: a small embedded image set and a small ConvNet (CPU, seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gialib.data.imageset import prepare_imageset
from gialib.models import build_model

REPO = Path(__file__).resolve().parents[1]
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
