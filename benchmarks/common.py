"""What the benchmark scripts share: the astronaut victim, a captured FedSGD gradient, the
bare attack step, and side-by-side timing of several code paths in one process.

The scripts run as ``python benchmarks/<name>.py`` (this folder is then first on sys.path);
gialib comes from the repository (``PYTHONPATH=$PWD`` or the editable install).
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch import nn
from torch.func import functional_call

from gialib.attacks.objectives import CosineObjective
from gialib.fl.client import client_update
from gialib.fl.local import split_state
from gialib.fl.update import ClientUpdate

# breaching's CIFAR-10 normalisation (config/case/data/CIFAR10.yaml), used for every model here
CIFAR_MEAN = [0.4914672374725342, 0.4822617471218109, 0.4467701315879822]
CIFAR_STD = [0.24703224003314972, 0.24348513782024384, 0.26158785820007324]


def astronaut(resolution: int = 32) -> torch.Tensor:
    """scikit-image's astronaut, area-downsampled to [1, 3, r, r] in [0, 1]."""
    from skimage import data

    img = torch.from_numpy(data.astronaut()).permute(2, 0, 1).float().div(255)[None]
    return F.interpolate(img, size=(resolution, resolution), mode="area").clamp(0, 1)


def victims(k: int, resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
    """K different victims: the astronaut, shifted and flipped, and K labels."""
    base = astronaut(resolution)[0]
    xs = [torch.roll(base, shifts=3 * i, dims=2).flip(2) if i % 2 else torch.roll(base, 3 * i, 1)
          for i in range(k)]
    return torch.stack(xs)[:, None], torch.arange(k) % 10


def capture(model: nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> ClientUpdate:
    """The FedSGD gradient the victim shares, BatchNorm on running statistics (config default)."""
    update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=len(x), local_updates=1,
                              lr=0.1, seed=seed, bn_mode="eval")
    return update


def cosine(grads: list[torch.Tensor], target: list[torch.Tensor],
           target_norm: torch.Tensor) -> torch.Tensor:
    """1 - cos by autograd of the plain formula (vmap-able; more memory passes than the
    engine's ``CosineObjective``, whose backward is written out)."""
    dot = sum((g * t).sum() for g, t in zip(grads, target, strict=True))
    norm = torch.sqrt(sum((g * g).sum() for g in grads))
    return 1 - dot / (norm * target_norm + 1e-12)


# CPU time of this process, not wall time: on a machine shared with other work a
# process's wall time includes the time it waited for a core, its CPU time does not.
clock = time.process_time


def bare_attack(model: nn.Module, x0: torch.Tensor, y: torch.Tensor, target: list[torch.Tensor],
                iterations: int, lr: float = 0.1, functional: bool = False,
                plain_cosine: bool = False, after: int = 0) -> float:
    """CPU seconds per iteration of the least a GIA-O step must do.

    Forward, parameter gradient with create_graph, cosine to the target, gradient of that
    to the image ONLY (``inputs=[x]``: the model's parameters get none), Adam step. The
    model must be in the mode the engine puts it in (``set_bn_mode``). ``functional``: the
    forward goes through ``torch.func.functional_call`` on copies of the parameters, as
    gialib's threat-model simulation did for FedSGD before ``own_state`` (it still does for
    unrolled FedAvg steps), to tell that call's cost from the engine's own. The cosine is the
    least work known for it, ``CosineObjective`` (two dot products per tensor forward, two
    elementwise kernels back); ``plain_cosine``: autograd of the plain formula instead.
    ``after``: iterations run untimed first, so that the timed ones see the image (and Adam's
    moments) where a longer attack has them: the engine's benchmark times its iterations
    ``after+1 .. after+iterations`` too.
    """
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    if functional:
        params, buffers = split_state(model)

        def forward(inp):
            return functional_call(model, (params, buffers), (inp,))
        weights = list(params.values())
    else:
        forward, weights = model, list(model.parameters())
    target_norm = torch.sqrt(sum((t * t).sum() for t in target))
    objective = ((lambda g: cosine(g, target, target_norm)) if plain_cosine
                 else CosineObjective(target))
    start = None
    for i in range(after + iterations):
        if i == after:
            start = clock()
        opt.zero_grad(set_to_none=True)
        grads = torch.autograd.grad(F.cross_entropy(forward(x), y), weights, create_graph=True)
        objective(grads).backward(inputs=[x])
        opt.step()
    return (clock() - start) / iterations


def side_by_side(paths: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run each path ``repeats`` times, interleaved, the order reversed every other round.

    Each callable returns (CPU) seconds per iteration of one block. Interleaving gives every path
    the same share of whatever else the machine runs; reversing cancels a steady drift.
    """
    names = list(paths)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(paths[name]())
    return times


def parse_settings(text: str) -> dict[str, Any]:
    """``KEY=VALUE[,KEY=VALUE]`` (values as YAML, keys dotted: ``priors.tv=0.2``) as a dict."""
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"{text!r}: expected KEY=VALUE[,KEY=VALUE]")
        out[key.strip()] = yaml.safe_load(value)
    return out


def with_settings(entry: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of a config entry with dotted-key ``changes`` set (``priors.tv`` in ``priors``)."""
    entry = copy.deepcopy(entry)
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = entry
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return entry


def median_ci(values: list[float], level: float = 0.95, resamples: int = 2000,
              seed: int = 0) -> tuple[float, float, float]:
    """Median of ``values`` with a seeded percentile-bootstrap interval."""
    v = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).choice(v, size=(resamples, v.size), replace=True)
    medians = np.median(draws, axis=1)
    tail = (1 - level) / 2
    return float(np.median(v)), float(np.quantile(medians, tail)), float(np.quantile(medians, 1 - tail))


def summarise(times: dict[str, list[float]], reference: str) -> list[str]:
    """Lines: median CPU ms/iteration of each path and its ratio to ``reference``: the median of
    the per-round ratios with its 95 % bootstrap interval over rounds (the paths of one round run
    within a second or so of each other, so a load change between rounds cancels in the ratio),
    and the ratio of the medians."""
    ref = times[reference]
    lines = []
    for name, t in times.items():
        mid, lo, hi = median_ci([a / b for a, b in zip(t, ref, strict=True)])
        lines.append(f"  {name:<18s} {1000 * statistics.median(t):9.3f} ms/iteration (CPU)  "
                     f"(min {1000 * min(t):8.3f}, max {1000 * max(t):8.3f})  "
                     f"ratio to {reference}: {mid:.3f} [{lo:.3f}, {hi:.3f}] per round "
                     f"(ratio of medians {statistics.median(t) / statistics.median(ref):.3f})")
    return lines
