"""The defence registry and the parameter checks every defence shares.

A defence is a function ``fn(tensors, g, **params) -> tensors`` on the tensors of
one shared update (by parameter name), registered under the name its spec string
starts with. It must not modify its input, and it draws every random number from
``g`` (a seeded CPU generator), so the same spec and seed give the same update.
Each function checks its own parameters with the helpers below, so the check a
config gets before any job (``check_defense``) is the very check the job makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from gialib.registry import Registry

Tensors = dict[str, torch.Tensor]
DEFENSES: Registry[Callable[..., Tensors]] = Registry("defense")
# Defences with a differential privacy guarantee: name -> fn(**params) -> {"epsilon", "delta"}.
GUARANTEES: Registry[Callable[..., dict[str, float | None]]] = Registry("privacy guarantee")
UNDEFINED: dict[str, float | None] = {"epsilon": None, "delta": None}


def integer(defense: str, key: str, value: Any, *, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum], else a ``ValueError`` naming ``defense.key``."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        span = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"defense {defense}: {key} must be an integer {span}, got {value!r}")
    return value


def number(defense: str, key: str, value: Any, *, above: float | None = None,
           at_least: float | None = None, at_most: float | None = None,
           below: float | None = None) -> float:
    """``value`` as a finite float within the given bounds, else a ``ValueError`` naming the key."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
    ok = ok and abs(value) != float("inf")
    bounds = [(above, lambda v, b: v > b, "> {}"), (at_least, lambda v, b: v >= b, ">= {}"),
              (at_most, lambda v, b: v <= b, "<= {}"), (below, lambda v, b: v < b, "< {}")]
    wanted = [fmt.format(b) for b, _, fmt in bounds if b is not None]
    if ok:
        ok = all(test(value, b) for b, test, _ in bounds if b is not None)
    if not ok:
        hint = " (YAML reads 1e-3 as text: write 1.0e-3)" if isinstance(value, str) else ""
        raise ValueError(f"defense {defense}: {key} must be a number {' and '.join(wanted)}, "
                         f"got {value!r}{hint}")
    return float(value)


def boolean(defense: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"defense {defense}: {key} must be true or false, got {value!r}")
    return value


def global_norm(tensors: Tensors) -> torch.Tensor:
    """L2 norm of all tensors concatenated (the norm of the whole update)."""
    return torch.sqrt(sum((t.double() ** 2).sum() for t in tensors.values()))


def uniform(like: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """U[0, 1) samples shaped like ``like``, drawn on the CPU from ``g`` (device independent)."""
    return torch.rand(like.shape, generator=g, dtype=like.dtype).to(like.device)


def gaussian(like: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """N(0, 1) samples shaped like ``like``, drawn on the CPU from ``g``."""
    return torch.randn(like.shape, generator=g, dtype=like.dtype).to(like.device)


@DEFENSES.register("none")
def none(tensors: Tensors, g: torch.Generator) -> Tensors:
    """The undefended baseline: the update is shared as computed."""
    return dict(tensors)
