"""Fig. 4 with a dataset per panel (resolution on photographs, batch size on Fashion-MNIST): its
cells, and table, claims, finding, figure and grid keep each panel to its own dataset."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import torch

from gialib.experiments import get_experiment
from tests.test_config import load


def _cfg(**fig4):
    cfg = load()
    cfg["experiments"]["fig4"].update(fig4)
    return cfg


def _frame(exp) -> pd.DataFrame:
    """One row per cell: LPIPS grows with resolution on the photographs and with N on
    fashion-mnist, whose values sit far apart (a row in the wrong panel moves its estimate)."""
    rows = []
    for c in exp.cells():
        lpips = (0.01 * c.resolution / 16 if c.dataset == "packaged" else 0.5 + 0.01 * c.num_examples)
        rows.append({**c.wildcards(), "lpips": lpips + 0.001 * c.trial, "psnr": 20.0, "ssim": 0.5,
                     "mse": 0.0, "label_accuracy": 1.0, "lpips_status": "computed"})
    return pd.DataFrame(rows)


def test_default_panels_use_their_own_dataset():
    exp = get_experiment("fig4", load())
    assert exp.datasets == {"resolution": "packaged", "num_examples": "fashion-mnist"}
    points = {(c.dataset, c.resolution, c.num_examples) for c in exp.cells()}
    # no shared point across datasets: the batch panel has its own N = 1 baseline
    assert points == {("packaged", r, 1) for r in (16, 32, 64, 128)} | {
        ("fashion-mnist", 16, n) for n in (1, 4, 32)}


def test_one_dataset_for_both_panels_attacks_the_shared_point_once():
    exp = get_experiment("fig4", _cfg(dataset="packaged"))
    points = [(c.dataset, c.resolution, c.num_examples) for c in exp.cells()
              if c.attack == "G" and c.trial == 0]
    assert len(points) == len(set(points)) == 4 + 3 - 1


def test_a_panel_dataset_key_must_name_a_panel():
    with pytest.raises(ValueError, match="dataset of each panel by the field it sweeps"):
        get_experiment("fig4", _cfg(dataset={"resolution": "packaged", "batch": "fashion-mnist"}))


def test_table_claims_finding_and_figure_keep_panels_apart(tmp_path):
    cfg = _cfg(trials=3)
    exp = get_experiment("fig4", cfg)
    df = _frame(exp)
    ledger = exp.ledger(df).set_index("claim")
    res = ledger.loc["fig4: resolution 16->128, attack=G"]
    assert res["n_baseline"] == 3 and res["estimate"] == pytest.approx(0.07)
    batch = ledger.loc["fig4: num_examples 1->32, attack=G"]
    assert batch["n_baseline"] == 3 and batch["estimate"] == pytest.approx(0.31)
    assert len(ledger) == 2 * 4  # two panels x four attacks, no third sweep from a mixed frame
    table = exp.summarize(df)
    assert "resolution (px) at num_examples = 1, on packaged" in table
    assert "batch size N (FedSGD) at resolution = 16, on fashion-mnist" in table
    assert "on fashion-mnist" in exp.finding(df)
    exp.plot(df, str(tmp_path / "fig4.png"))
    assert (tmp_path / "fig4.png").stat().st_size > 0


def test_grid_stacks_one_labelled_grid_per_panel(tmp_path, monkeypatch):
    from gialib.experiments import base

    exp = get_experiment("fig4", _cfg(trials=1, attack=["G"]))
    img = torch.rand(1, 3, 16, 16)
    monkeypatch.setattr(base, "image_pair", lambda cell, attack: (img, img))  # no attack files needed
    titles = []
    from gialib.plots import panels

    real = panels.reconstruction_grid

    def grid(*args, title, path, **kwargs):
        titles.append(title)
        real(*args, title=title, path=path, **kwargs)

    monkeypatch.setattr(panels, "reconstruction_grid", grid)
    exp.grid(str(tmp_path / "grid.png"))
    assert (tmp_path / "grid.png").stat().st_size > 0
    assert [t.rsplit(", on ", 1)[-1] for t in titles] == ["packaged", "fashion-mnist"]


def test_config_copy_is_not_mutated():
    cfg = load()
    before = copy.deepcopy(cfg["experiments"]["fig4"])
    get_experiment("fig4", cfg).cells()
    assert cfg["experiments"]["fig4"] == before
