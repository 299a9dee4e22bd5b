"""The model targets (fig10, tab3, tab4) end to end on a miniature config."""

import json

import pandas as pd
import pytest


@pytest.fixture
def run(mini_models_run):
    """The session's run of the miniature (shared with the golden comparison)."""
    return mini_models_run


def test_fig10_joins_attack_accuracy_and_igsa_per_round(run):
    table = pd.read_csv(run / "tables/fig10.csv")
    assert sorted(table["round"]) == [0, 1, 2] and table["model"].unique().tolist() == ["convnet+width=4"]
    for r, row in table.set_index("round").iterrows():
        igsa = json.loads((run / f"igsa/mini/resolution~16/convnet+width=4/none/round~{r}.json").read_text())
        assert row["igsa"] == igsa["igsa"] > 0 and igsa["round"] == r and igsa["bn_mode"] == "eval"
        assert 0 <= row["test_accuracy"] <= 1 and row["provenance.update.bn_mode"] == "eval"
    assert table["rounds"].tolist() == ["0-1", "0-1", "2-2"]
    summary = (run / "tables/fig10.md").read_text()
    assert "First vs. last window" in summary and "IGSA" in summary
    finding = (run / "tables/fig10_finding.rst").read_text()
    assert "**convnet+width=4** (PSNR / accuracy / IGSA): rounds 0-1:" in finding
    assert "Spearman rho with round" in finding


def test_tab3_reports_the_nin_blocks_parameter_share(run):
    table = pd.read_csv(run / "tables/tab3.csv").sort_values("attack")
    full, block = table.iloc[0], table.iloc[1]
    assert (full["variant"], block["variant"]) == ("Full", "#1 NIN block")
    assert full["parameter_share"] == 1.0 and 0 < block["parameter_share"] < 0.05
    assert full["parameters"] == full["model_parameters"] > block["parameters"]
    log = next((run / "logs/attack").rglob("G+TV@nin1/trial~0.log")).read_text()
    assert "parameters nin+block=1" in log


def test_tab4_pairs_variants_with_the_baseline(run):
    table = pd.read_csv(run / "tables/tab4.csv")
    assert set(table["variant"]) == {"baseline", "R ReLU"}
    assert set(table.loc[~table["baseline"], "expected"]) == {"+"}
    summary = (run / "tables/tab4.md").read_text()
    assert "R ReLU" in summary and "ΔPSNR" in summary
    for f in ("figures/tab4.png", "figures/tab4_grid.png", "figures/tab3.png", "figures/fig10.png",
              "figures/fig10_grid.png"):
        assert (run / f).stat().st_size > 0, f
