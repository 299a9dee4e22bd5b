"""Benchmark: gialib's default GIA-O against breaching 0.1.2, same problem, equal wall time.

On breaching's own models (its ConvNet-BN of width 64 and its CIFAR ResNet-18, untrained,
BatchNorm on running statistics), the same victim (scikit-image's astronaut at 32x32),
label (given) and FedSGD gradient, per seed: breaching's stock ``invertinggradients``
attack runs ``--iterations`` iterations; gialib's ``G_TV`` entry of config/config.yaml
(through ``gialib.attacks.engine.invert``) then gets the time breaching took: its
iteration count is that time over its own time per iteration, measured on a short
calibration run just before. Time is the process's CPU time (one thread: the wall time of
an otherwise idle machine), since on a machine shared with other work wall time also
counts the waits for a core, which differ from run to run. Printed per run: iterations,
CPU and wall seconds, CPU ms/iteration and PSNR of each.

How the two meet: breaching lives in its own virtual environment, build/breaching-venv,
which this script creates on first use (``pip install breaching==0.1.2`` from PyPI) and
which sees the interpreter's own packages (torch, torchvision, scipy, lpips, scikit-image)
through a .pth file, so both sides run the very same torch in one process and nothing of
breaching enters the project's environment; the script then re-runs itself there with
the repository on PYTHONPATH. One process, one torch, one thread setting: the runs
alternate, breaching then gialib, seed by seed, so machine load hits both alike.

``--variant`` adds gialib runs with changed settings at the same wall time, e.g.
``--variant signed=true --variant priors.tv=0.2 --variant init=normal``
(``init=normal``: pixels start at the normalisation mean plus its std times N(0, 1), as
breaching's ``randn`` in normalised space; the default starts from U(0, 1)).

    python benchmarks/breaching_side_by_side.py [--models ConvNet ResNet18] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import subprocess
import sys
import sysconfig
import time
import warnings
from dataclasses import replace
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / "build" / "breaching-venv"
BREACHING = "breaching==0.1.2"
DEFAULT_ITERATIONS = {"ConvNet": 500, "ResNet18": 200}  # breaching's side, per model (issue 15)
CALIBRATION = 10  # gialib iterations timed to size its equal-wall-time run


def ensure_venv() -> Path:
    """build/breaching-venv with breaching installed; it sees this interpreter's packages."""
    python = VENV / "bin" / "python"
    if not (VENV / ".installed").exists():
        print(f"creating {VENV} and installing {BREACHING} from PyPI", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
        # torch & co. from this interpreter: one torch for both sides, no second 1 GB download
        Path(site, "_project_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", BREACHING], check=True)
        (VENV / ".installed").write_text(BREACHING + "\n")
    return python


def reexec_in_venv() -> None:
    python = ensure_venv()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), str(REPO / "benchmarks"),
                                                      env.get("PYTHONPATH", "")]))
    env["GIALIB_IN_BREACHING_VENV"] = "1"
    os.execve(str(python), [str(python), __file__, *sys.argv[1:]], env)


# --- below: runs inside build/breaching-venv -------------------------------------------------


def breaching_model(name: str, seed: int):
    import breaching
    from omegaconf import OmegaConf

    data = OmegaConf.create({"name": "CIFAR10", "modality": "vision", "task": "classification",
                             "shape": [3, 32, 32], "classes": 10})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, loss_fn = breaching.cases.construct_model(name, data, pretrained=False)
    return model.eval(), loss_fn


def run_breaching(model, loss_fn, gradient, y, iterations: int, seed: int):
    """breaching's stock invertinggradients, labels given; returns (images in [0, 1], wall
    seconds, CPU seconds)."""
    import breaching
    from common import CIFAR_MEAN, CIFAR_STD
    from omegaconf import OmegaConf

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hydra's version_base notice, a print
        cfg = breaching.get_attack_config("invertinggradients")
    cfg.optim.max_iterations = iterations
    cfg.optim.callback = iterations
    attacker = breaching.attacks.prepare_attack(model, loss_fn, cfg, {"dtype": torch.float,
                                                                       "device": torch.device("cpu")})
    meta = OmegaConf.create({"shape": [3, 32, 32], "mean": CIFAR_MEAN, "std": CIFAR_STD,
                             "modality": "vision", "classes": 10})
    payload = [{"parameters": [p.detach() for p in model.parameters()],
                "buffers": [b.detach() for b in model.buffers()], "metadata": meta}]
    shared = [{"gradients": gradient, "buffers": None,
               "metadata": {"num_data_points": len(y), "labels": y, "local_hyperparams": None}}]
    torch.manual_seed(seed)  # breaching draws its randn start from the global RNG
    wall, cpu = time.perf_counter(), time.process_time()
    out, _ = attacker.reconstruct(payload, shared, {}, dryrun=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    images = out["data"] * attacker.ds + attacker.dm
    return images.clamp(0, 1), wall, cpu


def gialib_param(shape, init: str):
    from common import CIFAR_MEAN, CIFAR_STD

    from gialib.attacks.params import PixelParam

    class NormalInit(PixelParam):
        """breaching's start: N(0, 1) in normalised space, i.e. mean + std * N(0, 1), boxed."""

        def reset(self, g: torch.Generator) -> None:
            mean = torch.tensor(CIFAR_MEAN).view(1, -1, 1, 1)
            std = torch.tensor(CIFAR_STD).view(1, -1, 1, 1)
            with torch.no_grad():
                self.x.copy_((mean + std * torch.randn(self.x.shape, generator=g)).clamp(0, 1))

    inits = {"uniform": PixelParam, "normal": NormalInit}
    if init not in inits:
        raise SystemExit(f"--variant init={init!r}: known inits {', '.join(inits)}")
    return inits[init](shape, {}, {})


def gialib_spec(entry: dict, changes: dict):
    """The config entry with dotted-key changes (``priors.tv=0.2``), minus ``init``."""
    from common import with_settings

    from gialib.attacks.spec import AttackSpec

    entry = with_settings(entry, {k: v for k, v in changes.items() if k != "init"})
    entry.setdefault("threat", {})["labels"] = "given"
    return AttackSpec.from_dict(entry)


def run_gialib(problem, shape, y, spec, init: str, cpu_seconds: float, seed: int):
    """gialib's engine for ``cpu_seconds`` of CPU time, set-up and final evaluation
    included; returns (images, wall seconds, CPU seconds, iterations)."""
    from gialib.attacks.engine import invert

    short = replace(spec, iterations=CALIBRATION, log_every=CALIBRATION)
    cpu = time.process_time()
    invert(problem, gialib_param(shape, init), y, short, seed)
    per_iteration = (time.process_time() - cpu) / CALIBRATION
    iterations = max(1, math.floor(cpu_seconds / per_iteration))
    full = replace(spec, iterations=iterations, log_every=iterations)
    wall, cpu = time.perf_counter(), time.process_time()
    result = invert(problem, gialib_param(shape, init), y, full, seed)
    return result.images, time.perf_counter() - wall, time.process_time() - cpu, iterations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(DEFAULT_ITERATIONS), choices=list(DEFAULT_ITERATIONS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--iterations", type=int, default=None,
                    help="breaching's iterations (default: 500 ConvNet, 200 ResNet18)")
    ap.add_argument("--attack", default="G_TV", help="gialib attack entry of --config")
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--variant", action="append", default=[], help="extra gialib settings, KEY=VALUE,...")
    ap.add_argument("--label", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--glibc-default-malloc", action="store_true",
                    help="leave glibc's malloc as it is (by default the process keeps freed memory, "
                         "gialib.runtime.keep_freed_memory, as the pipeline's jobs do: both sides gain)")
    args = ap.parse_args()
    if not os.environ.get("GIALIB_IN_BREACHING_VENV"):
        reexec_in_venv()
    from gialib import runtime

    kept = False if args.glibc_default_malloc else runtime.keep_freed_memory()

    import logging

    from common import CIFAR_MEAN, CIFAR_STD, astronaut, capture, parse_settings

    from gialib.attacks.problem import InversionProblem
    from gialib.attacks.spec import ThreatSpec
    from gialib.metrics.image import psnr
    from gialib.models.registry import Classifier

    logging.getLogger("gialib").setLevel(logging.WARNING)
    logging.getLogger("breaching").setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)
    entry = yaml.safe_load(Path(args.config).read_text())["attacks"][args.attack]
    variants = {args.attack: {}} | {f"{args.attack} {v}": parse_settings(v) for v in args.variant}
    specs = {name: (gialib_spec(entry, ch), ch.get("init", "uniform")) for name, ch in variants.items()}
    x_true = astronaut(32)
    y = torch.tensor([args.label])
    print(f"torch {torch.__version__}, {args.threads} thread(s) of {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} (other processes share this machine: the runs alternate in one "
          f"process); victim: astronaut 32x32, label {args.label} given, FedSGD, BN on running stats; "
          f"freed memory {'kept in the process' if kept else 'as glibc default'}")
    print(f"gialib {args.attack}: {entry}")
    print("| model | seed | who | iterations | CPU s | wall s | CPU ms/iteration | PSNR (dB) | "
          "minus breaching |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.models:
        iterations = args.iterations or DEFAULT_ITERATIONS[name]
        for seed in args.seeds:
            model, loss_fn = breaching_model(name, seed)
            clf = Classifier(model, CIFAR_MEAN, CIFAR_STD)  # gialib's view: [0, 1] pixels in
            update = capture(clf, x_true, y, seed=seed)
            gradient = [update.tensors[f"net.{n}"] for n, _ in model.named_parameters()]
            images, wall, cpu = run_breaching(model, loss_fn, gradient, y, iterations, seed)
            ref = float(psnr(images, x_true)[0])
            print(f"| {name} | {seed} | breaching | {iterations} | {cpu:.1f} | {wall:.1f} | "
                  f"{1000 * cpu / iterations:.1f} | {ref:.2f} | |", flush=True)
            problem = InversionProblem(clf, update, ThreatSpec(labels="given"))
            for who, (spec, init) in specs.items():
                img, g_wall, g_cpu, its = run_gialib(problem, tuple(x_true.shape), y, spec, init,
                                                     cpu, seed)
                value = float(psnr(img, x_true)[0])
                print(f"| {name} | {seed} | gialib {who} | {its} | {g_cpu:.1f} | {g_wall:.1f} | "
                      f"{1000 * g_cpu / its:.1f} | {value:.2f} | {value - ref:+.2f} |", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
