"""Gaussian perturbation of the shared update (the paper's P, Sec. 6; local DP, Naseri et al. [82])."""

from __future__ import annotations

import torch

from gialib.defenses.base import DEFENSES, GUARANTEES, UNDEFINED, Tensors, gaussian, number
from gialib.defenses.clip import clip

DEFAULT_DELTA = 1e-5


@DEFENSES.register("noise")
def noise(tensors: Tensors, g: torch.Generator, *, sigma: float, bound: float | None = None,
          delta: float = DEFAULT_DELTA) -> Tensors:
    """Add i.i.d. N(0, sigma^2) noise to every entry (random numbers from ``g``).

    With ``bound`` the update is first clipped to global L2 norm ``bound`` (``clip``):
    the Gaussian mechanism of local differential privacy, whose (epsilon, delta) for
    the given ``delta`` is ``noise_guarantee``. Without it the noise
    has no privacy guarantee (the update's norm is unbounded). ``delta`` only enters
    that accounting, not the update.
    """
    sigma = number("noise", "sigma", sigma, at_least=0.0)
    number("noise", "delta", delta, above=0.0, below=1.0)
    if bound is not None:
        tensors = clip(tensors, g, bound=number("noise", "bound", bound, above=0.0))
    return {name: v + sigma * gaussian(v, g) for name, v in tensors.items()}


@GUARANTEES.register("noise")
def noise_guarantee(*, sigma: float, bound: float | None = None,
                    delta: float = DEFAULT_DELTA) -> dict[str, float | None]:
    """(epsilon, delta) of one noised update; undefined (None) without a clipping ``bound``.

    Local DP: the neighbouring inputs are any two datasets of the client, whose
    clipped updates lie anywhere in the ball of radius ``bound``: L2 sensitivity
    2 * bound. One shared update (one round); composition over rounds is not included.
    """
    if bound is None:
        return dict(UNDEFINED)
    from gialib.defenses.privacy import gaussian_epsilon

    return {"epsilon": gaussian_epsilon(float(sigma), 2 * float(bound), float(delta)),
            "delta": float(delta)}
