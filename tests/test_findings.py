"""The report captions' findings are read off the data."""

import pandas as pd

from gialib.plots.tables import trend_finding


class _Exp:
    x = "local_updates"
    hue = "attack"


def _frame(x, y, **fields):
    n = len(x)
    return pd.DataFrame({"local_updates": x, "psnr": y, "lpips": [float("nan")] * n,
                         "trial": [0] * n, "attack": ["A"] * n, **fields})


def test_trend_is_read_off_the_data():
    text = trend_finding(_frame([1, 2, 4, 8], [30.0, 25.0, 20.0, 10.0]), _Exp())
    assert "PSNR falls with local_updates (Spearman rho = -1.00)" in text
    text = trend_finding(_frame([1, 2, 4, 8], [10.0, 20.0, 25.0, 30.0]), _Exp())
    assert "rises" in text and "falls" not in text


def test_a_field_fixed_by_the_swept_one_is_not_a_group():
    # Table II: B = ceil(N / k) moves with U; grouping by it would leave single points.
    text = trend_finding(_frame([2, 4, 6], [20.0, 18.0, 15.0], batch_size=[10, 5, 4]), _Exp())
    assert "batch_size=" not in text and "Spearman rho = -1.00" in text


def test_categorical_sweep_names_best_and_worst():
    exp = type("E", (), {"x": "dataset", "hue": "attack"})()
    df = _frame([0, 0], [25.0, 15.0]).assign(dataset=["packaged", "packaged+ood=objects"])
    text = trend_finding(df, exp)
    assert "Best at dataset=packaged, worst at dataset=packaged+ood=objects" in text
