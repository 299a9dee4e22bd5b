"""Gradient-matching objectives: how far a simulated update is from the shared one."""

from __future__ import annotations

import torch
from torch import nn

from gialib.registry import Registry

OBJECTIVES: Registry[type[nn.Module]] = Registry("objective")


@OBJECTIVES.register("cosine")
class CosineObjective(nn.Module):
    """1 - cosine similarity of the concatenated tensors (Geiping et al., 2020)."""

    def __init__(self, target: list[torch.Tensor]) -> None:
        super().__init__()
        self.target = [t.detach() for t in target]
        self.target_norm = torch.sqrt(sum((t * t).sum() for t in self.target))

    def forward(self, simulated: list[torch.Tensor]) -> torch.Tensor:
        dot = sum((s * t).sum() for s, t in zip(simulated, self.target, strict=True))
        norm = torch.sqrt(sum((s * s).sum() for s in simulated))
        return 1 - dot / (norm * self.target_norm + 1e-12)


@OBJECTIVES.register("l2")
class L2Objective(nn.Module):
    """Squared Euclidean distance (DLG, Zhu et al., 2019)."""

    def __init__(self, target: list[torch.Tensor]) -> None:
        super().__init__()
        self.target = [t.detach() for t in target]

    def forward(self, simulated: list[torch.Tensor]) -> torch.Tensor:
        return sum(((s - t) ** 2).sum() for s, t in zip(simulated, self.target, strict=True))
