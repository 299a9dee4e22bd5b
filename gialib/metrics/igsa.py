"""Input-Gradient Smoothness Analysis (IGSA, the paper's Sec. 5.1.1, Eq. (9)-(10)).

The adversary's objective is built on the "input-gradient" map
``g(x) = dL(f_theta(x), y) / dtheta``: the client's gradient as a function of its
data. IGSA measures how strongly g reacts to its input. Our copy of the paper
lost the formulas in text extraction; we read the text as follows.

Eq. (9): the Jacobian of g with respect to the input, split by layer l (the
parameters of one module, in forward order):
``J_l(x) = d g_l(x) / dx``  (a ``|theta_l| x |x|`` matrix).

Eq. (10): its Frobenius norm, averaged over S points x' drawn uniformly from the
L2 ball of radius r around the input ("samples located within a radius r"), and
over layers with a weighting vector w that favours shallow layers:
``K(x) = sum_l w_l * mean_{x' in B_r(x)} ||J_l(x')||_F``, ``sum_l w_l = 1``
(``jacobian_norm``). K measures how drastically the gradient changes with the input,
which the paper calls oscillatory; the paper says "a higher IGSA value indicates [a]
greater degree of smoothness, which makes it easier for the adversary" and, in its
Fig. 10, that reconstruction works while IGSA is high. So IGSA must fall as K rises:
we take ``IGSA(x) = 1 / K(x)`` (our reconstruction: the paper's exact transform is lost
with its formulas). The reported values are means over a few inputs x (one image per
batch, as the attacked N = 1 client): ``igsa`` (higher = smoother, as the paper's) and
``jacobian_norm`` (higher = rougher), each with its sd over the inputs.

Estimation, without materialising J (``|theta| x |x|`` entries): for Gaussian
tangents v, ``E ||J_l v||^2 = ||J_l||_F^2`` (Hutchinson), and ``J v`` for every
layer at once is one forward-mode product through the gradient
(``torch.func.jvp`` of ``torch.func.grad``), vectorised over ``probes`` tangents
with ``torch.func.vmap``. BatchNorm layers use the statistics the attacked
client's forward uses (``bn_mode``: the batch's, without updating running
statistics, or the running ones); dropout is off, so g is a deterministic
function of x (IGSA of the mean map, not of one mask).
The paper reads a high IGSA as an easy target (reconstruction succeeds while
IGSA is high and fails once it drops); we report the numbers, not a reading.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, replace_all_batch_norm_modules_, vmap

from gialib.fl.local import BN_MODES, loss_fn
from gialib.registry import Registry

# Weighting vectors over L layers (index 0 = shallowest), normalised to sum 1 by layer_weights.
WEIGHTINGS: Registry[Callable[[int], torch.Tensor]] = Registry("IGSA layer weighting")
WEIGHTINGS.register("linear")(lambda n: torch.arange(n, 0, -1, dtype=torch.float64))
WEIGHTINGS.register("inverse")(lambda n: 1.0 / torch.arange(1, n + 1, dtype=torch.float64))
WEIGHTINGS.register("uniform")(lambda n: torch.ones(n, dtype=torch.float64))


@dataclass(frozen=True)
class IGSAConfig:
    """Config ``igsa``: the estimator's settings (see the module docstring)."""

    num_inputs: int = 4  # images x (private split, drawn from the seed; the same for every round)
    samples: int = 4  # points x' per input, uniform in the L2 ball of radius r around x
    probes: int = 8  # Gaussian tangents per point (Hutchinson estimate of ||J_l||_F^2)
    radius: float = 1.0  # r, L2 norm in pixel units ([0, 1] images)
    weighting: str = "linear"  # w_l: linear (L, L-1, ..., 1), inverse (1/l) or uniform

    def __post_init__(self) -> None:
        for key in ("num_inputs", "samples", "probes"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"igsa.{key} must be >= 1, got {getattr(self, key)}")
        if self.radius < 0:
            raise ValueError(f"igsa.radius must be >= 0, got {self.radius}")
        WEIGHTINGS.get(self.weighting)

    @classmethod
    def from_dict(cls, cfg: dict[str, Any]) -> IGSAConfig:
        unknown = set(cfg) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown igsa key(s) {sorted(unknown)}")
        return cls(**cfg)


def layer_weights(num_layers: int, weighting: str) -> torch.Tensor:
    """The weighting vector w (float64, sums to 1, non-increasing with depth)."""
    w = WEIGHTINGS.get(weighting)(num_layers)
    return w / w.sum()


def parameter_layers(model: nn.Module) -> list[tuple[str, list[str]]]:
    """(module name, its parameter names) for every module that owns parameters, in order."""
    layers: dict[str, list[str]] = {}
    for name, _ in model.named_parameters():
        layers.setdefault(name.rpartition(".")[0], []).append(name)
    return list(layers.items())


def _smooth_copy(model: nn.Module, bn_mode: str = "train") -> nn.Module:
    """A copy without dropout whose BatchNorm layers use batch (``train``) or running statistics."""
    if bn_mode not in BN_MODES:
        raise ValueError(f"bn_mode must be one of {BN_MODES}, got {bn_mode!r}")
    m = copy.deepcopy(model)
    if bn_mode == "train":
        replace_all_batch_norm_modules_(m)  # batch statistics even in eval mode, no updates
    return m.eval()


def jacobian_products(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                      tangents: torch.Tensor) -> dict[str, torch.Tensor]:
    """``J(x) v`` for each tangent v (``tangents``: [K, *x.shape]), by parameter name ([K, *shape]).

    ``model`` must already be prepared (``_smooth_copy``); J is the Jacobian of
    the parameter gradient of the mean cross-entropy with respect to x.
    """
    params = {k: v.detach() for k, v in model.named_parameters()}

    def input_gradient(inp: torch.Tensor) -> dict[str, torch.Tensor]:
        return grad(lambda p: loss_fn(functional_call(model, p, (inp,)), y))(params)

    return vmap(lambda v: jvp(input_gradient, (x,), (v,))[1])(tangents)


def layer_jacobian_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, probes: int,
                         g: torch.Generator, layers: list[tuple[str, list[str]]] | None = None,
                         ) -> torch.Tensor:
    """Hutchinson estimates of ``||J_l(x)||_F`` for every layer l (tensor [L])."""
    layers = parameter_layers(model) if layers is None else layers
    tangents = torch.randn((probes, *x.shape), generator=g, dtype=x.dtype).to(x.device)
    jv = jacobian_products(model, x, y, tangents)
    sq = torch.stack([sum(jv[n].flatten(1).pow(2).sum(1) for n in names) for _, names in layers], 1)
    return sq.mean(0).sqrt()


def uniform_ball(x: torch.Tensor, radius: float, g: torch.Generator) -> torch.Tensor:
    """A point drawn uniformly from the L2 ball of ``radius`` around ``x`` (not clipped to the box)."""
    direction = torch.randn(x.shape, generator=g, dtype=x.dtype)
    direction /= direction.norm()
    scale = radius * float(torch.rand((), generator=g, dtype=torch.float64)) ** (1.0 / x.numel())
    return x + (scale * direction).to(x.device)


def igsa(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: IGSAConfig,
         g: torch.Generator, bn_mode: str = "train") -> dict[str, Any]:
    """IGSA of ``model`` at ``images`` (each its own batch of one), with per-layer detail."""
    m = _smooth_copy(model, bn_mode)
    layers = parameter_layers(m)
    w = layer_weights(len(layers), cfg.weighting)
    norms = torch.zeros(len(images), cfg.samples, len(layers), dtype=torch.float64)
    for i in range(len(images)):
        x, y = images[i : i + 1], labels[i : i + 1]
        for s in range(cfg.samples):
            point = uniform_ball(x, cfg.radius, g)
            norms[i, s] = layer_jacobian_norms(m, point, y, cfg.probes, g, layers).double().cpu()
    per_input = (norms.mean(1) * w).sum(1)  # K(x): the weighted Jacobian norm per input
    value = float(per_input.mean())
    smooth = 1.0 / per_input  # IGSA(x) = 1 / K(x): higher = smoother, as the paper reads it
    if not (math.isfinite(value) and bool(torch.isfinite(smooth).all())):
        raise FloatingPointError(f"IGSA is not finite (Jacobian norm {value}); per-layer norms "
                                 f"{norms.mean((0, 1))}")

    def sd(t: torch.Tensor) -> float:
        return float(t.std()) if len(t) > 1 else 0.0

    return {"igsa": float(smooth.mean()), "igsa_per_input": smooth.tolist(), "igsa_std": sd(smooth),
            "jacobian_norm": value, "jacobian_norm_per_input": per_input.tolist(),
            "jacobian_norm_std": sd(per_input),
            "layers": [name for name, _ in layers], "weights": w.tolist(),
            "layer_norms": norms.mean((0, 1)).tolist(), "config": asdict(cfg), "bn_mode": bn_mode}
