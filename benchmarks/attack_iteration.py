"""Benchmark: gialib's GIA-O iteration against a bare optimisation step, side by side.

The bare step is the least any optimisation-based GIA must do per iteration (see
``common.bare_attack``): forward, parameter gradient with create_graph, cosine matching loss
(``CosineObjective``: two dot products per tensor, two elementwise kernels back), its
gradient to the image only, Adam step. The engine (``gialib.attacks.engine.invert``) adds
its learning-rate schedule, box projection, threat-model simulation (for FedSGD the module
at its own tensors, ``gialib.fl.local.own_state``) and bookkeeping. Both run on the same
model, image and target in one process, in interleaved blocks (the order reversed every
other round), so that other work on the machine slows both alike, and each is timed in CPU
time of the process (time waiting for a core on a shared machine does not count); the
engine's time is its loop alone, without set-up and the final ranking evaluation. Target:
ratio <= 1.03.
A third path, ``bare+func``, is the bare step with its forward through functional_call on
parameter copies (what ``InversionProblem.simulate`` did before ``own_state``): it tells that
call's cost apart.
A fourth, ``bare, plain cosine``, takes the cosine by autograd of the plain formula (what the
engine did before): the gain of the written-out backward.
Every path times the same iterations, ``block+1 .. 2*block`` of its run (the engine logs at
``block`` and ``2*block``; the bare paths run ``block`` untimed first). (Until 2026-12-01 the
bare paths timed their first block; side by side, 100 rounds on the ConvNet, that window gave
0.996 [0.981, 1.008] of the second's time: it changed nothing.)

The ratio is the median over rounds of each round's ratio, with a bootstrap interval, because
on a virtual machine one path's speed drifts by tens of percent within seconds (the same
ConvNet block of 50 iterations took 11.7-17.2 ms per iteration, 2026-12-01), and only paths
timed within the same second see the same machine: short blocks, many rounds. With 6 blocks of
50 and the ratio of medians, the same code read 1.108 one day and 1.015 another.

    python benchmarks/attack_iteration.py [--models convnet resnet18] [--block B] [--repeats R]
"""

from __future__ import annotations

import argparse
import logging
import os

import torch
from common import (
    CIFAR_MEAN,
    CIFAR_STD,
    astronaut,
    bare_attack,
    capture,
    clock,
    median_ci,
    side_by_side,
    summarise,
)

from gialib import runtime
from gialib.attacks.engine import invert
from gialib.attacks.params import PixelParam
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec, ThreatSpec
from gialib.models import build_model

TARGET_RATIO = 1.03
# (block, repeats) per model: a block takes 0.1-1 s, a model about 5 minutes in all (2026-12-01).
SIZES = {"convnet": (10, 100), "resnet18": (2, 40)}
FALLBACK_SIZE = (10, 30)


class _Stamps(logging.Handler):
    """CPU time at each progress line the engine logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.stamps: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.stamps.append(clock())


def engine_attack(problem: InversionProblem, shape: tuple[int, ...], y: torch.Tensor,
                  iterations: int) -> float:
    """CPU seconds per iteration of the engine's loop: no prior, as the bare step has none.

    The engine runs 2 x ``iterations`` and logs after each half: the CPU time between the
    two log lines is ``iterations`` iterations of its loop, without set-up or the final
    ranking evaluation.
    """
    spec = AttackSpec(iterations=2 * iterations, log_every=iterations, lr=0.1,
                      threat=ThreatSpec(labels="given"))
    stamps = _Stamps()
    engine_log = logging.getLogger("gialib.attacks.engine")
    engine_log.addHandler(stamps)
    try:
        invert(problem, PixelParam(shape, {}, {}), y, spec, seed=0)
    finally:
        engine_log.removeHandler(stamps)
    first, second = stamps.stamps
    return (second - first) / iterations


def compare(model_spec: str, resolution: int, batch: int, block: int, repeats: int) -> list[str]:
    model = build_model(model_spec, 10, resolution, CIFAR_MEAN, CIFAR_STD, seed=0)
    x_true = astronaut(resolution).repeat(batch, 1, 1, 1)
    y = torch.zeros(batch, dtype=torch.long)
    update = capture(model, x_true, y)
    problem = InversionProblem(model, update, ThreatSpec(labels="given"))  # sets the BN mode
    target = [update.tensors[n] for n, _ in model.named_parameters()]
    x0 = torch.rand(x_true.shape, generator=torch.Generator().manual_seed(0))
    def bare(**kw):
        return lambda: bare_attack(model, x0, y, target, block, **kw)
    paths = {"bare step": bare(after=block),
             "bare+func": bare(functional=True, after=block),
             "bare, plain cosine": bare(plain_cosine=True, after=block),
             "gialib": lambda: engine_attack(problem, tuple(x_true.shape), y, block)}
    side_by_side(paths, 1)  # warm-up, not counted
    times = side_by_side(paths, repeats)
    params = sum(p.numel() for p in model.parameters())
    head = (f"{model_spec} ({params:,} parameters), batch {batch}, {resolution} px: "
            f"{repeats} interleaved blocks of {block} iterations per path")
    mid, lo, hi = median_ci([g / b for g, b in zip(times["gialib"], times["bare step"], strict=True)])
    verdict = ("met" if hi <= TARGET_RATIO else "not met" if lo > TARGET_RATIO
               else "not decidable at this noise (the interval holds the target)")
    return [head, *summarise(times, "bare step"),
            f"  gialib / bare step per round: {mid:.3f} [{lo:.3f}, {hi:.3f}] (95 % bootstrap); "
            f"target <= {TARGET_RATIO}: {verdict}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["convnet", "resnet18"],
                    help="gialib model specs (build_model)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--block", type=int, default=None,
                    help=f"iterations per timed block (default per model: {SIZES})")
    ap.add_argument("--repeats", type=int, default=None, help="timed blocks per path and model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--glibc-default-malloc", action="store_true",
                    help="leave glibc's malloc as it is (the pipeline's jobs set "
                         "gialib.runtime.keep_freed_memory, and so does this benchmark by default)")
    args = ap.parse_args()
    kept = False if args.glibc_default_malloc else runtime.keep_freed_memory()
    torch.set_num_threads(args.threads)
    logging.getLogger("gialib.attacks.engine").setLevel(logging.INFO)
    logging.getLogger("gialib.attacks.engine").propagate = False  # stamps only, no printing
    print(f"torch {torch.__version__}, {args.threads} thread(s) of {os.cpu_count()} cores; other "
          f"processes may share the machine, so both paths run interleaved in this process "
          f"(load average at start: {os.getloadavg()[0]:.2f}); freed memory "
          f"{'kept in the process (runtime.keep_freed_memory)' if kept else 'as glibc default'}")
    for spec in args.models:
        block, repeats = SIZES.get(spec, FALLBACK_SIZE)
        for line in compare(spec, args.resolution, args.batch, args.block or block, args.repeats or repeats):
            print(line, flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
