"""Image priors (Level 1 and Level 4 side information), each a small module with a weight.

``tv``: total variation (Rudin et al.; used by Geiping et al.), piecewise smoothness.
``bn``: distance of the dummy batch's BatchNorm statistics to the client's (Yin et al.).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gialib.registry import Registry

PRIORS: Registry[type[nn.Module]] = Registry("prior")


@dataclass
class PriorContext:
    """What a prior may look at besides the images: BN statistics of the dummy and the client."""

    dummy_bn: list[tuple[torch.Tensor, torch.Tensor]] | None = None
    client_bn: list[list[torch.Tensor]] | None = None


@PRIORS.register("tv")
class TotalVariation(nn.Module):
    needs_bn = False

    def forward(self, x: torch.Tensor, ctx: PriorContext) -> torch.Tensor:
        dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()
        dy = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean()
        return dx + dy


@PRIORS.register("bn")
class BNStatistics(nn.Module):
    needs_bn = True

    def forward(self, x: torch.Tensor, ctx: PriorContext) -> torch.Tensor:
        if not ctx.client_bn or ctx.dummy_bn is None:
            raise ValueError("bn prior: the model has no BatchNorm layer or no client statistics")
        if len(ctx.dummy_bn) != len(ctx.client_bn):
            raise ValueError(f"bn prior: {len(ctx.dummy_bn)} dummy vs {len(ctx.client_bn)} client layers")
        loss = x.new_zeros(())
        for (mu, var), (mu_c, var_c) in zip(ctx.dummy_bn, ctx.client_bn, strict=True):
            loss = loss + torch.linalg.vector_norm(mu - mu_c) + torch.linalg.vector_norm(var - var_c)
        return loss
