"""Benchmark: K trials of one GIA-O attack at once (torch.func.vmap) against a loop of K.

A trial is one victim update and its own reconstruction; K trials on one model are K
independent problems. Looped, each runs the bare step (``common.bare_attack``) in turn.
Batched, the K images form one [K, ...] tensor and one call computes every trial's
parameter gradient, cosine loss and image gradient: ``vmap(grad(trial_loss))`` over the
images, labels and targets, then one Adam step on the stack (Adam is elementwise, so this
is K independent Adams). Stacking the K images into one plain batch would not do: a batch's
gradient is the mean over its images, not each trial's own, so vmap is the batched form.

Both paths run interleaved in one process (machine load hits both alike), timed in the
process's CPU time (waiting for a core does not count); the script prints ms per K-trial
iteration of each and their ratio, and the relative difference
between the two paths' image gradients per trial (from one start).

    python benchmarks/batched_trials.py [--models convnet] [--trials 4] [--block 20] [--repeats 6]
"""

from __future__ import annotations

import argparse
import os

import torch
import torch.nn.functional as F
from common import (
    CIFAR_MEAN,
    CIFAR_STD,
    bare_attack,
    capture,
    clock,
    cosine,
    side_by_side,
    summarise,
    victims,
)
from torch.func import functional_call, grad, vmap

from gialib.fl.local import set_bn_mode
from gialib.models import build_model


def image_gradients(model) -> callable:
    """``f(xs, ys, targets)``: every trial's gradient of its cosine loss to its own image."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def trial_loss(x, y, target):
        def task(p):
            return F.cross_entropy(functional_call(model, (p, buffers), (x,)), y)

        g = grad(task)(params)
        norm = torch.sqrt(sum((t * t).sum() for t in target))
        return cosine([g[n] for n in params], target, norm)

    return vmap(grad(trial_loss))


def batched_attack(model, x0: torch.Tensor, ys: torch.Tensor, targets: list[torch.Tensor],
                   iterations: int, lr: float = 0.1) -> float:
    """CPU seconds per iteration of K trials at once (x0: [K, 1, C, H, W], ys: [K, 1])."""
    image_grad = image_gradients(model)
    xs = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([xs], lr=lr)
    start = clock()
    for _ in range(iterations):
        xs.grad = image_grad(xs, ys, tuple(targets))
        opt.step()
    return (clock() - start) / iterations


def looped_attack(model, x0: torch.Tensor, ys: torch.Tensor, targets: list[torch.Tensor],
                  iterations: int) -> float:
    """CPU seconds per iteration of K trials one after another (K bare steps per iteration)."""
    return sum(bare_attack(model, x0[i], ys[i:i + 1], [t[i] for t in targets], iterations)
               for i in range(len(x0)))


def looped_gradients(model, x0, ys, targets) -> torch.Tensor:
    """Each trial's image gradient by the looped path (autograd, create_graph), stacked."""
    out = []
    params = list(model.parameters())
    for i in range(len(x0)):
        x = x0[i].clone().requires_grad_(True)
        target = [t[i] for t in targets]
        norm = torch.sqrt(sum((t * t).sum() for t in target))
        g = torch.autograd.grad(F.cross_entropy(model(x), ys[i:i + 1]), params, create_graph=True)
        out.append(torch.autograd.grad(cosine(g, target, norm), [x])[0])
    return torch.stack(out)


def compare(model_spec: str, k: int, resolution: int, block: int, repeats: int) -> list[str]:
    model = build_model(model_spec, 10, resolution, CIFAR_MEAN, CIFAR_STD, seed=0)
    xs_true, ys = victims(k, resolution)
    updates = [capture(model, xs_true[i], ys[i:i + 1], seed=i) for i in range(k)]
    set_bn_mode(model, "eval")  # as the engine does for a bn_mode=eval update
    names = [n for n, _ in model.named_parameters()]
    targets = [torch.stack([u.tensors[n] for u in updates]) for n in names]
    x0 = torch.rand(xs_true.shape, generator=torch.Generator().manual_seed(0))
    # Adam turns float noise in near-zero gradients into whole steps, so compare the
    # gradients that feed it (relative error per trial), not images after many steps.
    batched = image_gradients(model)(x0, ys[:, None], tuple(targets))
    looped = looped_gradients(model, x0, ys, targets)
    error = (batched - looped).flatten(1).norm(dim=1) / looped.flatten(1).norm(dim=1)
    paths = {f"loop of {k}": lambda: looped_attack(model, x0, ys, targets, block),
             f"vmap of {k}": lambda: batched_attack(model, x0, ys[:, None], targets, block)}
    side_by_side(paths, 1)  # warm-up, not counted
    times = side_by_side(paths, repeats)
    head = (f"{model_spec}, {k} trials of batch 1, {resolution} px: {repeats} interleaved blocks "
            f"of {block} iterations per path (ms per iteration of all {k} trials)")
    equal = (f"  image gradient, batched vs looped, relative error per trial: "
             f"{', '.join(f'{e:.1e}' for e in error.tolist())}")
    return [head, *summarise(times, f"loop of {k}"), equal]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["convnet", "convnet+bn=true"])
    ap.add_argument("--trials", type=int, nargs="+", default=[4], help="K, trials at once")
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--block", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s) of {os.cpu_count()} cores; other "
          f"processes may share the machine, so both paths run interleaved in this process "
          f"(load average at start: {os.getloadavg()[0]:.2f})")
    for spec in args.models:
        for k in args.trials:
            for line in compare(spec, k, args.resolution, args.block, args.repeats):
                print(line, flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
