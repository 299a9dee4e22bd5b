"""Benchmark: trials per hour of one GIA-O attack on one model, on a CUDA device.

A trial is what one attack job does: reconstruct one captured FedSGD update with
``gialib.attacks.engine.invert`` at the attack's configured iterations. The script
captures ``--trials`` different victims' updates (the astronaut, shifted and flipped),
runs one short warm-up (CUDA context, cuDNN autotuning: not counted), then the trials
one after another, synchronising the device around the clock, and prints seconds per
trial, ms per iteration and trials per hour. ``--vmap K`` also times the bare step for
K trials at once (``batched_trials.batched_attack``: one vmap call per iteration), the
upper bound of batching trials on the device.

Without CUDA it stops with a message; ``--device cpu`` runs it on the CPU (e.g. at tiny
scale, ``--trials 1 --iterations 5``, to check the script itself).

    python benchmarks/gpu_trials_per_hour.py [--attack G_TV] [--model resnet18] [--trials 8] [--vmap 16]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
import yaml
from common import CIFAR_MEAN, CIFAR_STD, capture, victims

from gialib.attacks.engine import invert
from gialib.attacks.params import SPACES
from gialib.attacks.problem import InversionProblem
from gialib.attacks.run import attack_labels
from gialib.attacks.spec import AttackSpec
from gialib.fl.local import set_bn_mode
from gialib.models import build_model

REPO = Path(__file__).resolve().parents[1]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def one_trial(model, update, spec: AttackSpec, device: torch.device, seed: int) -> float:
    """Seconds of one attack trial on ``device``, as the attack stage runs it."""
    labels = attack_labels(update, model, spec).to(device)
    shape = (update.num_examples, *update.meta["shape"])
    param = SPACES.get(spec.space)(shape, dict(spec.options), {}).to(device)
    problem = InversionProblem(model, update, spec.threat)
    synchronize(device)
    start = time.perf_counter()
    invert(problem, param, labels, spec, seed)
    synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--attack", default="G_TV", help="attack entry of --config (pixel space)")
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--model", default="resnet18", help="gialib model spec")
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--num-examples", type=int, default=1, help="images per update (N = B)")
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=None, help="default: the attack's own")
    ap.add_argument("--vmap", type=int, default=0, help="also time K trials at once (0: off)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads")
    args = ap.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"gpu_trials_per_hour: --device {args.device} but torch {torch.__version__} sees no "
                 f"CUDA device; run it on a GPU machine, or with --device cpu --trials 1 "
                 f"--iterations 5 to check the script at tiny scale")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    entry = yaml.safe_load(Path(args.config).read_text())["attacks"][args.attack]
    spec = AttackSpec.from_dict(entry)
    if spec.space != "pixel":
        sys.exit(f"gpu_trials_per_hour: attack {args.attack!r} searches the {spec.space} space; "
                 f"this script times pixel-space (GIA-O) attacks only")
    iterations = args.iterations or spec.iterations
    spec = replace(spec, iterations=iterations, log_every=iterations)
    model = build_model(args.model, 10, args.resolution, CIFAR_MEAN, CIFAR_STD, seed=0)
    xs, ys = victims(args.trials * args.num_examples, args.resolution)
    updates = []
    for t in range(args.trials):
        rows = slice(t * args.num_examples, (t + 1) * args.num_examples)
        update = capture(model, xs[rows, 0], ys[rows], seed=t)
        update.meta["shape"] = (3, args.resolution, args.resolution)
        update.tensors = {k: v.to(device) for k, v in update.tensors.items()}
        updates.append(update)
    model.to(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    print(f"{name}, torch {torch.__version__}: attack {args.attack} ({iterations} iterations), "
          f"model {args.model}, {args.resolution} px, N = {args.num_examples}, {args.trials} trials")
    one_trial(model, updates[0], replace(spec, iterations=5, log_every=5), device, seed=0)  # warm-up
    seconds = [one_trial(model, u, spec, device, seed=t) for t, u in enumerate(updates)]
    total = sum(seconds)
    print(f"engine, one trial after another: {total / len(seconds):.3f} s/trial, "
          f"{1000 * total / (len(seconds) * iterations):.2f} ms/iteration, "
          f"{3600 * len(seconds) / total:,.0f} trials/hour")
    if args.vmap:
        from batched_trials import batched_attack

        k = args.vmap
        kx, ky = victims(k, args.resolution)
        k_updates = [capture(model.cpu(), kx[i], ky[i:i + 1], seed=i) for i in range(k)]
        set_bn_mode(model, "eval")
        model.to(device)
        targets = [torch.stack([u.tensors[n] for u in k_updates]).to(device)
                   for n, _ in model.named_parameters()]
        x0 = torch.rand(kx.shape, generator=torch.Generator().manual_seed(0)).to(device)
        y = ky[:, None].to(device)
        batched_attack(model, x0, y, targets, 3)  # warm-up
        synchronize(device)
        start = time.perf_counter()
        batched_attack(model, x0, y, targets, iterations)
        synchronize(device)
        per_iteration = (time.perf_counter() - start) / iterations
        print(f"bare step, {k} trials at once (vmap, no prior): {1000 * per_iteration:.2f} ms per "
              f"iteration of all {k}, {3600 * k / (per_iteration * iterations):,.0f} trials/hour")


if __name__ == "__main__":
    main()
