"""VGG-11/16/19 (Simonyan & Zisserman; the paper's Fig. 10 models), torchvision's definition
adapted to small images.

The convolutional trunk is torchvision's ``make_layers`` on its configuration
("A", "D", "E"), with every channel count scaled by ``width`` (``width=0.25``
gives 16..128 channels instead of 64..512). Adaptations to the dataset: trailing
max-pool layers that would shrink the map below 1x1 are dropped (a 16 px input
keeps four of the five), and the 7x7-pooled 4096-4096 head becomes global average
pooling and one linear layer, as in the usual CIFAR VGGs.
"""

from __future__ import annotations

import torch
from torch import nn

from gialib.models.registry import MODELS

_CONFIG = {"vgg11": "A", "vgg16": "D", "vgg19": "E"}


def _vgg(name: str, num_classes: int, resolution: int, width: float, batch_norm: bool) -> nn.Module:
    from torchvision.models.vgg import VGG, cfgs, make_layers

    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}")
    cfg = [v if v == "M" else max(1, round(v * width)) for v in cfgs[_CONFIG[name]]]
    pools = resolution.bit_length() - 1  # halvings a resolution-r map survives (r >= 2^pools)
    while cfg.count("M") > pools:
        cfg.pop(len(cfg) - 1 - cfg[::-1].index("M"))
    features = make_layers(cfg, batch_norm=batch_norm)
    with torch.device("meta"):
        # torchvision initialises the (real) trunk; its 7x7x4096 head, replaced below, is
        # never allocated (100M+ parameters cost seconds per build otherwise)
        net = VGG(features, num_classes=num_classes)
    channels = [v for v in cfg if v != "M"][-1]
    net.avgpool = nn.AdaptiveAvgPool2d(1)
    net.classifier = nn.Linear(channels, num_classes)
    # torchvision's initialisation of its linear layers (normal, std 0.01; zero bias)
    nn.init.normal_(net.classifier.weight, 0, 0.01)
    nn.init.constant_(net.classifier.bias, 0)
    return net


@MODELS.register("vgg11")
def vgg11(num_classes: int, resolution: int, width: float = 1.0, batch_norm: bool = False) -> nn.Module:
    return _vgg("vgg11", num_classes, resolution, width, batch_norm)


@MODELS.register("vgg16")
def vgg16(num_classes: int, resolution: int, width: float = 1.0, batch_norm: bool = False) -> nn.Module:
    return _vgg("vgg16", num_classes, resolution, width, batch_norm)


@MODELS.register("vgg19")
def vgg19(num_classes: int, resolution: int, width: float = 1.0, batch_norm: bool = False) -> nn.Module:
    return _vgg("vgg19", num_classes, resolution, width, batch_norm)
