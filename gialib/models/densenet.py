"""DenseNets: torchvision's DenseNet-121 (Fig. 10) and the DenseNet-43/53 of ref. [74]
(Ju et al., "Connection Reduction of DenseNet for Image Recognition") with their
connection-reduced variants (Fig. 14, Sec. 5.2.1).

DenseNet-43/53 (blocks of 8-10-12-8 / 10-12-16-8 plain 3x3 convolutions, growth
32, a 7x7 stem, transitions conv1x1-ReLU-BN-avgpool, head BN-linear(512)-linear)
follow [74]. Inside a block, layer k >= 2 reads the concatenation of the outputs
of a set S(k-1) of earlier layers, and the block emits the concatenation of S(n);
layer 1 reads the block's (batch-normalised) input. ``connections`` picks S:

- ``dense`` (the baselines): S(j) = {1, ..., j};
- ``sht1`` ([74]'s ShortNet1, the paper's "variant 1"): the first layer, layer j,
  and every second layer before it: S(j) = {1} + {j-1, j-3, ... >= 2} + {j};
- ``sht2`` ([74]'s ShortNet2, "variant 2"): for even j, layers j - (2^i - 1)
  (i = 0, 1, ...; offsets 0, 1, 3, 7, ...); for odd j only {j - 1, j}.

So a variant is the baseline with some concatenation inputs removed: the
convolution weights reading them disappear and nothing else changes (every
transition halves its input channels; [74] hard-codes a few of these widths).
``growth`` and ``width`` (stem channels) scale the network for CPU runs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gialib.models.registry import MODELS
from gialib.registry import Registry

CONNECTIONS: Registry[Callable[[int], list[int]]] = Registry("dense connection pattern")


@CONNECTIONS.register("dense")
def dense(j: int) -> list[int]:
    return list(range(1, j + 1))


@CONNECTIONS.register("sht1")
def sht1(j: int) -> list[int]:
    return sorted({1, j} | set(range(j - 1, 1, -2)))


@CONNECTIONS.register("sht2")
def sht2(j: int) -> list[int]:
    if j % 2:
        return sorted({max(1, j - 1), j})
    return sorted({j - (2**i - 1) for i in range(j.bit_length() + 1) if j - (2**i - 1) >= 1})


class ConnectedDenseBlock(nn.Module):
    """``num_layers`` 3x3 conv + ReLU layers of ``growth`` channels wired by ``pattern``."""

    def __init__(self, in_channels: int, num_layers: int, growth: int,
                 pattern: Callable[[int], list[int]]) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(in_channels)
        # sources[k]: the earlier layers (1-based) whose outputs layer k + 1 concatenates
        self.sources = [[1]] + [pattern(k) for k in range(1, num_layers)]
        self.outputs = pattern(num_layers)
        widths = [in_channels] + [len(s) * growth for s in self.sources[1:]]
        self.convs = nn.ModuleList(nn.Conv2d(w, growth, 3, padding=1) for w in widths)
        self.relu = nn.ReLU()
        self.out_channels = len(self.outputs) * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = [self.relu(self.convs[0](self.bn(x)))]
        for conv, sources in zip(self.convs[1:], self.sources[1:], strict=True):
            h.append(self.relu(conv(torch.cat([h[i - 1] for i in sources], 1))))
        return torch.cat([h[i - 1] for i in self.outputs], 1)


class Transition(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(nn.Conv2d(in_channels, out_channels, 1), nn.ReLU(),
                         nn.BatchNorm2d(out_channels), nn.AvgPool2d(2))


class ReducedDenseNet(nn.Module):
    def __init__(self, num_classes: int, resolution: int, layers: list[int], growth: int,
                 width: int, connections: str, hidden: int) -> None:
        super().__init__()
        if min(layers) < 1 or growth < 1 or width < 1 or hidden < 1:
            raise ValueError(f"layers, growth, width and hidden must be >= 1 "
                             f"(got {layers}, {growth}, {width}, {hidden})")
        pattern = CONNECTIONS.get(connections)
        modules: list[nn.Module] = [nn.Conv2d(3, width, 7, padding=3, bias=False), nn.ReLU()]
        channels = width
        for n in layers:
            block = ConnectedDenseBlock(channels, n, growth, pattern)
            modules += [block, Transition(block.out_channels, block.out_channels // 2)]
            channels = block.out_channels // 2
        modules.append(nn.BatchNorm2d(channels))
        self.features = nn.Sequential(*modules)
        side = resolution >> len(layers)
        if side < 1:
            raise ValueError(f"resolution {resolution} is too small for {len(layers)} transitions")
        self.pre_classifier = nn.Linear(channels * side * side, hidden)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pre_classifier(torch.flatten(self.features(x), 1)))


@MODELS.register("densenet43")
def densenet43(num_classes: int, resolution: int, connections: str = "dense", growth: int = 32,
               width: int = 64, hidden: int = 512) -> nn.Module:
    return ReducedDenseNet(num_classes, resolution, [8, 10, 12, 8], growth, width, connections, hidden)


@MODELS.register("densenet53")
def densenet53(num_classes: int, resolution: int, connections: str = "dense", growth: int = 32,
               width: int = 64, hidden: int = 512) -> nn.Module:
    return ReducedDenseNet(num_classes, resolution, [10, 12, 16, 8], growth, width, connections, hidden)


@MODELS.register("densenet121")
def densenet121(num_classes: int, resolution: int, stem: str = "cifar", growth: int = 32) -> nn.Module:
    """torchvision's DenseNet-121 (blocks 6-12-24-16, bottleneck 4k); ``stem=cifar`` replaces the
    7x7/2 convolution and max-pool by a 3x3/1 convolution for small images."""
    from torchvision.models.densenet import DenseNet

    if stem not in ("cifar", "imagenet"):
        raise ValueError(f"stem must be 'cifar' or 'imagenet', got {stem!r}")
    # memory_efficient=False: checkpointed layers cannot be differentiated twice (GIA needs that)
    net = DenseNet(growth_rate=growth, block_config=(6, 12, 24, 16), num_init_features=2 * growth,
                   num_classes=num_classes, memory_efficient=False)
    if stem == "cifar":
        net.features.conv0 = nn.Conv2d(3, 2 * growth, 3, 1, 1, bias=False)
        nn.init.kaiming_normal_(net.features.conv0.weight)  # torchvision's init
        net.features.pool0 = nn.Identity()
    return net
