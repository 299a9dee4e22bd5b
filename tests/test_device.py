"""Every stage that runs a model runs it on the configured device and saves CPU tensors.

Each stage is called as its rule calls it, with a ``device`` argument; a spy on the
library function that does the stage's work records where the model and its inputs
live, and every tensor of the saved output must be on the CPU (loaded without
``map_location``). On CPU here; the same tests run on CUDA where one is visible.
"""

from __future__ import annotations

import os

import pytest
import torch

from gialib import io, runtime, stages
from gialib.generators.config import GeneratorConfig

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device visible"))]
DATA_SPEC = {"source": "packaged", "classes": ["astronaut", "chelsea", "coffee", "rocket"],
             "private_per_class": 6, "public_per_class": 4, "test_per_class": 2}
TRAINING = {"rounds": 2, "num_clients": 3, "clients_per_round": 2, "epochs": 1, "batch_size": 4,
            "lr": 0.05, "partition": {"kind": "iid"}}
CLIENT = {"lr": 0.1, "shuffle": False, "bn_mode": "eval"}
MODEL = "vgg11+batch_norm=true+width=0.125"  # BatchNorm: buffers travel with the model too
GENERATOR = {"architecture": "dcgan+latent_dim=8+width=8", "objective": "glo", "iterations": 2,
             "batch_size": 4, "lr": 0.001, "log_every": 1}


def tensors_of(obj) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in tensors_of(v)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in tensors_of(v)]
    return []


def assert_saved_on_cpu(path) -> None:
    obj = torch.load(path, weights_only=True)  # no map_location: tensors come back where saved
    found = tensors_of(obj)
    assert found, f"{path} holds no tensors"
    assert {t.device.type for t in found} == {"cpu"}, path


def where(module: torch.nn.Module) -> set[str]:
    return {t.device.type for t in [*module.parameters(), *module.buffers()]}


class Spy:
    """Wrap ``module.name``; ``probe(*args, **kwargs)`` returns the devices seen in one call."""

    def __init__(self, monkeypatch, module, name: str, probe) -> None:
        self.seen: list[set[str]] = []
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            self.seen.append(set(probe(*args, **kwargs)))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    def devices(self) -> set[str]:
        assert self.seen, "the spied function was never called"
        return set().union(*self.seen)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The inputs every stage reads: a prepared data file (32 px) and a round-0 checkpoint."""
    d = tmp_path_factory.mktemp("device")
    stages.prepare_data(str(d / "data.pt"), "small", DATA_SPEC, 32, seed=0)
    return d


@pytest.fixture(autouse=True)
def _deterministic_after():
    yield
    runtime.setup(1)  # the session default, whatever a test switched


def initialize(files, tmp_path, device):
    out = tmp_path / "round~0.pt"
    stages.train(outputs=[str(out)], data=str(files / "data.pt"), initial=None, model=MODEL,
                 defense="none", training=TRAINING, seed=0, device=device)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_initialize_and_train(files, tmp_path, monkeypatch, device):
    import gialib.fl.server as server

    evaluated = Spy(monkeypatch, server, "evaluate", lambda model, *a, **k: where(model))
    r0 = initialize(files, tmp_path, device)
    assert evaluated.devices() == {device}
    assert_saved_on_cpu(r0)
    trained = Spy(monkeypatch, server, "client_update",
                  lambda model, x, y, **k: where(model) | {x.device.type, y.device.type})
    outputs = [str(tmp_path / f"round~{r}.pt") for r in (1, 2)]
    stages.train(outputs=outputs, data=str(files / "data.pt"), initial=str(r0), model=MODEL,
                 defense="topk+memory=true+ratio=0.1", training=TRAINING, seed=0, device=device)
    assert trained.devices() == {device}
    assert len(trained.seen) == 2 * TRAINING["clients_per_round"]
    for out in outputs:
        assert_saved_on_cpu(out)


@pytest.mark.parametrize("device", DEVICES)
def test_capture_igsa_attack_score(files, tmp_path, monkeypatch, device):
    import gialib.attacks.run as attack_run
    import gialib.fl.capture as capture
    import gialib.metrics.igsa as igsa_module
    from gialib.metrics.lpips_metric import LPIPS

    r0 = initialize(files, tmp_path, device)
    captured = Spy(monkeypatch, capture, "client_update",
                   lambda model, x, y, **k: where(model) | {x.device.type, y.device.type})
    shared, truth = tmp_path / "shared.pt", tmp_path / "truth.pt"
    stages.capture(update_out=str(shared), truth_out=str(truth), checkpoint=str(r0),
                   data=str(files / "data.pt"), protocol="fedsgd", num_examples=2, batch_size=2,
                   local_updates=1, trials=2, client=CLIENT, training=TRAINING, seed=0,
                   device=device)
    assert captured.devices() == {device} and len(captured.seen) == 2
    assert_saved_on_cpu(shared)
    assert_saved_on_cpu(truth)

    measured = Spy(monkeypatch, igsa_module, "igsa",
                   lambda model, x, y, *a, **k: where(model) | {x.device.type, y.device.type})
    stages.igsa(str(tmp_path / "igsa.json"), str(r0), str(files / "data.pt"),
                {"num_inputs": 1, "samples": 1, "probes": 2}, "eval", 0, device, 1)
    assert measured.devices() == {device}
    assert io.load_json(tmp_path / "igsa.json")["igsa"] > 0

    inverted = Spy(monkeypatch, attack_run, "invert", lambda problem, param, labels, *a, **k:
                   where(problem.model) | where(param) | {labels.device.type}
                   | {t.device.type for t in problem.target})
    attack = tmp_path / "attack.pt"  # both trials, one job
    stages.attack(str(attack), str(shared), str(r0),
                  {"priors": {"tv": 0.01}, "iterations": 2, "log_every": 1,
                   "threat": {"bn_statistics": True}}, 2, 0, device, 1)
    assert_saved_on_cpu(attack)
    assert inverted.devices() == {device}

    weights = tmp_path / "alexnet.pth"  # a backbone file of the right keys (values: random)
    import torchvision

    torch.save(torchvision.models.alexnet(weights=None).state_dict(), weights)
    scored = Spy(monkeypatch, LPIPS, "__call__",
                 lambda self, a, b: where(self.model) | {a.device.type, b.device.type})
    stages.score(output=str(tmp_path / "score.json"), attacks=[str(attack)],
                 truths=[str(truth)], device=device,
                 metrics={"lpips": "required", "lpips_net": "alex", "lpips_weights": str(weights)})
    assert scored.devices() == {device}
    rows = io.load_json(tmp_path / "score.json")["attacks"][str(attack)]["trials"]
    assert len(rows) == 2 and all(r["lpips"] >= 0 for r in rows)


@pytest.mark.parametrize("device", DEVICES)
def test_generator_and_latent_attack(files, tmp_path, monkeypatch, device):
    import gialib.attacks.run as attack_run
    import gialib.generators.train as gen_train

    sampled = Spy(monkeypatch, gen_train, "sample",
                  lambda gen, z, labels: where(gen) | {z.device.type, labels.device.type})
    out = tmp_path / "gen.pt"
    stages.train_generator(output=str(out), curve_csv=str(tmp_path / "c.csv"),
                           curve_png=str(tmp_path / "c.png"), samples_png=str(tmp_path / "s.png"),
                           data=str(files / "data.pt"), name="g", generators={"g": GENERATOR},
                           seed=0, threads=1, device=device)
    assert sampled.devices() == {device}
    assert_saved_on_cpu(out)

    r0 = initialize(files, tmp_path, device)
    shared = tmp_path / "shared.pt"
    stages.capture(update_out=str(shared), truth_out=str(tmp_path / "truth.pt"),
                   checkpoint=str(r0), data=str(files / "data.pt"), protocol="fedsgd",
                   num_examples=1, batch_size=1, local_updates=1, trials=1, client=CLIENT,
                   training=TRAINING, seed=0, device=device)
    inverted = Spy(monkeypatch, attack_run, "invert", lambda problem, param, labels, *a, **k:
                   where(problem.model) | where(param) | where(param.generator))
    spec = {"space": "latent", "iterations": 2, "log_every": 1,
            "options": {"generator": GeneratorConfig(name="g", **GENERATOR).to_dict()}}
    stages.attack(str(tmp_path / "latent.pt"), str(shared), str(r0), spec, 1, 0, device, 1,
                  generator=str(out))
    assert inverted.devices() == {device}
    assert_saved_on_cpu(tmp_path / "latent.pt")


def test_determinism_switch_is_on_by_default(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    runtime.setup(1, "cpu")
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    runtime.setup(1, "cpu", deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled()
    assert not torch.backends.cudnn.deterministic


def test_cuda_asked_for_without_one_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="device='cuda' but no CUDA device is visible"):
        runtime.setup(1, "cuda")


STAGE_CALLS = {
    "initialize": lambda f, t: stages.train(outputs=[str(t / "r0.pt")], data=str(f / "data.pt"),
                                            initial=None, model=MODEL, defense="none",
                                            training=TRAINING, seed=0, device="cuda"),
    "capture": lambda f, t: stages.capture(
        update_out=str(t / "s.pt"), truth_out=str(t / "t.pt"), checkpoint=str(t / "r0.pt"),
        data=str(f / "data.pt"), protocol="fedsgd", num_examples=1, batch_size=1,
        local_updates=1, trials=1, client=CLIENT, training=TRAINING, seed=0, device="cuda"),
    "train_generator": lambda f, t: stages.train_generator(
        output=str(t / "g.pt"), curve_csv=str(t / "c.csv"), curve_png=str(t / "c.png"),
        samples_png=str(t / "s.png"), data=str(f / "data.pt"), name="g",
        generators={"g": GENERATOR}, seed=0, threads=1, device="cuda"),
    "igsa": lambda f, t: stages.igsa(str(t / "i.json"), str(t / "r0.pt"), str(f / "data.pt"), {},
                                     "eval", 0, "cuda", 1),
    "attack": lambda f, t: stages.attack(str(t / "a.pt"), str(t / "s.pt"), str(t / "r0.pt"), {}, 1,
                                         0, "cuda", 1),
    "score": lambda f, t: stages.score(output=str(t / "x.json"), attacks=[str(t / "a.pt")],
                                       truths=[str(t / "t.pt")], device="cuda",
                                       metrics={"lpips": "off", "lpips_net": "alex"}),
}


@pytest.mark.parametrize("stage", sorted(STAGE_CALLS))
def test_every_stage_honours_its_device_argument(files, tmp_path, monkeypatch, stage):
    """Asked for CUDA on a machine without one, each stage stops before any work, naming it: the
    device argument reaches the stage's runtime set-up (inputs need not even exist)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="device='cuda' but no CUDA device is visible"):
        STAGE_CALLS[stage](files, tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is visible")
def test_gpu_benchmark_without_cuda_says_so():
    import subprocess
    import sys

    from .conftest import REPO

    proc = subprocess.run([sys.executable, "benchmarks/gpu_paper_scale.py"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no CUDA device is visible" in proc.stderr and "--device cpu" in proc.stderr
