"""The DCGAN architecture (Radford et al., 2016), class-conditional: GIA-L's trained generator.

The paper's Table I/II attack "GIA-L with pretrained DcGAN". This module is the
architecture only; ``train.py`` fits it to the public split by the DCGAN game
(objective ``gan``) or by GLO (``glo``, the default config's choice, whose
generator is therefore named ``glo``, not ``dcgan``). The class input is concatenated to the
latent (a conditional GAN, Mirza & Osindero); the discriminator is conditioned by
projection (Miyato & Koyama, 2018). Resolution must be 4 * 2^k (8, 16, 32, ...):
each block doubles the side from a 4x4 start.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gialib.generators.base import GENERATORS, Generator

# Channel multiplier of the widest (4x4) stage relative to ``width``; caps cost at high resolution.
_MAX_MULT = 8


def _stages(resolution: int) -> int:
    k = math.log2(resolution / 4) if resolution >= 8 else 0
    if resolution < 8 or k != int(k):
        raise ValueError(f"DCGAN needs a resolution of 4 * 2^k >= 8 (8, 16, 32, 64, ...), got {resolution}")
    return int(k)


def _channels(width: int, stages: int) -> list[int]:
    """Channels from the 4x4 stage up to the last feature map before RGB."""
    return [width * min(2 ** (stages - 1 - i), _MAX_MULT) for i in range(stages)]


@GENERATORS.register("dcgan")
class DCGANGenerator(Generator):
    def __init__(self, resolution: int, num_classes: int, latent_dim: int = 64, width: int = 32,
                 conditional: bool = True) -> None:
        super().__init__()
        if latent_dim < 1 or width < 1:
            raise ValueError(f"latent_dim and width must be >= 1, got {latent_dim}, {width}")
        self.resolution, self.latent_dim, self.width = int(resolution), int(latent_dim), int(width)
        self.num_classes = int(num_classes) if conditional else 0
        ch = _channels(width, _stages(resolution))
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(self.latent_dim + self.num_classes, ch[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch[0]), nn.ReLU(True)]
        for c_in, c_out in zip(ch[:-1], ch[1:], strict=True):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ch[-1], 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            if c is None:
                raise ValueError("conditional generator needs a class input")
            z = torch.cat([z, c], dim=1)
        return self.net(z[:, :, None, None])

    def make_discriminator(self) -> nn.Module:
        """The adversary of this generator during training (same resolution, classes, width)."""
        return DCGANDiscriminator(self.resolution, self.num_classes, self.width)


class DCGANDiscriminator(nn.Module):
    """Strided convolutions down to 4x4, a linear real/fake score plus a class projection.

    Spectral normalisation (Miyato et al., 2018) instead of BatchNorm: with a few
    hundred public images a BatchNorm discriminator wins within a hundred steps
    and the generator collapses to one image per class.
    """

    def __init__(self, resolution: int, num_classes: int, width: int = 32) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        ch = list(reversed(_channels(width, _stages(resolution))))
        layers: list[nn.Module] = [sn(nn.Conv2d(3, ch[0], 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(ch[:-1], ch[1:], strict=True):
            layers += [sn(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        self.score = sn(nn.Linear(ch[-1] * 16, 1))
        self.embed = sn(nn.Embedding(num_classes, ch[-1] * 16)) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = torch.flatten(self.features(x), 1)
        out = self.score(h).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(labels) * h).sum(1)
        return out


def _dcgan_init(m: nn.Module) -> None:
    # DCGAN's initialisation: N(0, 0.02) weights, BN scales N(1, 0.02).
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Embedding):
        nn.init.normal_(m.weight, 0.0, 0.02)
