"""Benchmark: time per GIA-O iteration against a bare optimisation step, side by side.

The bare step is the least any optimisation-based GIA must do per iteration:
forward, gradient with create_graph, cosine matching loss, backward to the
input, optimiser step. The engine adds its schedule, box projection, threat-model
simulation (functional_call) and progress bookkeeping. Both run on the same
model, input and target in one process, interleaved, and the script prints the
median time per iteration of each and their ratio (target: <= 1.15).

    python benchmarks/attack_iteration.py [--model convnet] [--batch 1] [--iterations 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from gialib.attacks.engine import invert
from gialib.attacks.params import PixelParam
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec
from gialib.fl.client import client_update
from gialib.models import build_model


def bare(model, x0, y, target, iterations: int) -> float:
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.1)
    params = [p for p in model.parameters()]
    tnorm = torch.sqrt(sum((t * t).sum() for t in target))
    start = time.perf_counter()
    for _ in range(iterations):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * t).sum() for g, t in zip(grads, target, strict=True))
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        (1 - dot / (norm * tnorm + 1e-12)).backward()
        opt.step()
    return (time.perf_counter() - start) / iterations


def engine(model, update, y, shape, iterations: int) -> float:
    spec = AttackSpec(iterations=iterations, log_every=iterations, schedule="multistep")
    problem = InversionProblem(model, update, spec.threat)
    param = PixelParam(shape, {}, {})
    start = time.perf_counter()
    invert(problem, param, y, spec, seed=0)
    # invert() evaluates the final loss once more to rank restarts: count it as work done
    return (time.perf_counter() - start) / iterations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="convnet")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    model = build_model(args.model, 10, args.resolution, [0.5] * 3, [0.25] * 3, seed=0).train()
    shape = (args.batch, 3, args.resolution, args.resolution)
    x_true = torch.rand(shape, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)
    update, _ = client_update(model, x_true, y, protocol="fedsgd", batch_size=args.batch,
                              local_updates=1, lr=0.1, seed=0)
    target = [update.tensors[n] for n, _ in model.named_parameters()]
    x0 = torch.rand(shape, generator=g)
    bare(model, x0, y, target, 10)  # warm-up both paths
    engine(model, update, y, shape, 10)
    t_bare, t_engine = [], []
    for _ in range(args.repeats):
        t_bare.append(bare(model, x0, y, target, args.iterations))
        t_engine.append(engine(model, update, y, shape, args.iterations))
    mb, me = statistics.median(t_bare), statistics.median(t_engine)
    print(f"model {args.model}, batch {args.batch}, {args.resolution}px, {args.threads} thread(s), "
          f"{args.iterations} iterations x {args.repeats} repeats (median)")
    print(f"bare step : {1000 * mb:8.3f} ms/iteration")
    print(f"gialib    : {1000 * me:8.3f} ms/iteration")
    print(f"ratio     : {me / mb:8.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
