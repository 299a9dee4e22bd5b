"""Image parameterisations: what the optimiser moves. Pixel space (GIA-O) here; a
generator's latent space (GIA-L) registers itself the same way."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gialib.registry import Registry

SPACES: Registry[type[nn.Module]] = Registry("image space")


class ImageParam(nn.Module):
    """An image parameterisation.

    ``forward()`` gives images in [0, 1]; ``reset(g)`` re-initialises; ``project()``
    enforces its constraints after each optimiser step.
    """

    def reset(self, g: torch.Generator) -> None:
        raise NotImplementedError

    def project(self) -> None:
        raise NotImplementedError


@SPACES.register("pixel")
class PixelParam(ImageParam):
    """GIA-O (Definition 1): optimise the pixels, boxed to the valid range [0, 1]."""

    def __init__(self, shape: tuple[int, ...], options: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__()
        if options:
            raise ValueError(f"pixel space takes no options, got {sorted(options)}")
        self.x = nn.Parameter(torch.empty(shape))

    def reset(self, g: torch.Generator) -> None:
        with torch.no_grad():
            self.x.copy_(torch.rand(self.x.shape, generator=g))

    def forward(self) -> torch.Tensor:
        return self.x

    @torch.no_grad()
    def project(self) -> None:
        self.x.clamp_(0.0, 1.0)


# GIA-L's latent space registers itself (import for side effects).
from gialib.attacks import latent as _latent  # noqa: E402,F401
