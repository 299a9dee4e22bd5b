"""Issue 16's table of bad inputs: each gets a clear error naming the key or file, before any job.

Config errors show in a dry run (``snakemake -n``); what the machine must provide (data,
an LPIPS backbone that loads, CUDA) in a real run's ``onstart``, before the first job:
those tests assert that no job ran (no ``results/``).
"""

import json
import math

import pytest
import torch
import yaml

from gialib import io
from gialib.config_check import ConfigError, check_data, check_unique_paths
from gialib.experiments.base import Cell
from tests.conftest import MINI, snakemake

BASE = yaml.safe_load(MINI.read_text())


def _config(tmp_path, edit=None, text=None) -> str:
    cfg = json.loads(json.dumps(BASE))
    if edit:
        edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(cfg, sort_keys=False))
    return str(path)


def _fails(tmp_path, config, *args, match, also=()):
    proc = snakemake("tab1", "--configfile", config, *args, cwd=tmp_path, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text[-3000:]
    for part in (match, *also):
        assert part in text, text[-3000:]
    assert not (tmp_path / "results").exists(), "a job ran before the error"
    return text


def _rename_attack(name):
    def edit(cfg):
        cfg["attacks"] = {name: cfg["attacks"]["G_TV"]}
        cfg["experiments"]["tab1"]["attack"] = name

    return edit


@pytest.mark.parametrize("name", ["..", ".", "G TV"])  # a slash: the schema's own pattern
def test_unsafe_attack_name_is_rejected(tmp_path, name):
    _fails(tmp_path, _config(tmp_path, _rename_attack(name)), "-n",
           match=f"attacks: the name {name!r} is not allowed")


@pytest.mark.parametrize("name, used, suggested", [("G+TV", "'+'", "G_TV"), ("G=TV", "'='", "G_TV"),
                                                   ("GIA-O+knownB", "'+'", "GIA-O_knownB")])
def test_attack_name_with_the_spec_separator_is_rejected(tmp_path, name, used, suggested):
    """An attack's path segment sits beside spec strings (convnet+width=4): no '+' or '=' in it."""
    _fails(tmp_path, _config(tmp_path, _rename_attack(name)), "-n",
           match=f"attacks.{name}: an attack name may not contain {used}", also=[repr(suggested)])


def test_two_cells_writing_one_file_are_rejected():
    wild = dict(dataset="mini", resolution=16, model="convnet", round=0, defense="none",
                protocol="fedsgd", num_examples=1, batch_size=1, local_updates=1, trial=0)
    written = {}
    check_unique_paths("experiments.a", [Cell(**wild, attack="G")], written)
    check_unique_paths("experiments.b", [Cell(**wild, attack="G")], written)  # the same cell: fine
    with pytest.raises(ConfigError, match="not a plain path"):
        check_unique_paths("experiments.c", [Cell(**wild, attack=".")], written)


@pytest.mark.parametrize("value", ["off", '"off"'])
def test_lpips_off_is_accepted_quoted_and_unquoted(tmp_path, value):
    text = MINI.read_text() + f"metrics:\n  lpips: {value}\n"
    proc = snakemake("-n", "tab1", "--configfile", _config(tmp_path, text=text), cwd=tmp_path)
    assert "LPIPS off (metrics.lpips: off)" in proc.stdout + proc.stderr


@pytest.mark.parametrize("value, shown", [(".nan", "nan"), (".inf", "inf")])  # -.inf: the schema's minimum
def test_non_finite_number_is_rejected(tmp_path, value, shown):
    text = MINI.read_text().replace("lr: 0.05", f"lr: {value}")
    _fails(tmp_path, _config(tmp_path, text=text), "-n", match=f"training.lr: {shown} is not a finite number")


def test_non_finite_number_in_a_spec_is_rejected(tmp_path):
    def edit(cfg):
        cfg["experiments"]["tab1"]["defense"] = "noise+sigma=.nan"

    _fails(tmp_path, _config(tmp_path, edit), "-n", match="experiments.tab1.defense ('noise+sigma=.nan')"
           ".sigma: nan is not a finite number")


@pytest.mark.parametrize("model, match", [
    ("convnet+width=abc", "width=abc is not a valid int"),
    ("convnet+relu=maybe", "relu=maybe is not a valid bool"),
    ("convnet+width=true", "width=true is not a valid int"),
])
def test_model_spec_value_of_the_wrong_type_is_rejected(tmp_path, model, match):
    def edit(cfg):
        cfg["experiments"]["tab1"]["model"] = model

    _fails(tmp_path, _config(tmp_path, edit), "-n", match=f"experiments.tab1.model: spec {model!r}: {match}")


def test_model_that_does_not_build_fails_before_any_job(tmp_path):
    def edit(cfg):  # resnet18 has 8 residual blocks: there is no 9th skip to cut
        cfg["experiments"]["tab1"]["model"] = "resnet18+cut_skip=9"

    _fails(tmp_path, _config(tmp_path, edit), "--cores", "1",
           match="experiments.tab1.model: 'resnet18+cut_skip=9' at resolution 16 does not build")


@pytest.mark.parametrize("damage, match", [
    ("truncate", "does not load: "),
    ("wrong keys", "lacks features.0.weight"),
])
def test_required_lpips_with_a_bad_backbone_fails_before_any_job(tmp_path, damage, match):
    weights = tmp_path / "alexnet.pth"
    if damage == "truncate":
        torch.save({f"features.{i}.weight": torch.zeros(64, 3, 11, 11) for i in range(5)}, weights)
        weights.write_bytes(weights.read_bytes()[:5000])
    else:
        torch.save({"classifier.1.weight": torch.zeros(2, 2)}, weights)
    text = MINI.read_text() + f"metrics:\n  lpips: required\n  lpips_weights: {weights}\n"
    _fails(tmp_path, _config(tmp_path, text=text), "--cores", "1",
           match="metrics.lpips_weights: the alex backbone does not load", also=(match,))


def test_missing_data_fails_before_any_job(tmp_path):
    def edit(cfg):
        cfg["datasets"]["mini"] = {"source": "cifar10", "root": str(tmp_path / "data"), "num_public": 10}

    _fails(tmp_path, _config(tmp_path, edit), "--cores", "1",
           match=f"datasets.mini: cifar10 data not found under {tmp_path / 'data'}")


def test_downloadable_data_passes_the_data_check(tmp_path):
    cfg = json.loads(json.dumps(BASE))
    cfg["datasets"]["mini"] = {"source": "cifar10", "root": str(tmp_path / "data"), "download": True}
    check_data(cfg)  # the job fetches it
    cfg["datasets"]["mini"]["download"] = False
    with pytest.raises(ConfigError, match="datasets.mini"):
        check_data(cfg)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is visible here")
def test_cuda_on_a_cpu_machine_fails_before_any_job(tmp_path):
    _fails(tmp_path, _config(tmp_path, lambda cfg: cfg.update(device="cuda")), "--cores", "1",
           match="device: config device='cuda' but no CUDA device is visible")


def test_truncated_json_names_its_file(tmp_path):
    path = tmp_path / "trials~1.json"
    io.save_json({"psnr": [math.pi]}, path)
    path.write_text(path.read_text()[:7])
    with pytest.raises(ValueError, match=f"JSON file {path} is truncated or corrupt"):
        io.load_json(path)


def _provenance(tmp_path, *args):
    snakemake("--cores", "1", "results/provenance/config.yaml", *args, cwd=tmp_path)
    return yaml.safe_load((tmp_path / "results/provenance/config.yaml").read_text())


def test_config_overlays_the_embedded_default(tmp_path):
    # This directory has no `make setup` data: put the idx file names where the presence check
    # looks (no job reads them here), and turn LPIPS off by a nested key, which also shows that
    # nested keys merge into the default. (Snakemake parses nested --config values as strings.)
    from gialib.data.fashion_mnist import RAW_FILES, raw_dir

    raw = raw_dir(tmp_path / "data")
    raw.mkdir(parents=True)
    for name in RAW_FILES:
        (raw / name).touch()
    cfg = _provenance(tmp_path, "--config", "seed=7", 'metrics={"lpips": "off"}')
    assert cfg["seed"] == 7
    assert "packaged" in cfg["datasets"] and "fig15" in cfg["experiments"]  # the default, kept
    assert cfg["metrics"]["lpips"] == "off" and "lpips_weights" in cfg["metrics"]  # merged


def test_config_overlays_a_configfile_that_replaces_the_default(tmp_path):
    cfg = _provenance(tmp_path, "--configfile", str(MINI), "--config", "seed=7")
    assert cfg["seed"] == 7
    assert list(cfg["datasets"]) == ["mini"] and list(cfg["experiments"]) == ["tab1"]  # not merged


def test_missing_fashion_mnist_is_named_with_its_setup_command(tmp_path):
    cfg = json.loads(json.dumps(BASE))
    cfg["datasets"]["mini"] = {"source": "fashion-mnist", "root": str(tmp_path / "data"),
                               "private_per_class": 4, "public_per_class": 4, "test_per_class": 2}
    with pytest.raises(ConfigError, match=r"FashionMNIST/raw.*make setup"):
        check_data(cfg)
