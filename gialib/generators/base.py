"""The interface every GIA-L generator follows, and the registry of trainable architectures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from gialib.registry import Registry


@dataclass(frozen=True)
class LatentRegion:
    """Where a generator's training put its latents, so that GIA-L's search starts and stays there.

    ``sample(shape, g, bound)`` draws starting latents; ``project(z, bound)`` returns ``z`` moved
    back into the region after an optimiser step (``bound``: the attack's ``latent_bound``).
    """

    name: str
    description: str
    sample: Callable[[tuple[int, ...], torch.Generator, float], torch.Tensor]
    project: Callable[[torch.Tensor, float], torch.Tensor]
    uses_bound: bool


def _on_sphere(z: torch.Tensor) -> torch.Tensor:
    return nn.functional.normalize(z, dim=1) * z.shape[1] ** 0.5


LATENT_REGIONS: Registry[LatentRegion] = Registry("latent region")
# The DCGAN game and pretrained GANs draw z ~ N(0, I): the box [-bound, bound]^d holds their mass.
LATENT_REGIONS.register("normal")(LatentRegion(
    "normal", "N(0, I) draws, searched in the box [-latent_bound, latent_bound]",
    lambda shape, g, bound: torch.randn(shape, generator=g).clamp_(-bound, bound),
    lambda z, bound: z.clamp(-bound, bound), uses_bound=True))
# GLO learns one code per image, kept on the sphere of radius sqrt(d): outside it G was never fit.
LATENT_REGIONS.register("sphere")(LatentRegion(
    "sphere", "the sphere of radius sqrt(latent_dim) that GLO's codes live on",
    lambda shape, g, bound: _on_sphere(torch.randn(shape, generator=g)),
    lambda z, bound: _on_sphere(z), uses_bound=False))


class Generator(nn.Module):
    """``forward(z, c)`` -> images in [-1, 1] of side ``resolution``.

    ``z``: [N, latent_dim] latent codes; ``c``: [N, num_classes] class input (a
    one-hot vector for a label, or any real vector when GIA-L optimises it), or
    ``None`` for an unconditional generator (``num_classes == 0``).
    """

    latent_dim: int
    num_classes: int
    resolution: int
    # The LATENT_REGIONS entry training used (a trained generator's checkpoint sets it).
    latent_region: str = "normal"

    def weight_target(self) -> nn.Module:
        """The module a pretrained state dict is loaded into (a wrapper returns what it wraps)."""
        return self

    def class_input(self, labels: torch.Tensor) -> torch.Tensor | None:
        """The conditional input of ``labels``: one-hot rows (None if unconditional)."""
        if self.num_classes == 0:
            return None
        return nn.functional.one_hot(labels.long(), self.num_classes).float()


# Architectures the pipeline can train: name -> class taking (resolution, num_classes, **kwargs).
GENERATORS: Registry[type[Generator]] = Registry("generator architecture")
