"""The light AlexNet LPIPS (gialib.metrics.lpips_alex) is the lpips package's metric, bit for bit,
and builds without importing lpips or torchvision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from gialib.metrics import lpips_alex
from gialib.metrics.lpips_metric import BUILDERS, LPIPS, package_lpips

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def backbone(tmp_path_factory) -> Path:
    """A seeded random AlexNet trunk in torchvision's layout: equality needs the same weights on
    both sides, not ImageNet's (the real file's behaviour is tests/test_lpips_offline.py's)."""
    g = torch.Generator().manual_seed(0)
    state = {}
    for i, layer in enumerate(lpips_alex.alexnet_features()):
        if isinstance(layer, torch.nn.Conv2d):
            state[f"features.{i}.weight"] = 0.05 * torch.randn(layer.weight.shape, generator=g)
            state[f"features.{i}.bias"] = 0.05 * torch.randn(layer.bias.shape, generator=g)
    path = tmp_path_factory.mktemp("lpips") / "alexnet.pth"
    torch.save(state, path)
    return path


def _pairs(size: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Unrelated images, and near ones (small distances, where rounding would show)."""
    g = torch.Generator().manual_seed(seed)
    a, b = torch.rand(4, 3, size, size, generator=g), torch.rand(4, 3, size, size, generator=g)
    near = (a + 0.02 * torch.randn(a.shape, generator=g)).clamp(0, 1)
    return [(a, b), (a, near), (a, a)]


@pytest.mark.parametrize("size", [32, 64])
def test_light_alex_equals_the_lpips_package(backbone, size):
    light = lpips_alex.load_alex_lpips(backbone)
    reference = package_lpips("alex", backbone)
    ours, theirs = light.state_dict(), reference.state_dict()
    assert set(ours) <= set(theirs)
    for key, value in ours.items():
        assert torch.equal(value, theirs[key]), key
    with torch.no_grad():
        for seed in range(3):
            for a, b in _pairs(size, seed):
                got, want = light(a, b, normalize=True), reference(a, b, normalize=True)
                assert got.shape == want.shape == (4, 1, 1, 1)
                assert torch.equal(got, want), (got - want).abs().max()


def test_metric_builds_alex_light_and_heads_are_the_packages(backbone):
    import lpips

    metric = LPIPS("alex", str(backbone))
    assert isinstance(metric.model, lpips_alex.AlexLPIPS)
    head_file = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
    assert lpips_alex.package_heads_file() == head_file
    heads = torch.load(head_file, map_location="cpu", weights_only=True)
    ours = metric.model.state_dict()
    for key in (f"lin{k}.model.1.weight" for k in range(5)):
        assert torch.equal(ours[key], heads[key]), key


def test_every_configurable_net_has_a_builder():
    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    assert set(BUILDERS) == set(schema["properties"]["metrics"]["properties"]["lpips_net"]["enum"])


def test_backbone_without_a_layer_is_refused(backbone, tmp_path):
    state = torch.load(backbone, weights_only=True)
    del state["features.8.weight"]
    torch.save(state, tmp_path / "partial.pth")
    with pytest.raises(ValueError, match=r"lacks features\.8\.weight"):
        lpips_alex.load_alex_lpips(tmp_path / "partial.pth")


def test_score_start_up_imports_neither_lpips_torchvision_nor_dynamo(backbone):
    """A score job's set-up and LPIPS (alex) load none of them (seconds of start-up each job)."""
    code = ("import sys, torch; from gialib import runtime; from gialib.metrics.lpips_metric import LPIPS; "
            "runtime.setup(1, 'cpu'); assert torch.are_deterministic_algorithms_enabled(); "
            f"LPIPS('alex', {str(backbone)!r})(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)); "
            "print(sorted(m for m in ('lpips', 'torchvision', 'torch._dynamo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
