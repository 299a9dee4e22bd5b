"""Runtime requests for attack jobs, from measured time per iteration per model and device.

A cluster kills a job at its requested runtime; one constant for every model (the
old 50 ms per iteration) asks a ResNet-152 for as little time as a ConvNet, and a
job cut at its limit is cut at the same place on every retry. Here each model
family has the time one GIA-O iteration took (``MS_PER_ITERATION``: 32 px, one
image, full gradient, measured with ``measure`` below), scaled to the cell:
pixels, images, the client steps a known-B adversary unrolls, iterations,
restarts and the trials the job runs one after another. A retry (Snakemake's
``attempt``) asks for that many times more, and the attack resumes from its saved
state, so a slower machine still finishes.

Re-measure on your own hardware and replace the rows of your device:

    python -m gialib.runtimes --device cuda [--threads 1] [--iterations 30]

prints one line per model family, ready to paste into ``MS_PER_ITERATION``.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import torch

from gialib.spec import parse_spec

# Milliseconds per attack iteration at REFERENCE (G_TV, cosine matching, one 32 px image,
# full gradient), median of 3 runs of 5 iterations after a warm-up.
# "cpu": 1 thread of this project's 2-core CI-class machine (no GPU), with other jobs
# sharing its cores (so on the high side, and noisy: resnet34 measured 4.6 x resnet18),
# `python -m gialib.runtimes --device cpu --iterations 5`, 2026-11-30. No "cuda" row was
# measured yet (no GPU lent to this session): CUDA requests fall back to UNMEASURED_MS,
# and each attack log's "ms/iteration" line shows the real figure to paste here.
REFERENCE = {"resolution": 32, "num_examples": 1}
MS_PER_ITERATION: dict[str, dict[str, float]] = {
    "cpu": {
        "convnet": 30.7,
        "vgg11": 447.4,
        "vgg16": 1332.3,
        "vgg19": 1861.3,
        "resnet18": 693.6,
        "resnet34": 3224.4,
        "resnet50": 5208.9,
        "resnet152": 9284.6,
        "densenet43": 415.2,
        "densenet53": 532.3,
        "densenet121": 3145.3,
        "googlenet": 1472.0,
        "inception_v3": 2759.1,
    },
}
# A device / model pair not in the table: the old constant, generous for a GPU at 32 px.
UNMEASURED_MS = 50.0
# Job start-up (imports, reading the update and checkpoint, building the model): once per
# job, however many trials it runs.
STARTUP_MINUTES = 10


def ms_per_iteration(model: str, device: str) -> float:
    """Measured ms per iteration of ``model``'s family on ``device`` (a type: cpu, cuda) at
    ``REFERENCE``, or ``UNMEASURED_MS``."""
    return MS_PER_ITERATION.get(device.split(":")[0], {}).get(parse_spec(model).name, UNMEASURED_MS)


def attack_minutes(spec: dict[str, Any], model: str, device: str, resolution: int, num_examples: int,
                   local_updates: int, trials: int = 1, attempt: int = 1) -> int:
    """Minutes to request for one attack job of ``trials`` trials (``spec``: an ``attacks``
    entry), ``attempt`` times the estimate on the ``attempt``-th try."""
    from gialib.attacks.spec import AttackSpec

    attack = AttackSpec.from_dict(spec)  # the attack keys' defaults are written there only
    steps = local_updates if attack.threat.knows_batch_size else 1
    scale = (resolution / REFERENCE["resolution"]) ** 2 * num_examples / REFERENCE["num_examples"]
    iterations = attack.iterations * attack.restarts * trials
    minutes = iterations * ms_per_iteration(model, device) * scale * steps / 60_000
    return attempt * (STARTUP_MINUTES + math.ceil(minutes))


def measure(model: str, device: str = "cpu", iterations: int = 30, repeats: int = 3) -> float:
    """Median ms per iteration of a G_TV attack on ``model`` at ``REFERENCE`` on ``device``."""
    from gialib.attacks.engine import invert
    from gialib.attacks.params import PixelParam
    from gialib.attacks.problem import InversionProblem
    from gialib.attacks.spec import AttackSpec
    from gialib.fl.client import client_update
    from gialib.models import build_model

    dev = torch.device(device)
    res, n = REFERENCE["resolution"], REFERENCE["num_examples"]
    g = torch.Generator().manual_seed(0)
    net = build_model(model, 10, res, [0.5] * 3, [0.25] * 3, seed=0)
    x, y = torch.rand((n, 3, res, res), generator=g), torch.randint(0, 10, (n,), generator=g)
    update, _ = client_update(net, x, y, protocol="fedsgd", batch_size=n, local_updates=1, lr=0.1, seed=0)
    net.to(dev)
    update.tensors = {k: v.to(dev) for k, v in update.tensors.items()}
    times = []
    for k in range(repeats + 1):  # the first run warms up (allocator, kernels)
        spec = AttackSpec(iterations=iterations if k else 3, log_every=iterations, priors={"tv": 0.05})
        param = PixelParam(tuple(x.shape), {}, {}).to(dev)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        start = time.perf_counter()
        invert(InversionProblem(net, update, spec.threat), param, y.to(dev), spec, seed=0)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        if k:
            times.append(1000 * (time.perf_counter() - start) / iterations)
    return sorted(times)[len(times) // 2]


# One representative spec per model family of the configs (the family's default arguments).
FAMILIES = ("convnet", "vgg11", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet152",
            "densenet43", "densenet53", "densenet121", "googlenet", "inception_v3")


def main() -> None:
    ap = argparse.ArgumentParser(description="Measure ms per attack iteration per model family.")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--models", nargs="*", default=list(FAMILIES))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for model in args.models:
        print(f'        "{model}": {measure(model, args.device, args.iterations):.1f},', flush=True)


if __name__ == "__main__":
    main()
