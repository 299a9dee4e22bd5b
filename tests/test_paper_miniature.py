"""The paper config in miniature: ``config/paper.yaml`` with its scale knobs turned down, on
CIFAR-10/100 stand-ins in torchvision's on-disk layout, on the CPU, runs one job of every rule
and attacks one model of every family of the paper config, to the end.

What the config overrides, and nothing else: the device (``cpu``: no GPU here), the scale
(attack iterations and restarts, FL rounds and clients, generator iterations, IGSA samples,
trials, the sweeps of tab1, tab2 and fig10), the data root and the LPIPS backbone file (both
written by the test). BigGAN-deep, the paper's GIA-L generator, runs as its own architecture
(``pytorch_pretrained_biggan``) at a miniature size with random weights the test writes: the
released ImageNet weights are not reachable offline, and a miniature checks that the family
runs, not what it scores. The ImageNet-only targets (fig4, fig7, fig8: ImageNet folders) are
left out, and with them the 8-class detail task's BigGAN entry. To keep it short, the run asks
Snakemake for a few files of the config's own cells (``requested``), not for every target.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from gialib.io import load_trial
from tests.conftest import REPO, snakemake

# The rules of the workflow that run a script, and the target rule the run builds whole.
STAGE_RULES = {"prepare_data", "initialize", "train", "igsa", "capture", "defend",
               "train_generator", "attack", "score", "aggregate", "figure", "provenance"}
TARGET = "tab1"
# One model per family: the paper target whose sweep holds it, and the attack run on it.
FAMILIES = {"resnet18": ("ResNet", "tab1", "G_TV"), "vgg11": ("VGG", "fig10", "G_TV"),
            "densenet43": ("DenseNet", "fig14", "G_TV"),
            "googlenet+dropout=0.0": ("GoogLeNet", "tab3", "G_TV@nin1"),
            "inception_v3+dropout=0.0": ("Inception-v3", "tab3", "G_TV@nin1"),
            "convnet+dropout=0.25+width=64": ("ConvNet", "tab4", "G_TV")}
IMAGENET_ONLY = ("fig4", "fig7", "fig8")
# The BigGAN-deep attack of the paper config, run on tab1's CIFAR-100 cell (its ImageNet targets
# are left out); the detail task's variant only maps that task's ImageNet classes.
BIGGAN_ATTACK, BIGGAN_IMAGENET_ONLY = "G_gen-BigGAN", "G_gen-BigGAN-details"
# BigGAN-deep's release config at a miniature size: 4 -> 32 px in three up-sampling blocks, the
# channels halved block by block down to one channel width (the release files' pattern; the RGB
# image is the first 3 of that width's channels),
# ImageNet's 1,000 classes (a CIFAR-100 label indexes them), no attention layer.
BIGGAN_MINI = {"output_dim": 32, "z_dim": 8, "class_embed_dim": 8, "channel_width": 4,
               "num_classes": 1000, "layers": [[True, 16, 8], [True, 8, 4], [True, 4, 2], [False, 2, 1]],
               "attention_layer_position": 99, "eps": 1e-4, "n_stats": 51}

# Test-only: the stand-in CIFAR files cannot have the real archives' MD5 sums, which
# torchvision checks on every load; this start-up hook (on PYTHONPATH for the workflow and
# its jobs) replaces that check by a file-exists check once torchvision's cifar module loads.
SITECUSTOMIZE = '''
import os
import sys


class _CifarChecksumsOff:
    def find_spec(self, name, path=None, target=None):
        if name != "torchvision.datasets.cifar":
            return None
        for finder in sys.meta_path:
            spec = None if finder is self else finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.check_integrity = lambda fpath, md5=None: os.path.isfile(fpath)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _CifarChecksumsOff())
'''


def write_cifar(root: Path, per_class_train: dict[str, int], per_class_test: dict[str, int]) -> None:
    """CIFAR-10 and CIFAR-100 "python version" folders with a few random images per class."""
    rng = np.random.default_rng(0)

    def batch(classes: int, per_class: int, label_key: str) -> dict:
        labels = np.repeat(np.arange(classes), per_class)
        rng.shuffle(labels)
        return {"data": rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8),
                label_key: labels.tolist()}

    def dump(obj, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump(obj, fh)

    c10 = root / "cifar-10-batches-py"
    for k in range(1, 6):  # torchvision reads all five training batches
        dump(batch(10, per_class_train["cifar10"], "labels"), c10 / f"data_batch_{k}")
    dump(batch(10, per_class_test["cifar10"], "labels"), c10 / "test_batch")
    dump({"label_names": [f"class{k}" for k in range(10)]}, c10 / "batches.meta")
    c100 = root / "cifar-100-python"
    dump(batch(100, per_class_train["cifar100"], "fine_labels"), c100 / "train")
    dump(batch(100, per_class_test["cifar100"], "fine_labels"), c100 / "test")
    dump({"fine_label_names": [f"class{k}" for k in range(100)]}, c100 / "meta")


def write_biggan(folder: Path) -> tuple[Path, Path]:
    """BigGAN-deep's config JSON (``BIGGAN_MINI``) and a state dict of random weights for it."""
    from pytorch_pretrained_biggan import BigGAN, BigGANConfig

    folder.mkdir(parents=True, exist_ok=True)
    config, weights = folder / "biggan-deep-mini-config.json", folder / "biggan-deep-mini.pt"
    config.write_text(json.dumps(BIGGAN_MINI))
    torch.manual_seed(0)
    net = BigGAN(BigGANConfig.from_json_file(config))
    # The package leaves its last BatchNorm's affine parameters uninitialised (torch.Tensor(n):
    # whatever memory held, NaN included); the released weights set them, so do we.
    with torch.no_grad():
        net.generator.bn.weight.fill_(1.0)
        net.generator.bn.bias.zero_()
    torch.save(net.state_dict(), weights)
    return config, weights


def miniature(paper: dict, data_root: Path, lpips_weights: Path, biggan: tuple[Path, Path]) -> dict:
    """``paper`` with its scale knobs turned down (see the module docstring)."""
    cfg = yaml.safe_load(yaml.safe_dump(paper))  # a deep copy
    cfg["device"], cfg["threads"] = "cpu", 1
    cfg["metrics"]["lpips_weights"] = str(lpips_weights)
    cfg["datasets"] = {name: {**cfg["datasets"][name], "root": str(data_root), "num_public": 10}
                       for name in ("cifar10", "cifar100")}
    cfg["training"].update(rounds=1, num_clients=2, clients_per_round=1, batch_size=8)
    del cfg["attacks"][BIGGAN_IMAGENET_ONLY]
    pretrained = cfg["generators"]["biggan"]["pretrained"]
    pretrained["kwargs"]["config"], pretrained["weights"] = (str(p) for p in biggan)
    # CIFAR-100's classes to ImageNet indices (the paper maps its tasks' classes the same way)
    cfg["attacks"][BIGGAN_ATTACK]["options"]["class_map"] = list(range(100))
    for attack in cfg["attacks"].values():
        attack.update(iterations=2, restarts=1, log_every=1)
    cfg["generators"]["dcgan"].update(iterations=2, batch_size=8, log_every=1)
    cfg["igsa"].update(num_inputs=1, samples=1, probes=1)
    exps = cfg["experiments"]
    for target in IMAGENET_ONLY:
        del exps[target]
    for exp in exps.values():
        exp["trials"] = 1
    exps["tab1"].update(dataset="cifar100", local_updates=[1])  # G_TV and G_gen (generator)
    exps["tab2"].update(dataset="cifar10", num_batches=[2])
    exps["fig10"].update(round=[0, 1])  # training and IGSA at round 1
    exps["fig15"].update(dataset="cifar10")
    return cfg


def requested(cfg: dict) -> list[str]:
    """What the run builds: target ``TARGET`` whole (aggregate, figure, provenance, the
    generator, its score job), the IGSA and attack of fig10's first model at round 1 (training),
    the attack of fig15's first defended cell (defend) and an attack of one model of every
    family (a score job reads every attack of its target: tab1's stands for them); each
    is a file of a cell of the config's own sweeps (``gialib.experiments``)."""
    from gialib import paths
    from gialib.experiments import get_experiment

    cells = {t: get_experiment(t, cfg).cells() for t in cfg["experiments"]}
    trained = next(c for c in cells["fig10"] if c.round == 1)
    defended = next(c for c in cells["fig15"] if c.defense != paths.UNDEFENDED)
    files = [TARGET, trained.path(paths.IGSA),
             get_experiment("fig10", cfg).attack_path(trained),
             get_experiment("fig15", cfg).attack_path(defended)]
    for model, (_, target, attack) in FAMILIES.items():
        cell = next(c for c in cells[target] if c.model == model and c.attack == attack)
        files.append(get_experiment(target, cfg).attack_path(cell))
    tab1 = next(c for c in cells["tab1"] if c.attack == "G_TV")
    files.append(get_experiment("tab1", cfg).attack_path(replace(tab1, attack=BIGGAN_ATTACK)))
    return files


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("paper_miniature")
    write_cifar(d / "data", {"cifar10": 6, "cifar100": 1}, {"cifar10": 2, "cifar100": 1})
    import torchvision

    weights = d / "alexnet.pth"  # the backbone's keys and shapes; values random (not a score)
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), weights)
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    config = d / "paper_miniature.yaml"
    cfg = miniature(paper, d / "data", weights, write_biggan(d / "generators"))
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    site = d / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}
    start = time.perf_counter()
    proc = snakemake(*requested(cfg), "--configfile", str(config), "--directory", str(d / "work"),
                     "--cores", "2", env=env)
    seconds = time.perf_counter() - start
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout + proc.stderr, flags=re.M))
    print(f"paper miniature: {stats.get('total')} jobs in {seconds:.0f} s: {stats}")
    return d / "work" / "results", {k: int(v) for k, v in stats.items()}, config


@pytest.mark.slow
def test_every_rule_runs_to_the_end(run):
    results, stats, _ = run
    ran = set(stats) - {"total"}
    assert STAGE_RULES | {TARGET} <= ran, f"rules that never ran: {sorted(STAGE_RULES - ran)}"
    table = pd.read_csv(results / "tables" / f"{TARGET}.csv")
    assert len(table) == 2 and set(table["attack"]) == {"G_TV", "G_gen"}
    assert table["psnr"].notna().all() and table["lpips"].notna().all()  # LPIPS stays required
    for f in (f"figures/{TARGET}.png", f"figures/{TARGET}_grid.png", f"tables/{TARGET}.md"):
        assert (results / f).stat().st_size > 0, f
    assert list((results / "generator").rglob("dcgan.pt"))
    assert list((results / "defend").rglob("shared.pt"))
    igsa = json.loads(next((results / "igsa").rglob("round~1.json")).read_text())
    assert igsa["model"] == "vgg11" and igsa["igsa"] > 0


@pytest.mark.slow
def test_every_model_family_is_attacked(run):
    results, _, _ = run
    attacked = {p.parts[-9] for p in (results / "attack").rglob("trials~1.pt")}
    assert set(FAMILIES) <= attacked, f"families never attacked: {set(FAMILIES) - attacked}"
    biggan = [p for p in (results / "attack").rglob("trials~1.pt") if p.parts[-2] == BIGGAN_ATTACK]
    assert len(biggan) == 1, "the BigGAN-deep attack never ran"
    assert torch.isfinite(load_trial(biggan[0], 0, required=("images",))["images"]).all()
    trained = [p.parts[-3] for p in (results / "train").rglob("round~1.pt")]
    assert trained == ["vgg11"]
    assert not list((results / "train").rglob(".rounds.partial"))  # resume folders removed


@pytest.mark.slow
def test_only_scale_knobs_differ_from_the_paper(run):
    """The miniature keeps the paper's method: objective, priors, learning rates, threat
    blocks, models, protocol and LPIPS policy are the paper config's."""
    _, _, config = run
    mini = yaml.safe_load(config.read_text())
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    scale = {"iterations", "restarts", "log_every"}
    for name, attack in mini["attacks"].items():
        if name == BIGGAN_ATTACK:  # the one addition: CIFAR-100's classes mapped to ImageNet's
            attack["options"].pop("class_map")
        assert {k: v for k, v in attack.items() if k not in scale} == {
            k: v for k, v in paper["attacks"][name].items() if k not in scale}, name
    assert mini["metrics"]["lpips"] == paper["metrics"]["lpips"] == "required"
    assert mini["client"] == paper["client"] and mini["seed"] == paper["seed"]
    for target, exp in mini["experiments"].items():
        for key in ("protocol", "resolution", "num_examples"):
            assert exp.get(key) == paper["experiments"][target].get(key), (target, key)
