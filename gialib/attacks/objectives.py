"""Gradient-matching objectives: how far a simulated update is from the shared one."""

from __future__ import annotations

import torch
from torch import nn

from gialib.registry import Registry

OBJECTIVES: Registry[type[nn.Module]] = Registry("objective")


class _CosineDistance(torch.autograd.Function):
    """1 - cos(simulated, target) with a hand-written backward.

    Autograd of the plain formula (``sum((s * t).sum())``, ``sum((s * s).sum())``) keeps an
    elementwise product per tensor and, in backward, expands each sum's gradient and
    multiplies it through every product: about eight passes over the gradient's memory per
    iteration. Here the forward is two BLAS dot products per tensor (no temporary) and the
    backward two elementwise kernels per tensor, ``s * b`` and then ``+ a * t`` (addcmul). For
    a ResNet-18 (11 M parameters) a bare step took 189-256 ms of CPU with the plain formula and
    162-164 ms with this at 16 px (a one-off script alternating the two, idle machine,
    2026-12-01), and 277 against 262 ms at 32 px (``benchmarks/attack_iteration.py``'s bare
    paths), where the convolutions weigh more; one-thread timings vary by 10-20 %. The
    result is the same function; its last float bits differ from the plain formula's
    (summation order). Differentiable once, which is all the attack takes of it.
    """

    @staticmethod
    def forward(ctx, target_norm: torch.Tensor, target: list[torch.Tensor],
                *simulated: torch.Tensor) -> torch.Tensor:
        dot = sum(torch.dot(s.reshape(-1), t.reshape(-1)) for s, t in zip(simulated, target, strict=True))
        norm = torch.sqrt(sum(torch.dot(s.reshape(-1), s.reshape(-1)) for s in simulated))
        ctx.save_for_backward(*simulated)
        ctx.target, ctx.target_norm, ctx.dot, ctx.norm = target, target_norm, dot, norm
        return 1 - dot / (norm * target_norm + 1e-12)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        norm, dot = ctx.norm, ctx.dot
        denom = norm * ctx.target_norm + 1e-12
        # d/ds [1 - dot / (|s| |t|)] = -t / denom + dot * |t| * s / (|s| * denom^2)
        a = -grad / denom
        b = grad * dot * ctx.target_norm / (norm * denom * denom)
        # addcmul takes the 0-dim coefficient as a tensor: no host sync (GPU), unlike add's alpha
        return (None, None, *(torch.addcmul(s * b, t, a)
                              for s, t in zip(ctx.saved_tensors, ctx.target, strict=True)))


@OBJECTIVES.register("cosine")
class CosineObjective(nn.Module):
    """1 - cosine similarity of the concatenated tensors (Geiping et al., 2020)."""

    def __init__(self, target: list[torch.Tensor]) -> None:
        super().__init__()
        self.target = [t.detach().contiguous() for t in target]
        self.target_norm = torch.sqrt(sum(torch.dot(t.reshape(-1), t.reshape(-1)) for t in self.target))

    def forward(self, simulated: list[torch.Tensor]) -> torch.Tensor:
        return _CosineDistance.apply(self.target_norm, self.target, *simulated)


@OBJECTIVES.register("l2")
class L2Objective(nn.Module):
    """Squared Euclidean distance (DLG, Zhu et al., 2019)."""

    def __init__(self, target: list[torch.Tensor]) -> None:
        super().__init__()
        self.target = [t.detach() for t in target]

    def forward(self, simulated: list[torch.Tensor]) -> torch.Tensor:
        return sum(((s - t) ** 2).sum() for s, t in zip(simulated, self.target, strict=True))
