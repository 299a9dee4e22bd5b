"""BigGAN-deep (Brock et al., 2019) pretrained on ImageNet-1K: the paper's GIA-L generator for Figs. 6-8.

Wraps the ``pytorch_pretrained_biggan`` package's ``BigGAN`` (install it on the
machine that runs the paper config; it is not a dependency of the default
config). Name it in a config as::

    generators:
      biggan:
        trained_on: ImageNet-1K
        pretrained:
          builder: gialib.generators.biggan:biggan_deep
          kwargs: {config: data/generators/biggan-deep-256-config.json, truncation: 0.4}
          weights: data/generators/biggan-deep-256-pytorch_model.bin

The config and weights files are the package's release files for the chosen
resolution; the weights are loaded by ``load_pretrained`` (``weights_only=True``,
shape-checked), never downloaded.
"""

from __future__ import annotations

import torch
from torch import nn

from gialib.generators.base import Generator


class BigGANDeep(Generator):
    """BigGAN-deep with the common interface: ``z`` ~ N(0, I) scaled by the truncation inside."""

    def __init__(self, net: nn.Module, truncation: float) -> None:
        super().__init__()
        if not 0 < truncation <= 1:
            raise ValueError(f"BigGAN truncation must be in (0, 1], got {truncation}")
        self.net = net
        self.truncation = float(truncation)
        self.latent_dim = int(net.config.z_dim)
        self.num_classes = int(net.config.num_classes)
        self.resolution = int(net.config.output_dim)

    def weight_target(self) -> nn.Module:
        return self.net  # the release files hold BigGAN's own state dict

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if c is None:
            raise ValueError("BigGAN is class-conditional: it needs a class input")
        return self.net(self.truncation * z, c, self.truncation)


def biggan_deep(config: str, truncation: float = 0.4) -> BigGANDeep:
    """BigGAN-deep built from its release config JSON (``output_dim`` sets the resolution)."""
    from pytorch_pretrained_biggan import BigGAN, BigGANConfig

    return BigGANDeep(BigGAN(BigGANConfig.from_json_file(config)), truncation)
