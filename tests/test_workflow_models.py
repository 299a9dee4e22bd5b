"""The model targets (fig10, tab3, tab4) end to end on a miniature config."""

import json

import pandas as pd
import pytest

from gialib.stats import VERDICTS


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
    assert "Claims of the paper tested here" in finding and "Spearman" not in finding
    claims = pd.read_csv(run / "tables/fig10_claims.csv")
    assert claims["claim"].tolist() == ["fig10: round 0->2, model=convnet+width=4"]
    assert claims["verdict"].isin(VERDICTS).all() and (claims["low"] <= claims["high"]).all()


def test_tab3_reports_the_nin_blocks_parameter_share(run):
    table = pd.read_csv(run / "tables/tab3.csv").sort_values("attack")
    full, block = table.iloc[0], table.iloc[1]
    assert (full["variant"], block["variant"]) == ("Full", "#1 NIN block")
    assert full["parameter_share"] == 1.0 and 0 < block["parameter_share"] < 0.05
    assert full["parameters"] == full["model_parameters"] > block["parameters"]
    log = next((run / "logs/attack").rglob("G_TV@nin1/trials~*.log")).read_text()
    assert "parameters nin+block=1" in log


def test_tab4_pairs_variants_with_the_baseline(run):
    table = pd.read_csv(run / "tables/tab4.csv")
    assert set(table["variant"]) == {"baseline", "R ReLU"}
    assert set(table.loc[~table["baseline"], "expected"]) == {"+"}
    claims = pd.read_csv(run / "tables/tab4_claims.csv")
    assert claims[["baseline", "variant", "expected"]].values.tolist() == [
        ["variant=baseline", "variant=R ReLU", "better"]]
    summary = (run / "tables/tab4.md").read_text()
    assert "R ReLU" in summary and "ΔPSNR" in summary
    for f in ("figures/tab4.png", "figures/tab4_grid.png", "figures/tab3.png", "figures/fig10.png",
              "figures/fig10_grid.png"):
        assert (run / f).stat().st_size > 0, f


def test_the_ledger_gathers_every_targets_claims(run):
    ledger = pd.read_csv(run / "ledger/claims.csv")
    per_target = [pd.read_csv(run / f"tables/{t}_claims.csv") for t in ("fig10", "tab3", "tab4")]
    assert len(ledger) == sum(len(c) for c in per_target) >= 3
    assert set(ledger["target"]) == {"fig10", "tab3", "tab4"}
    assert ledger["verdict"].isin(VERDICTS).all()
    page = (run / "ledger/claims.md").read_text()
    assert page.startswith("# Claims ledger") and f"{len(ledger)} claim(s)" in page
