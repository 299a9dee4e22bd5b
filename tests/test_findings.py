"""The report captions' findings are read off the data."""

import pandas as pd

from gialib.experiments.base import group_fields
from gialib.plots.tables import trend_finding


def _finding(df, x="local_updates", hue="attack"):
    """The finding with the experiments' grouping rule, as ``Experiment.finding`` calls it."""
    return trend_finding(df, x=x, groups=[hue, *group_fields(df, x, hue)])


def _frame(x, y, **fields):
    n = len(x)
    return pd.DataFrame({"local_updates": x, "psnr": y, "lpips": [float("nan")] * n,
                         "trial": [0] * n, "attack": ["A"] * n, **fields})


def test_trend_is_read_off_the_data():
    text = _finding(_frame([1, 2, 4, 8], [30.0, 25.0, 20.0, 10.0]))
    assert "PSNR falls with local_updates (Spearman rho = -1.00)" in text
    text = _finding(_frame([1, 2, 4, 8], [10.0, 20.0, 25.0, 30.0]))
    assert "rises" in text and "falls" not in text


def test_a_field_fixed_by_the_swept_one_is_not_a_group():
    # Table II: B = ceil(N / k) moves with U; grouping by it would leave single points.
    text = _finding(_frame([2, 4, 6], [20.0, 18.0, 15.0], batch_size=[10, 5, 4]))
    assert "batch_size=" not in text and "Spearman rho = -1.00" in text


def test_categorical_sweep_names_best_and_worst():
    df = _frame([0, 0], [25.0, 15.0]).assign(dataset=["packaged", "packaged+ood=objects"])
    text = _finding(df, x="dataset")
    assert "Best at dataset=packaged, worst at dataset=packaged+ood=objects" in text


def _cfg():
    from tests.test_config import load

    return load()


def test_tab2_finding_reads_the_gain_from_knowing_b():
    from gialib.experiments import get_experiment

    rows = []
    for k, unknown, known in [(1, 20.0, 20.5), (2, 18.0, 20.0), (3, 15.0, 19.5)]:
        for space in ("pixel", "latent"):
            for knows, psnr in ((False, unknown), (True, known)):
                rows.append({"local_updates": 2 * k, "num_batches": k, "batch_size": 10 // k,
                             "attack": f"{space}{'+knownB' if knows else ''}", "trial": 0,
                             "psnr": psnr, "lpips": float("nan"), "knows_batch_size": knows,
                             "provenance.attack.space": space})
    text = get_experiment("tab2", _cfg()).finding(pd.DataFrame(rows))
    assert "- **GIA-O**: N/B=1: +0.5; N/B=2: +2; N/B=3: +4.5; the gain grows as N/B grows" in text
    assert "**GIA-L**" in text


def test_fig4_finding_reads_each_panel_on_its_own():
    from gialib.experiments import get_experiment

    exp = get_experiment("fig4", _cfg())
    res = [(r, 1, 31.0 - r / 16) for r in (16, 32, 64, 128)]
    batch = [(16, n, 30.0 - n / 2) for n in (4, 16, 32)]
    df = pd.DataFrame([{"resolution": r, "num_examples": n, "batch_size": n, "psnr": p,
                        "lpips": float("nan"), "trial": 0, "attack": "G"} for r, n, p in res + batch])
    text = exp.finding(df)
    assert "Panel resolution (num_examples = 1)" in text and "Panel num_examples (resolution = 16)" in text
    assert "PSNR falls with resolution (Spearman rho = -1.00)" in text
    assert "PSNR falls with num_examples (Spearman rho = -1.00)" in text
    assert "num_examples=4, batch_size=4" not in text  # no one-point "groups"
