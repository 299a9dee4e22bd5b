"""Norm clipping of the shared update (the paper's C, Sec. 6; McMahan et al. 2018 [81])."""

from __future__ import annotations

import torch

from gialib.defenses.base import DEFENSES, Tensors, boolean, global_norm, number


def _scaled(tensors: Tensors, norm: torch.Tensor, bound: float) -> Tensors:
    factor = min(1.0, bound / float(norm)) if norm > 0 else 1.0
    return {name: v * factor for name, v in tensors.items()}


@DEFENSES.register("clip")
def clip(tensors: Tensors, g: torch.Generator, *, bound: float, per_layer: bool = False) -> Tensors:
    """Scale the update down so that its L2 norm is at most ``bound`` (never up).

    Global by default: the whole update, one factor min(1, bound / ||v||) (its
    direction is kept). ``per_layer``: each tensor separately to norm ``bound`` (the
    whole update then has norm at most bound * sqrt(number of tensors)). Deterministic.
    """
    bound = number("clip", "bound", bound, above=0.0)
    per_layer = boolean("clip", "per_layer", per_layer)
    if per_layer:
        return {name: _scaled({name: v}, v.double().norm(), bound)[name] for name, v in tensors.items()}
    return _scaled(tensors, global_norm(tensors), bound)
