"""Top-k sparsification of the shared update (the paper's S, Sec. 6 [80])."""

from __future__ import annotations

import torch

from gialib.defenses.base import DEFENSES, Tensors, boolean, number


def kept(ratio: float, size: int) -> int:
    """k = round(ratio * size), at least 1: the number of entries a top-k keeps."""
    return max(1, round(ratio * size))


def _mask(v: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean mask of exactly ``k`` largest-magnitude entries of the flat ``v`` (ties: by index)."""
    mask = torch.zeros(v.numel(), dtype=torch.bool, device=v.device)
    mask[torch.topk(v.abs().flatten(), k, sorted=False).indices] = True
    return mask


@DEFENSES.register("topk")
def topk(tensors: Tensors, g: torch.Generator, *, ratio: float, per_layer: bool = False,
         memory: bool = False) -> Tensors:
    """Keep the k largest-magnitude entries of the update, zero the rest.

    Global by default: k = round(ratio * n) over all n entries of the update together
    (large-gradient layers keep more). ``per_layer``: k = round(ratio * n_l) per tensor
    (every layer keeps the same share; at least one entry each). Deterministic.
    ``memory``: error feedback, as in sparse communication with memory [80]: a client
    adds what it did not send to its next update. The stateful part lives in the FL
    training loop (``gialib.fl.server``); on one update this function is the same.
    """
    ratio = number("topk", "ratio", ratio, above=0.0, at_most=1.0)
    per_layer = boolean("topk", "per_layer", per_layer)
    boolean("topk", "memory", memory)
    if per_layer:
        return {name: (v.flatten() * _mask(v, kept(ratio, v.numel()))).view_as(v)
                for name, v in tensors.items()}
    flat = torch.cat([v.flatten() for v in tensors.values()])
    mask = _mask(flat, kept(ratio, flat.numel()))
    out: Tensors = {}
    start = 0
    for name, v in tensors.items():
        out[name] = (v.flatten() * mask[start: start + v.numel()]).view_as(v)
        start += v.numel()
    return out
