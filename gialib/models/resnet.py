"""ResNet-18/34 from torchvision, with a CIFAR stem (3x3 conv, no max-pool) for small images."""

from __future__ import annotations

from torch import nn

from gialib.models.registry import MODELS

_STEMS = ("cifar", "imagenet")


def _resnet(layers: list[int], num_classes: int, stem: str) -> nn.Module:
    # torchvision is imported on use: importing it costs seconds in every job otherwise.
    from torchvision.models.resnet import BasicBlock, ResNet

    if stem not in _STEMS:
        raise ValueError(f"stem must be one of {_STEMS}, got {stem!r}")
    net = ResNet(BasicBlock, layers, num_classes=num_classes)
    if stem == "cifar":
        # 32x32 inputs: the ImageNet stem (7x7/2 conv + max-pool) would leave 1x1 maps.
        net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")
        net.maxpool = nn.Identity()
    return net


@MODELS.register("resnet18")
def resnet18(num_classes: int, resolution: int, stem: str = "cifar") -> nn.Module:
    return _resnet([2, 2, 2, 2], num_classes, stem)


@MODELS.register("resnet34")
def resnet34(num_classes: int, resolution: int, stem: str = "cifar") -> nn.Module:
    return _resnet([3, 4, 6, 3], num_classes, stem)
