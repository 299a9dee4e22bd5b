"""The workflow end to end on a miniature config, and its static checks."""

import pandas as pd
import torch

from gialib.io import load_trials
from tests.conftest import MINI, snakemake


def test_lint_is_clean():
    out = snakemake("--lint")
    assert "Lints for" not in out.stdout + out.stderr, out.stdout + out.stderr


def test_paper_dag_builds():
    out = snakemake("-n", "tab1", "--configfile", "config/paper.yaml")
    text = out.stdout + out.stderr
    assert "attack" in text and "This was a dry-run" in text


def test_bad_config_stops_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text().replace("num_examples: 2", "num_examples: 2\n    batchsize: 1"))
    out = snakemake("-n", "tab1", "--configfile", str(bad), "--directory", str(tmp_path), check=False)
    assert out.returncode != 0
    assert "batchsize" in out.stdout + out.stderr


def test_end_to_end_outputs(mini_runs):
    run = mini_runs[0]
    table = pd.read_csv(run / "results/tables/tab1.csv")
    assert len(table) == 2 and sorted(table["local_updates"]) == [1, 3]
    for col in ("psnr", "ssim", "lpips", "provenance.attack.priors.tv", "provenance.versions.torch",
                "config_seed", "config_digest", "training.rounds", "provenance.update.lr"):
        assert col in table, col
    assert (table["config_seed"] == 3).all() and (table["round"] == 1).all()
    assert table["lpips_status"].str.contains("LPIPS").all()
    for f in ("tables/tab1.md", "figures/tab1.png", "figures/tab1_grid.png",
              "train/mini/resolution~16/convnet+width=4/none/round~1.pt"):
        assert (run / "results" / f).stat().st_size > 0, f
    logs = list((run / "results/logs/attack").rglob("*.log"))
    assert logs and "iteration 30/30" in logs[0].read_text()


def test_same_config_same_results(mini_runs):
    a, b = (pd.read_csv(r / "results/tables/tab1.csv") for r in mini_runs)
    pd.testing.assert_frame_equal(a[["psnr", "ssim", "mse", "label_accuracy"]],
                                  b[["psnr", "ssim", "mse", "label_accuracy"]])
    for pa in (mini_runs[0] / "results/attack").rglob("*.pt"):
        pb = mini_runs[1] / pa.relative_to(mini_runs[0])
        ra, rb = load_trials(pa), load_trials(pb)  # every trial of the attack job
        assert len(ra) == len(rb)
        assert all(torch.equal(x["images"], y["images"]) for x, y in zip(ra, rb, strict=True))


def test_report_of_the_built_targets(mini_runs, tmp_path):
    """`snakemake <built targets> --report` (what `make report` runs) writes one
    self-contained HTML file with the target's figure and its caption."""
    run = mini_runs[0]
    report = tmp_path / "report.html"
    snakemake("tab1", "--configfile", str(MINI), "--directory", str(run), "--report", str(report))
    html = report.read_text()
    assert report.stat().st_size > 100_000  # figures are embedded, not linked
    assert "tab1.png" in html and "tab1_grid.png" in html
    assert "Table I" in html
