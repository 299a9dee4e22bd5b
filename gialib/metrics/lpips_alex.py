"""LPIPS with its AlexNet trunk, built in torch alone: the ``lpips`` package's metric
(``lpips.LPIPS(net="alex", version="0.1")``, linear heads on, not spatial), without its start-up.

Why: a score job is a few tiny images, yet ``import lpips`` imports torchvision (whose
``torchvision.ops`` pulls ``torch._dynamo``) and ``lpips.LPIPS`` builds torchvision's whole AlexNet,
classifier included (58M random parameters), to use only its five convolutions. Here the same
layers (torchvision's ``alexnet().features``, same indices) are cut into LPIPS's five slices and
followed by its five 1x1 linear heads, the modules named as in ``lpips.LPIPS`` so both state
dicts share keys. The heads are read from the ``lpips`` package's own file
(``weights/v0.1/alex.pth``), found without importing the package. The forward repeats
``lpips.LPIPS.forward`` op for op, so distances are bit-identical
(``tests/test_lpips_alex.py`` compares them with the package's).
"""

from __future__ import annotations

import importlib.util
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

# (first, end) indices of torchvision's alexnet().features in each of LPIPS's slices
# (lpips.pretrained_networks.alexnet); the last max-pool (index 12) is not used.
SLICES = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12))
CHANNELS = (64, 192, 384, 256, 256)
# lpips.ScalingLayer's constants (ImageNet statistics in [-1, 1] units).
SHIFT = (-.030, -.088, -.188)
SCALE = (.458, .448, .450)
EPS = 1e-10  # lpips.normalize_tensor's


def alexnet_features() -> list[nn.Module]:
    """torchvision's ``alexnet().features``, layer for layer (indices = its state-dict keys)."""
    return [nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2)]


def package_heads_file(version: str = "0.1") -> Path:
    """The ``lpips`` package's AlexNet linear heads, located without importing the package."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the lpips package is not installed: its linear heads "
                                "(weights/v0.1/alex.pth) define the LPIPS metric")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / f"v{version}" / "alex.pth"
    if not path.is_file():
        raise FileNotFoundError(f"the lpips package's linear heads are missing: {path}")
    return path


class ScalingLayer(nn.Module):
    """lpips.ScalingLayer: (x - shift) / scale per channel."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT, dtype=torch.float32)[None, :, None, None])
        self.register_buffer("scale", torch.tensor(SCALE, dtype=torch.float32)[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class AlexTrunk(nn.Module):
    """lpips.pretrained_networks.alexnet: the five slices' outputs (relu1 ... relu5)."""

    def __init__(self) -> None:
        super().__init__()
        layers = alexnet_features()
        for k, (first, end) in enumerate(SLICES, start=1):
            self.add_module(f"slice{k}", nn.Sequential(OrderedDict(
                (str(i), layers[i]) for i in range(first, end))))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for k in range(1, len(SLICES) + 1):
            x = getattr(self, f"slice{k}")(x)
            outs.append(x)
        return outs


def normalize_tensor(x: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """lpips.normalize_tensor: unit length along channels."""
    norm_factor = torch.sqrt(torch.sum(x ** 2, dim=1, keepdim=True))
    return x / (norm_factor + eps)


class NetLinLayer(nn.Module):
    """lpips.NetLinLayer in eval mode: a 1x1 convolution to one channel, no bias (the package's
    dropout before it is the identity in eval mode; its index 0 stays free, so keys match)."""

    def __init__(self, chn_in: int) -> None:
        super().__init__()
        conv = nn.Conv2d(chn_in, 1, 1, stride=1, padding=0, bias=False)
        self.model = nn.Sequential(OrderedDict([("1", conv)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class AlexLPIPS(nn.Module):
    """lpips.LPIPS(net="alex", version="0.1", lpips=True, spatial=False) in eval mode. Module
    names follow it (``scaling_layer``, ``net.slice1.0``, ``lin0.model.1``)."""

    def __init__(self) -> None:
        super().__init__()
        self.scaling_layer = ScalingLayer()
        self.net = AlexTrunk()
        for k, chn in enumerate(CHANNELS):
            self.add_module(f"lin{k}", NetLinLayer(chn))
        self.requires_grad_(False)
        self.eval()

    @property
    def lins(self) -> list[nn.Module]:
        return [getattr(self, f"lin{k}") for k in range(len(CHANNELS))]

    def forward(self, in0: torch.Tensor, in1: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        if normalize:  # images in [0, 1] -> [-1, 1], as lpips
            in0 = 2 * in0 - 1
            in1 = 2 * in1 - 1
        outs0, outs1 = self.net(self.scaling_layer(in0)), self.net(self.scaling_layer(in1))
        # lpips sums the heads' spatial means starting from the integer 0, in layer order.
        val = 0
        for out0, out1, lin in zip(outs0, outs1, self.lins, strict=True):
            diff = (normalize_tensor(out0) - normalize_tensor(out1)) ** 2
            val += lin(diff).mean([2, 3], keepdim=True)
        return val


def load_alex_lpips(backbone: str | Path, heads: str | Path | None = None) -> AlexLPIPS:
    """AlexLPIPS with the trunk's convolutions from ``backbone`` (a state dict with torchvision's
    ``features.{i}.weight/bias`` keys; others, e.g. a classifier, are ignored) and the linear heads
    from ``heads`` (default: the lpips package's file). Any missing or misshapen key is an error."""
    model = AlexLPIPS()
    features = {k.removeprefix("features."): v
                for k, v in torch.load(backbone, map_location="cpu", weights_only=True).items()
                if k.startswith("features.")}
    state = {}
    for name in model.state_dict():
        if name.startswith("net."):  # net.slice{k}.{i}.{param} <- features.{i}.{param}
            key = name.split(".", 2)[2]
            if key not in features:
                raise ValueError(f"LPIPS backbone file {backbone} lacks features.{key}")
            state[name] = features[key]
    heads = Path(heads) if heads is not None else package_heads_file()
    lin = torch.load(heads, map_location="cpu", weights_only=True)
    expected = {f"lin{k}.model.1.weight" for k in range(len(CHANNELS))}
    if set(lin) != expected:
        raise ValueError(f"LPIPS linear heads {heads}: expected keys {sorted(expected)}, got {sorted(lin)}")
    state.update(lin)
    # strict: every parameter comes from a file (the scaling buffers are constants, kept).
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) != {"scaling_layer.shift", "scaling_layer.scale"}:
        raise ValueError(f"LPIPS (alex): keys not loaded {missing}, unexpected {unexpected}")
    return model
