"""ConvNet: the configurable CNN of the paper's micro-design study (Sec. 5.2.2, Table IV).

The standard ConvNet has bias, ReLU, two max-pool layers and one dropout layer,
3x3 kernels with padding 1 (BatchNorm after each convolution, as in Geiping et
al.'s ConvNet). Every micro design is an argument, so a Table IV variant is a
spec string: ``convnet+relu=false``, ``convnet+maxpool=false``,
``convnet+kernel_size=5``, ``convnet+bias=false``, ``convnet+padding=2`` ...
``global_pool=true`` averages the last feature map before the classifier (as ResNets do),
so the gradient's size no longer grows with the image (Fig. 4's resolution sweep).
"""

from __future__ import annotations

import torch
from torch import nn

from gialib.models.registry import MODELS


def _block(c_in: int, c_out: int, kernel_size: int, padding: int, bias: bool, bn: bool,
           relu: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel_size, padding=padding, bias=bias)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    if relu:
        layers.append(nn.ReLU())
    return layers


class ConvNet(nn.Module):
    def __init__(self, num_classes: int, resolution: int, width: int = 16, relu: bool = True,
                 dropout: float = 0.0, maxpool: bool = True, bias: bool = True,
                 kernel_size: int = 3, padding: int | None = None, bn: bool = False,
                 global_pool: bool = False) -> None:
        super().__init__()
        if width < 1 or kernel_size < 1:
            raise ValueError(f"width and kernel_size must be >= 1 (got {width}, {kernel_size})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        pad = kernel_size // 2 if padding is None else int(padding)
        if pad < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        w = width
        layers: list[nn.Module] = []
        for c_in, c_out, pool in ((3, w, False), (w, 2 * w, True), (2 * w, 4 * w, False),
                                  (4 * w, 4 * w, True)):
            layers += _block(c_in, c_out, kernel_size, pad, bias, bn, relu)
            if pool and maxpool:
                layers.append(nn.MaxPool2d(2))
        if global_pool:
            layers.append(nn.AdaptiveAvgPool2d(1))
        self.features = nn.Sequential(*layers)
        with torch.no_grad():  # the head's size depends on kernel, padding and pooling
            flat = self.features(torch.zeros(1, 3, resolution, resolution)).numel()
        if flat == 0:
            raise ValueError(f"resolution {resolution} is too small for this ConvNet")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(flat, num_classes, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(torch.flatten(self.features(x), 1)))


@MODELS.register("convnet")
def convnet(num_classes: int, resolution: int, width: int = 16, relu: bool = True,
            dropout: float = 0.0, maxpool: bool = True, bias: bool = True, kernel_size: int = 3,
            padding: int | None = None, bn: bool = False, global_pool: bool = False) -> nn.Module:
    return ConvNet(num_classes, resolution, width, relu, dropout, maxpool, bias, kernel_size,
                   padding, bn, global_pool)
