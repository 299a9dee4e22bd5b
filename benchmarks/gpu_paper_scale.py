"""Benchmark: one paper-scale FL training round and a paper-scale attack on a GPU.

Runs the pipeline's own stages (``gialib.stages``: initialize, train, capture, attack)
with the settings of ``config/paper.yaml`` (ResNet-18 at 32 px, 100 clients of 500
images, 10 per round, batch 32; the attack ``G_TV``: cosine matching, TV prior, Adam) on
synthetic CIFAR-shaped data (real CIFAR need not be on the machine), and checks where the
work ran: the model and every batch on the requested device, every saved tensor on the
CPU. Prints seconds per training round, ms per attack iteration and peak memory.

    python benchmarks/gpu_paper_scale.py                      # CUDA, paper scale
    python benchmarks/gpu_paper_scale.py --device cpu --num-clients 4 --clients-per-round 2 \\
        --images-per-client 16 --test-images 100 --iterations 5   # a small check without a GPU

``--iterations`` limits the attack (the paper's 24,000 take minutes per trial on a GPU);
ms per iteration is what the cluster's attack runtime is planned from.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

from gialib import runtime, stages
from gialib.data.imageset import ImageSet, Split, save_imageset

REPO = Path(__file__).resolve().parents[1]


class Placement:
    """Wraps ``module.name`` and records the device types of the model and tensors it gets."""

    def __init__(self, module, name: str) -> None:
        self.seen: set[str] = set()
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            for a in [*args, *kwargs.values()]:
                if isinstance(a, torch.nn.Module):
                    self.seen |= {t.device.type for t in a.parameters()}
                elif isinstance(a, torch.Tensor):
                    self.seen.add(a.device.type)
                elif hasattr(a, "model") and isinstance(a.model, torch.nn.Module):  # the problem
                    self.seen |= {t.device.type for t in a.model.parameters()}
            return real(*args, **kwargs)

        setattr(module, name, wrapper)


def cpu_only(path: Path) -> bool:
    def tensors(o):
        if isinstance(o, torch.Tensor):
            yield o
        elif isinstance(o, dict):
            for v in o.values():
                yield from tensors(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                yield from tensors(v)

    return all(t.device.type == "cpu" for t in tensors(torch.load(path, weights_only=True)))


def synthetic_cifar(path: Path, clients: int, per_client: int, test: int, seed: int) -> None:
    """Random 32 px images of 10 classes: ``clients * per_client`` private, ``test`` test images."""
    g = torch.Generator().manual_seed(seed)
    n = clients * per_client + test
    split = torch.full((n,), int(Split.private), dtype=torch.uint8)
    split[clients * per_client:] = int(Split.test)
    save_imageset(ImageSet(torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                           torch.randint(0, 10, (n,), generator=g), split,
                           tuple(f"class{k}" for k in range(10)), "synthetic_cifar10"), path)


class Peak:
    """Peak memory of a block: CUDA allocator's on a GPU, the process's resident set on the CPU."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.mib = torch.cuda.max_memory_allocated() / 2**20
            self.what = "GPU peak allocated"
        else:  # ru_maxrss is KiB on Linux; a high-water mark of the whole process
            self.mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.what = "process peak RSS"
        self.seconds = time.perf_counter() - self.start


def main() -> int:
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    tr, attack = paper["training"], paper["attacks"]["G_TV"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--num-clients", type=int, default=tr["num_clients"])
    ap.add_argument("--clients-per-round", type=int, default=tr["clients_per_round"])
    ap.add_argument("--images-per-client", type=int, default=500)  # CIFAR-10's 50,000 / 100
    ap.add_argument("--test-images", type=int, default=10000)  # CIFAR-10's test set
    ap.add_argument("--batch-size", type=int, default=tr["batch_size"])
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--threads", type=int, default=paper["threads"])
    args = ap.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"gpu_paper_scale: --device {args.device} but no CUDA device is visible on this "
              "machine; run it on a GPU node, or pass --device cpu (with small --num-clients, "
              "--images-per-client and --iterations) to check the script itself.", file=sys.stderr)
        return 2
    dev = runtime.setup(args.threads, args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    print(f"device {dev} ({name}), torch {torch.__version__}, deterministic kernels "
          f"{torch.are_deterministic_algorithms_enabled()}")

    import gialib.attacks.run as attack_run
    import gialib.fl.server as server

    trained = Placement(server, "client_update")
    attacked = Placement(attack_run, "invert")
    training = {**tr, "rounds": 1, "num_clients": args.num_clients,
                "clients_per_round": args.clients_per_round, "batch_size": args.batch_size}
    spec = {**attack, "iterations": args.iterations, "log_every": max(1, args.iterations // 5)}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        synthetic_cifar(d / "data.pt", args.num_clients, args.images_per_client, args.test_images,
                        paper["seed"])
        common = {"data": str(d / "data.pt"), "model": args.model, "defense": "none",
                  "training": training, "seed": paper["seed"], "device": args.device,
                  "threads": args.threads}
        stages.train(outputs=[str(d / "round~0.pt")], initial=None, **common)
        with Peak(dev) as round_peak:
            stages.train(outputs=[str(d / "round~1.pt")], initial=str(d / "round~0.pt"), **common)
        stages.capture(update_out=str(d / "shared.pt"), truth_out=str(d / "truth.pt"),
                       checkpoint=str(d / "round~1.pt"), data=str(d / "data.pt"),
                       protocol="fedavg", num_examples=1, batch_size=1, local_updates=1, trials=1,
                       client={**paper["client"], "shuffle": True}, training=training,
                       seed=paper["seed"], device=args.device, threads=args.threads)
        with Peak(dev) as attack_peak:
            stages.attack(str(d / "attack.pt"), str(d / "shared.pt"), str(d / "round~1.pt"), spec,
                          1, paper["seed"], args.device, args.threads)
        record = torch.load(d / "attack.pt", weights_only=True)["trials"][0]
        saved_on_cpu = {f: cpu_only(d / f) for f in ("round~1.pt", "shared.pt", "attack.pt")}

    print(f"training round ({args.model}, {args.clients_per_round} of {args.num_clients} clients x "
          f"{args.images_per_client} images, batch {args.batch_size}): {round_peak.seconds:.2f} s, "
          f"{round_peak.what} {round_peak.mib:.0f} MiB")
    print(f"attack G_TV ({args.model}, 32 px, N=1, {args.iterations} iterations): "
          f"{1000 * record['seconds'] / args.iterations:.2f} ms/iteration, "
          f"{attack_peak.what} {attack_peak.mib:.0f} MiB; 24,000 iterations would take "
          f"{24000 * record['seconds'] / args.iterations / 60:.1f} min")
    checks = {"training ran on " + dev.type: trained.seen == {dev.type},
              "attack ran on " + dev.type: attacked.seen == {dev.type},
              **{f"{f} saved on the CPU": ok for f, ok in saved_on_cpu.items()}}
    for what, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
