"""fig15: the trade-off analysis, and the defended pipeline end to end on a miniature config."""

import json
import math

import pandas as pd
import pytest
import torch
import yaml

from gialib.config_check import ConfigError, check_config
from gialib.defenses import privacy_guarantee, uses_memory
from gialib.defenses.quantize import levels
from gialib.experiments import get_experiment
from gialib.experiments.fig15 import points
from gialib.io import load_trial
from tests.conftest import REPO, snakemake
from tests.test_config import load

THRESHOLDS = {"lpips": 0.1, "psnr": 20.0, "ssim": 0.5}


def _table(rows):
    """A fig15-shaped table from (defense, test_accuracy, psnrs over trials)."""
    out = []
    for defense, acc, psnrs in rows:
        for trial, p in enumerate(psnrs):
            out.append({"attack": "G_TV", "defense": defense, "trial": trial, "psnr": p, "ssim": 0.5,
                        "lpips": math.nan, "label_accuracy": 1.0, "test_accuracy": acc,
                        "epsilon": None, "delta": None})
    return pd.DataFrame(out)


def test_tradeoff_points_and_best_per_defence():
    df = _table([("none", 0.60, [38, 36]),
                 ("quantize+bits=2", 0.58, [12, 13]),     # defends, keeps utility
                 ("quantize+bits=4", 0.61, [25, 26]),     # keeps utility, does not defend
                 ("quantize+bits=3", 0.57, [14, 15]),     # defends, keeps utility, less accurate
                 ("topk+ratio=0.01", 0.30, [15, 16]),     # defends at a large cost
                 ("topk+ratio=0.1", 0.57, [28, 29]),      # the best topk: worst attack within budget
                 ("topk+ratio=0.3", 0.59, [35, 36]),
                 ("clip+bound=0.01", 0.20, [38, 36])])    # neither
    pts = points(df, THRESHOLDS, 0.05).set_index("defense")
    assert pts.loc["none", "quality"] == "psnr" and pts.loc["none", "psnr_mean"] == 37
    assert pts.loc["quantize+bits=2", "accuracy_drop"] == pytest.approx(0.02)
    assert pts["defended"].to_dict() == {
        "none": False, "quantize+bits=2": True, "quantize+bits=4": False, "quantize+bits=3": True,
        "topk+ratio=0.01": True, "topk+ratio=0.1": False, "topk+ratio=0.3": False,
        "clip+bound=0.01": False}
    assert not pts.loc["topk+ratio=0.01", "keeps_utility"] and pts.loc["quantize+bits=3", "keeps_utility"]
    assert sorted(pts.index[pts["best"]]) == ["quantize+bits=2", "topk+ratio=0.1"]
    assert pts.loc["quantize+bits=2", "setting"] == "bits=2" and pts.loc["topk+ratio=0.1", "family"] == "topk"


def test_tradeoff_uses_lpips_when_computed():
    df = _table([("none", 0.6, [30]), ("quantize+bits=2", 0.6, [12])])
    df["lpips"] = [0.02, 0.5]
    pts = points(df, THRESHOLDS, 0.05).set_index("defense")
    assert (pts["quality"] == "lpips").all()
    assert pts["defended"].to_dict() == {"none": False, "quantize+bits=2": True}


def test_tradeoff_needs_the_undefended_run():
    with pytest.raises(ValueError, match="undefended"):
        points(_table([("quantize+bits=2", 0.6, [12])]), THRESHOLDS, 0.05)


@pytest.mark.parametrize("edit,match", [
    (lambda e: e.update(defense=["none", "quantize+bits=0"]), "fig15.defense: .*bits must be an integer"),
    (lambda e: e.update(defense=["none", "topk+ratio=1.5"]), "fig15.defense: .*ratio must be a number"),
    (lambda e: e.update(defense=["none", "noise+sigma=-0.1"]), "fig15.defense: .*sigma must be a number"),
    (lambda e: e.update(defense=["quantize+bits=2"]), "must include the undefended baseline 'none'"),
    (lambda e: e.update(reconstructed={"ssim": 0.5}), "needs a threshold for lpips and psnr"),
    (lambda e: e.pop("accuracy_drop"), "missing key 'accuracy_drop'"),
    # Error feedback attacked at round 0 (memory empty: plain top-k's point) or later (not replayed)
    (lambda e: e.update(defense=["none", "topk+memory=true+ratio=0.01"], utility_only=[]),
     r"fig15.defense: 'topk\+memory=true\+ratio=0.01' keeps error-feedback memory; "
     r"attacked at round\(s\) \[0\]"
     r".*move it to experiments.fig15.utility_only"),
    (lambda e: e.update(defense=["none", "topk+memory=true+ratio=0.01"], round=3, utility_only=[]),
     r"fig15.defense: .*round\(s\) \[3\].*utility_only"),
    (lambda e: e.update(utility_only=["topk+ratio=0.1"]),
     r"fig15.utility_only: 'topk\+ratio=0.1' is also attacked"),
    (lambda e: e.update(utility_only=["none"]), "fig15.utility_only: 'none' is also attacked"),
    (lambda e: e.update(utility_only=["topk+memory=true+ratio=2"]), "fig15.utility_only: .*ratio must be"),
])
def test_bad_fig15_config_is_a_clear_error(edit, match):
    cfg = load()
    edit(cfg["experiments"]["fig15"])
    with pytest.raises(ConfigError, match=match):
        check_config(cfg, enforce_lpips=False)


def test_bad_defence_stops_the_workflow_before_any_job(tmp_path):
    cfg = _mini_config()
    cfg["experiments"]["fig15"]["defense"] = ["none", "topk+ratio=1.5"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("-n", "fig15", "--configfile", str(tmp_path / "bad.yaml"), "--directory",
                    str(tmp_path), check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "experiments.fig15.defense" in text and "ratio must be" in text
    assert not (tmp_path / "results").exists()


def test_fig15_settings_are_rejected_elsewhere():
    cfg = load()
    cfg["experiments"]["tab1"]["accuracy_drop"] = 0.05
    with pytest.raises(ConfigError, match=r"tab1: .*unknown key\(s\) \['accuracy_drop'\]"):
        check_config(cfg, enforce_lpips=False)


def test_fig15_reads_every_round_of_every_defended_training():
    cfg = load()
    exp = get_experiment("fig15", cfg)
    rounds = cfg["training"]["rounds"]
    only = cfg["experiments"]["fig15"]["utility_only"]
    assert only and all(uses_memory(d) for d in only)  # the default: error feedback, accuracy only
    defenses = cfg["experiments"]["fig15"]["defense"] + only
    ckpts = [p for p in exp.inputs() if p.startswith("results/train/")]
    assert len(ckpts) == len(defenses) * (rounds + 1)
    assert not [c for c in exp.cells() if c.defense in only]  # trained, never attacked
    for d in defenses:
        dataset = cfg["experiments"]["fig15"]["dataset"]
        assert f"results/train/{dataset}/resolution~32/convnet/{d}/round~{rounds}.pt" in ckpts


# -- the pipeline on a miniature config: defence in training and in the attacked update --

MINI_DEFENSES = ["none", "quantize+bits=2", "noise+bound=1.0+sigma=0.01"]
MINI_UTILITY_ONLY = "topk+memory=true+ratio=0.1"


def _mini_config():
    """tests/data/mini.yaml with fig15 (three defences, one trial) instead of its tab1."""
    cfg = yaml.safe_load((REPO / "tests" / "data" / "mini.yaml").read_text())
    fig15 = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["experiments"]["fig15"]
    fig15.update(dataset="mini", resolution=16, model="convnet+width=4", round=1, trials=1,
                 defense=MINI_DEFENSES, attack=["G_TV"], utility_only=[MINI_UTILITY_ONLY])
    cfg["experiments"] = {"fig15": fig15}
    return cfg


@pytest.fixture(scope="module")
def mini_fig15(tmp_path_factory):
    run = tmp_path_factory.mktemp("fig15")
    (run / "mini.yaml").write_text(yaml.safe_dump(_mini_config()))
    snakemake("fig15", "--configfile", str(run / "mini.yaml"), "--directory", str(run), "--cores", "2")
    return run / "results"


def _load(path):
    return torch.load(path, weights_only=True)


def test_fig15_table_joins_accuracy_and_privacy(mini_fig15):
    table = pd.read_csv(mini_fig15 / "tables/fig15.csv").set_index("defense")
    assert sorted(table.index) == sorted(MINI_DEFENSES + [MINI_UTILITY_ONLY])
    # The utility-only run: its FL run's accuracy, no attack, no score, privacy not measured.
    only = table.loc[MINI_UTILITY_ONLY]
    assert not only["attacked"] and table.drop(index=MINI_UTILITY_ONLY)["attacked"].all()
    assert math.isnan(only["psnr"]) and not isinstance(only["attack"], str)
    assert only["privacy"].startswith("not measured: its error-feedback memory is empty at round 0")
    train = mini_fig15 / f"train/mini/resolution~16/convnet+width=4/{MINI_UTILITY_ONLY}"
    assert only["test_accuracy"] == _load(train / "round~1.pt")["metrics"]["test_accuracy"]
    assert not list((mini_fig15 / "attack").rglob(f"*{MINI_UTILITY_ONLY}*"))
    claims = pd.read_csv(mini_fig15 / "tables/fig15_claims.csv")
    assert len(claims) == len(MINI_DEFENSES) - 1 and not claims["claim"].str.contains("memory").any()
    md = (mini_fig15 / "tables/fig15.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| not attacked"))
    assert "ratio=0.1" in row and row.count("not measured") >= 5  # lpips/psnr/ssim, epsilon, delta, defended
    assert "not attacked because its error-feedback memory is empty" in (
        mini_fig15 / "tables/fig15_finding.rst").read_text()
    table = table.drop(index=MINI_UTILITY_ONLY)
    for d in MINI_DEFENSES:
        train = mini_fig15 / f"train/mini/resolution~16/convnet+width=4/{d}"
        per_round = [_load(train / f"round~{r}.pt")["metrics"]["test_accuracy"] for r in (0, 1)]
        assert json.loads(table.loc[d, "test_accuracy_per_round"]) == per_round
        assert table.loc[d, "test_accuracy"] == per_round[-1] and table.loc[d, "final_round"] == 1
    # The update's defence is written once, as the cell's column: the aggregate stage checks
    # that the update's record agrees with it (a mismatch is an error naming the score file).
    assert "provenance.update.defense" not in table.reset_index()
    assert math.isnan(table.loc["none", "epsilon"]) and math.isnan(table.loc["quantize+bits=2", "delta"])
    dp = privacy_guarantee("noise+bound=1.0+sigma=0.01")
    assert table.loc["noise+bound=1.0+sigma=0.01", "epsilon"] == pytest.approx(dp["epsilon"])
    assert table.loc["noise+bound=1.0+sigma=0.01", "delta"] == 1e-5
    summary = (mini_fig15 / "tables/fig15.md").read_text()
    for text in ("Trade-off per defence", "Reading", "Test accuracy per round", "bits=2"):
        assert text in summary
    finding = (mini_fig15 / "tables/fig15_finding.rst").read_text()
    assert "undefended" in finding and "quantize" in finding
    assert (mini_fig15 / "figures/fig15.png").stat().st_size > 0
    assert (mini_fig15 / "figures/fig15_grid.png").stat().st_size > 0


def test_defence_runs_in_training_and_on_the_attacked_update(mini_fig15):
    """The one {defense} wildcard drives both: every client's update in training, and the
    update the attack reads (the defend stage's output)."""
    train = mini_fig15 / "train/mini/resolution~16/convnet+width=4"
    r0 = {d: _load(train / d / "round~0.pt") for d in MINI_DEFENSES}
    r1 = {d: _load(train / d / "round~1.pt") for d in MINI_DEFENSES}
    for d in MINI_DEFENSES:
        assert r1[d]["defense"] == d
        for k, v in r0[d]["state_dict"].items():  # same seeded initial model
            assert torch.equal(v, r0["none"]["state_dict"][k])
    for d in MINI_DEFENSES[1:]:
        assert any(not torch.equal(v, r1["none"]["state_dict"][k])
                   for k, v in r1[d]["state_dict"].items()), d
    cell = "round~1/fedavg/num_examples~1/batch_size~1/local_updates~1"
    base = "mini/resolution~16/convnet+width=4/quantize+bits=2"
    captured = load_trial(mini_fig15 / "capture" / base / cell / "shared.pt", 0)
    defended = load_trial(mini_fig15 / "defend" / base / cell / "shared.pt", 0)
    assert defended["defense"] == "quantize+bits=2"
    assert defended["meta"]["checkpoint"].endswith("quantize+bits=2/round~1.pt")
    for k, v in defended["tensors"].items():
        grid = v / captured["tensors"][k].abs().max() * levels(2)
        assert torch.allclose(grid, grid.round(), atol=1e-5), k
        assert not torch.equal(v, captured["tensors"][k]), k
    attack_log = mini_fig15 / "logs/attack" / base / cell / "G_TV/trials~1.log"
    assert "attack done" in attack_log.read_text()
