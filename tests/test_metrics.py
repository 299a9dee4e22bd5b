import math

import pytest
import torch

from gialib.metrics import match_reconstructions, psnr, score_reconstruction, ssim
from gialib.metrics.lpips_metric import lpips_status, require_lpips


def test_identical_images():
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert torch.isinf(psnr(x, x)).all()
    torch.testing.assert_close(ssim(x, x), torch.ones(3, dtype=torch.float64))


def test_psnr_known_value():
    a = torch.zeros(1, 3, 8, 8)
    b = torch.full((1, 3, 8, 8), 0.1)
    assert math.isclose(float(psnr(a, b)), 20.0, rel_tol=1e-6)


def test_matching_recovers_a_known_permutation():
    g = torch.Generator().manual_seed(0)
    truth = torch.rand(6, 3, 16, 16, generator=g)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    recon = (truth[perm] + 0.01 * torch.randn(6, 3, 16, 16, generator=g)).clamp(0, 1)
    order = match_reconstructions(recon, truth)
    assert torch.equal(recon[order], recon[order])
    assert torch.equal(perm[order], torch.arange(6))
    scored = score_reconstruction(recon, truth, torch.tensor([1, 1, 2]), torch.tensor([2, 1, 1]))
    assert scored["psnr"] > 35 and math.isnan(scored["lpips"])
    assert scored["label_accuracy"] == 1.0


def test_lpips_policy(tmp_path):
    missing = tmp_path / "none.pth"
    ok, status = lpips_status("auto", "alex", str(missing))
    assert not ok and "NOT computed" in status
    with pytest.raises(FileNotFoundError, match="metrics.lpips is 'required'"):
        require_lpips("required", "alex", str(missing))
    require_lpips("auto", "alex", str(missing))  # auto never fails
    assert lpips_status("off", "alex")[0] is False


def test_lpips_with_backbone_file(tmp_path):
    """Real LPIPS path: weights loaded from a torchvision AlexNet state dict on disk."""
    import torchvision

    from gialib.metrics.lpips_metric import LPIPS

    path = tmp_path / "alexnet.pth"
    torch.manual_seed(0)
    torch.save(torchvision.models.alexnet().state_dict(), path)
    metric = LPIPS("alex", str(path))
    x = torch.rand(2, 3, 32, 32)
    d = metric(x, x)
    assert torch.allclose(d, torch.zeros(2, dtype=torch.float64), atol=1e-6)
    assert (metric(x, torch.rand(2, 3, 32, 32)) > 0).all()
    assert metric.model.net.slice1[0].weight.data_ptr() != 0
    loaded = torch.load(path, weights_only=True)["features.0.weight"]
    torch.testing.assert_close(metric.model.net.slice1[0].weight, loaded)


def test_backbone_file_names_are_torchvisions():
    import torchvision.models as tvm

    from gialib.metrics.lpips_metric import _TV_WEIGHTS, BACKBONE_FILES

    for net, enum in _TV_WEIGHTS.items():
        assert BACKBONE_FILES[net] == getattr(tvm, enum).IMAGENET1K_V1.url.rsplit("/", 1)[-1]
