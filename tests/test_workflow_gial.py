"""GIA-L in the workflow: the generator rule, latent attacks, tab2's derived B/U, fig8's views."""

import pandas as pd
import pytest
import torch


@pytest.fixture
def run(mini_gial_run):
    """The session's run of the miniature (shared with the golden comparison)."""
    return mini_gial_run


def test_generator_stage_outputs(run):
    gen = run / "generator/mini/resolution~16"
    for name in ("tiny.pt", "tiny.curve.csv", "tiny.curve.png", "tiny.samples.png"):
        assert (gen / name).stat().st_size > 0, name
    ckpt = torch.load(gen / "tiny.pt", weights_only=True)
    assert ckpt["dataset"] == "mini" and ckpt["architecture"] == "dcgan+latent_dim=8+width=4"
    assert list(pd.read_csv(gen / "tiny.curve.csv")["iteration"]) == [1, 10, 20]
    assert not (run / "generator/mini+ood=texture").exists()  # the OOD view reuses the ID generator


def test_tab2_paths_and_columns(run):
    table = pd.read_csv(run / "tables/tab2.csv")
    assert sorted(zip(table["num_batches"], table["batch_size"], table["local_updates"],
                      table["knows_batch_size"], strict=True)) == [
        (1, 2, 1, False), (1, 2, 1, True), (2, 1, 2, False), (2, 1, 2, True)]
    assert (table["provenance.attack.options.generator.name"] == "tiny").all()
    assert "What knowing B buys" in (run / "tables/tab2.md").read_text()
    assert (run / "attack/mini/resolution~16/convnet+width=4/none/round~0/fedavg/num_examples~2"
            "/batch_size~1/local_updates~2/G_gen_knownB/trials~1.pt").is_file()


def test_fig8_views(run):
    table = pd.read_csv(run / "tables/fig8.csv")
    assert dict(zip(table["dataset"], table["distribution"], strict=True)) == {
        "mini": "ID", "mini+ood=texture": "OOD"}
    assert "In-distribution vs. out-of-distribution" in (run / "tables/fig8.md").read_text()
    for f in ("figures/fig8.png", "figures/fig8_grid.png"):
        assert (run / f).stat().st_size > 0
