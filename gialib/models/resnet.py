"""ResNet-18/34/50/152 from torchvision, with a CIFAR stem (3x3 conv, no max-pool) for small
images, and the skip-connection surgery of the paper's Fig. 13 (Sec. 5.2.1).

``resnet18+cut_skip=3`` cuts the skip connection of the third residual block,
counting blocks in forward order from 1 (ResNet-18 has 8, ResNet-34 16, ResNet-50
16, ResNet-152 50); ``cut_skip=[1,8]`` cuts several. A cut block computes
``relu(F(x))`` instead of ``relu(F(x) + shortcut(x))``: its shortcut branch (the
identity, or the 1x1 projection of a down-sampling block, whose parameters then
leave the model) is replaced by ``CutSkip``, which contributes nothing. Every
other module, and the seeded initialisation of every remaining parameter, is the
uncut model's.

``width`` scales every channel count, as VGG's does: ``resnet18+width=0.5`` has stages of
32, 64, 128 and 256 channels instead of 64 to 512 (about a quarter of the convolutions' work).
"""

from __future__ import annotations

import torch
from torch import nn

from gialib.models.registry import MODELS

_STEMS = ("cifar", "imagenet")


class CutSkip(nn.Module):
    """The shortcut branch of a residual block with its connection cut: adds zero.

    torchvision's blocks compute ``out += downsample(x)`` when ``downsample`` is set;
    a zero scalar broadcasts, so the block keeps its own ``forward`` and loses only
    the skip path (and no gradient flows along it).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(())


def residual_blocks(net: nn.Module) -> list[nn.Module]:
    """The residual blocks of a torchvision ResNet in forward order (the paper's positions)."""
    return [block for layer in (net.layer1, net.layer2, net.layer3, net.layer4) for block in layer]


def cut_skips(net: nn.Module, cut_skip: int | list[int] | None) -> nn.Module:
    """Cut the skip connection of the given 1-based block position(s) of ``net`` in place."""
    if cut_skip is None:
        return net
    positions = [cut_skip] if isinstance(cut_skip, int) else list(cut_skip)
    blocks = residual_blocks(net)
    for pos in positions:
        if not isinstance(pos, int) or not 1 <= pos <= len(blocks):
            raise ValueError(f"cut_skip position {pos!r} not in 1..{len(blocks)} (blocks of this ResNet)")
    if len(set(positions)) != len(positions):
        raise ValueError(f"cut_skip repeats a position: {positions}")
    for pos in positions:
        blocks[pos - 1].downsample = CutSkip()
    return net


def _scale_width(net: nn.Module, block: type, layers: list[int], width: float) -> None:
    """Rebuild ``net``'s stem, stages and classifier at ``width`` times torchvision's channel
    counts, initialised as torchvision initialises them (Kaiming-normal convolutions)."""
    planes = [max(1, round(p * width)) for p in (64, 128, 256, 512)]
    net.inplanes = planes[0]
    net.conv1 = nn.Conv2d(3, planes[0], 7, 2, 3, bias=False)
    net.bn1 = nn.BatchNorm2d(planes[0])
    for i, (count, stage) in enumerate(zip(layers, planes, strict=True)):
        setattr(net, f"layer{i + 1}", net._make_layer(block, stage, count, stride=1 if i == 0 else 2))
    net.fc = nn.Linear(planes[-1] * block.expansion, net.fc.out_features)
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")


def _resnet(block: str, layers: list[int], num_classes: int, stem: str,
            cut_skip: int | list[int] | None, width: float) -> nn.Module:
    # torchvision is imported on use: importing it costs seconds in every job otherwise.
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

    if stem not in _STEMS:
        raise ValueError(f"stem must be one of {_STEMS}, got {stem!r}")
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}")
    kind = {"basic": BasicBlock, "bottleneck": Bottleneck}[block]
    net = ResNet(kind, layers, num_classes=num_classes)
    if width != 1:
        # Only then: width 1 keeps torchvision's module and random-number order exactly.
        _scale_width(net, kind, layers, width)
    if stem == "cifar":
        # 32x32 inputs: the ImageNet stem (7x7/2 conv + max-pool) would leave 1x1 maps.
        net.conv1 = nn.Conv2d(3, net.bn1.num_features, 3, 1, 1, bias=False)
        nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")
        net.maxpool = nn.Identity()
    return cut_skips(net, cut_skip)


@MODELS.register("resnet18")
def resnet18(num_classes: int, resolution: int, stem: str = "cifar",
             cut_skip: int | list[int] | None = None, width: float = 1.0) -> nn.Module:
    return _resnet("basic", [2, 2, 2, 2], num_classes, stem, cut_skip, width)


@MODELS.register("resnet34")
def resnet34(num_classes: int, resolution: int, stem: str = "cifar",
             cut_skip: int | list[int] | None = None, width: float = 1.0) -> nn.Module:
    return _resnet("basic", [3, 4, 6, 3], num_classes, stem, cut_skip, width)


@MODELS.register("resnet50")
def resnet50(num_classes: int, resolution: int, stem: str = "cifar",
             cut_skip: int | list[int] | None = None, width: float = 1.0) -> nn.Module:
    return _resnet("bottleneck", [3, 4, 6, 3], num_classes, stem, cut_skip, width)


@MODELS.register("resnet152")
def resnet152(num_classes: int, resolution: int, stem: str = "cifar",
              cut_skip: int | list[int] | None = None, width: float = 1.0) -> nn.Module:
    return _resnet("bottleneck", [3, 8, 36, 3], num_classes, stem, cut_skip, width)
