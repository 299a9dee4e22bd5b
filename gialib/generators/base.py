"""The interface every GIA-L generator follows, and the registry of trainable architectures."""

from __future__ import annotations

import torch
from torch import nn

from gialib.registry import Registry


class Generator(nn.Module):
    """``forward(z, c)`` -> images in [-1, 1] of side ``resolution``.

    ``z``: [N, latent_dim] latent codes; ``c``: [N, num_classes] class input (a
    one-hot vector for a label, or any real vector when GIA-L optimises it), or
    ``None`` for an unconditional generator (``num_classes == 0``).
    """

    latent_dim: int
    num_classes: int
    resolution: int

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
