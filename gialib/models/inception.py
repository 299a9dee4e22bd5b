"""GoogLeNet and Inception-v3 (the paper's net-in-net, NIN, models; Fig. 10, Table III),
torchvision's definitions adapted to small images.

``stem=cifar`` (default) keeps every inception block and shrinks only the stem,
so 32 px images do not collapse to 1x1 maps before the last blocks:

- GoogLeNet: the 7x7/2 convolution becomes 3x3/1 and the first max-pool is
  dropped (inception 3 runs at resolution / 2, 4 at / 4, 5 at / 8);
- Inception-v3: both stem max-pools are dropped (Mixed_5 runs at about
  resolution / 3; it needs at least 29 px).

Auxiliary classifiers are off (their heads are not part of the shared update in
the paper's FL setting) and inputs are not re-normalised (``Classifier`` does that).
"""

from __future__ import annotations

import torch
from torch import nn

from gialib.models.registry import MODELS

_STEMS = ("cifar", "imagenet")


def _check_resolution(net: nn.Module, name: str, resolution: int) -> nn.Module:
    """Fail at build time, naming the model, if ``resolution`` collapses a feature map."""
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(torch.zeros(1, 3, resolution, resolution))
    except RuntimeError as exc:
        raise ValueError(f"{name}: resolution {resolution} is too small ({exc})") from None
    net.train(was)
    return net


@MODELS.register("googlenet")
def googlenet(num_classes: int, resolution: int, stem: str = "cifar", dropout: float = 0.2) -> nn.Module:
    from torchvision.models.googlenet import BasicConv2d, GoogLeNet

    if stem not in _STEMS:
        raise ValueError(f"stem must be one of {_STEMS}, got {stem!r}")
    net = GoogLeNet(num_classes=num_classes, aux_logits=False, transform_input=False,
                    init_weights=True, dropout=dropout)
    if stem == "cifar":
        net.conv1 = BasicConv2d(3, 64, kernel_size=3, stride=1, padding=1)
        nn.init.trunc_normal_(net.conv1.conv.weight, mean=0.0, std=0.01, a=-2, b=2)  # torchvision's init
        net.maxpool1 = nn.Identity()
    return _check_resolution(net, "googlenet", resolution)


@MODELS.register("inception_v3")
def inception_v3(num_classes: int, resolution: int, stem: str = "cifar",
                 dropout: float = 0.5) -> nn.Module:
    from torchvision.models.inception import Inception3

    if stem not in _STEMS:
        raise ValueError(f"stem must be one of {_STEMS}, got {stem!r}")
    net = Inception3(num_classes=num_classes, aux_logits=False, transform_input=False,
                     init_weights=True, dropout=dropout)
    if stem == "cifar":
        net.maxpool1 = nn.Identity()
        net.maxpool2 = nn.Identity()
    return _check_resolution(net, "inception_v3", resolution)


def nin_blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The inception (NIN) blocks of ``model`` in forward order, with their module names.

    Table III's "#k NIN block" is the k-th of these (GoogLeNet: inception3a, 3b,
    4a, ...; Inception-v3: Mixed_5b, 5c, 5d, 6a, ...).
    """
    from torchvision.models.googlenet import Inception
    from torchvision.models.inception import InceptionA, InceptionB, InceptionC, InceptionD, InceptionE

    kinds = (Inception, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE)
    return [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]
