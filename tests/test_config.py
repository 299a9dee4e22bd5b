"""Config validation: the schema and the cross-reference checks stop bad configs early."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from gialib.attacks.engine import OPTIMIZERS, SCHEDULES
from gialib.attacks.objectives import OBJECTIVES
from gialib.attacks.params import SPACES
from gialib.attacks.priors import PRIORS
from gialib.config_check import ConfigError, check_config
from gialib.data.imageset import SOURCES
from gialib.experiments import EXPERIMENTS

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "config" / "schema.yaml")


def load(name="config.yaml"):
    cfg = yaml.safe_load((REPO / "config" / name).read_text())
    validate(cfg, SCHEMA)
    return cfg


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_shipped_configs_are_valid(name):
    check_config(load(name), enforce_lpips=False)


def _invalid(cfg, match):
    with pytest.raises(WorkflowError, match=match):
        validate(cfg, SCHEMA)


def test_unknown_key_is_named():
    cfg = load()
    cfg["experiments"]["tab1"]["local_update"] = [1]
    _invalid(cfg, "local_update")


def test_unknown_top_level_key_is_named():
    cfg = load()
    cfg["trainning"] = {}
    _invalid(cfg, "trainning")


def test_bad_enum_value():
    cfg = load()
    cfg["attacks"]["G_TV"]["objective"] = "cosin"
    _invalid(cfg, "cosin")


def test_bad_number():
    cfg = load()
    cfg["experiments"]["tab1"]["local_updates"] = [0, 1]
    _invalid(cfg, "local_updates|0")


def test_unknown_target_is_rejected():
    cfg = load()
    cfg["experiments"]["tab9"] = copy.deepcopy(cfg["experiments"]["tab1"])
    _invalid(cfg, "tab9")


@pytest.mark.parametrize("edit,match", [
    (lambda c: c["experiments"]["tab1"].update(attack=["G_TVV"]), r"experiments.tab1.attack: 'G_TVV'"),
    (lambda c: c["experiments"]["tab1"].update(dataset="cifar"), "experiments.tab1.dataset: 'cifar'"),
    (lambda c: c["experiments"]["tab1"].update(model="convnet+widht=3"), "has no argument 'widht'"),
    (lambda c: c["experiments"]["tab1"].update(model="vgg99"), "unknown model 'vgg99'"),
    (lambda c: c["experiments"]["tab1"].update(defense="jpeg"), "unknown defense 'jpeg'"),
    (lambda c: c["experiments"]["tab1"].update(round=99), "round: 99 exceeds training.rounds"),
    (lambda c: c["experiments"]["tab1"].update(defense="topk+ratio=0.1+memory=true", round=[0, 2]),
     r"keeps client memory; attacking it at round\(s\) \[2\]"),
    (lambda c: c["experiments"]["tab1"].update(batch_size=5), "batch_size 5 not in 1..num_examples=1"),
    (lambda c: c["attacks"]["G_TV"].update(priors={"bn": 1.0}), "attacks.G_TV: the bn prior needs"),
    (lambda c: c["metrics"].update(lpips="required", lpips_weights="/nonexistent/alex.pth"),
     "metrics.lpips is 'required'"),
])
def test_cross_reference_errors_name_the_key(edit, match):
    cfg = load()
    edit(cfg)
    with pytest.raises(ConfigError, match=match):
        check_config(cfg)


def test_schema_enums_match_registries():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    attack = schema["$defs"]["attack"]["properties"]
    assert set(attack["objective"]["enum"]) == set(OBJECTIVES.names())
    assert set(attack["space"]["enum"]) <= set(SPACES.names())
    assert set(attack["priors"]["properties"]) == set(PRIORS.names())
    assert set(attack["optimizer"]["enum"]) == set(OPTIMIZERS)
    assert set(attack["schedule"]["enum"]) == set(SCHEDULES)
    sources = schema["properties"]["datasets"]["additionalProperties"]["properties"]["source"]["enum"]
    assert set(sources) == set(SOURCES.names())
    assert set(schema["properties"]["experiments"]["properties"]) == set(EXPERIMENTS.names())


@pytest.mark.parametrize("edit,match", [
    (lambda c: c["attacks"]["G_gen"]["options"].update(generator="gan"), "generator 'gan' is not a key"),
    (lambda c: c["generators"]["glo"].update(architecture="dcgan+widht=3"), "generators.glo"),
    (lambda c: c["experiments"]["tab2"].update(num_examples=8), "cannot be cut into 5 mini-batches"),
    (lambda c: c["experiments"]["fig8"].update(dataset="packaged+ood=nope"), "ood='nope'"),
    (lambda c: c["experiments"]["fig7"].update(dataset="content+victims=cat"), "victims"),
])
def test_gia_l_and_view_errors_name_the_key(edit, match):
    cfg = load()
    edit(cfg)
    with pytest.raises((ConfigError, ValueError), match=match):
        check_config(cfg)


def test_validated_attacks_build_their_image_space():
    """Schema defaults must not leak one space's options into another (pixel takes none)."""
    from gialib.attacks.spec import AttackSpec

    cfg = load()  # validated: the schema's defaults are filled in
    for name, entry in cfg["attacks"].items():
        spec = AttackSpec.from_dict(entry)
        if spec.space == "pixel":
            SPACES.get("pixel")((1, 3, 8, 8), dict(spec.options), {})
        else:
            assert set(spec.options) <= {"generator", "class_input", "latent_bound", "class_map"}, name


def test_capture_holds_the_most_trials_any_target_attacks():
    """tab1 (4 trials) and fig15 (3) attack the same undefended round-0 update: its one
    capture file holds 4 trials; each target's attack files hold its own count."""
    from gialib import paths
    from gialib.experiments import get_experiment, trials_per_client

    cfg = load()
    counts = trials_per_client(cfg)
    tab1, fig15 = get_experiment("tab1", cfg), get_experiment("fig15", cfg)
    shared = {c.path(paths.CLIENT) for c in tab1.cells()} & {c.path(paths.CLIENT) for c in fig15.cells()}
    assert shared and (tab1.trials, fig15.trials) == (4, 3)
    assert all(counts[k] == 4 for k in shared)
    only_fig15 = {c.path(paths.CLIENT) for c in fig15.cells()} - shared
    assert only_fig15 and all(counts[k] == 3 for k in only_fig15)
    cell = fig15.cells()[0]
    attacks, truths = fig15.score_inputs()
    assert fig15.attack_path(cell) in attacks and attacks[0].endswith("/trials~3.pt")
    assert len(attacks) == len(truths) == len(fig15.cells()) // fig15.trials  # one file per cell
    # one score file per target, holding every attack file's trials
    assert [p for p in fig15.inputs() if p.startswith(paths.ROOT + "/score/")] == [fig15.score_path]
