"""benchmarks/attack_variant_on_target.py: the overlay it runs and the paired comparison it prints."""

import sys

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from attack_variant_on_target import overlay, paired_effects  # noqa: E402


def _table(rows):
    base = dict(dataset="d", resolution=16, model="m", round=0, defense="none", protocol="fedavg",
                num_examples=1, batch_size=1, mse=0.1, ssim=0.5, psnr=20.0, label_accuracy=1.0)
    return pd.DataFrame([{**base, **r} for r in rows])


def test_overlay_adds_the_variant_and_runs_the_target_on_both():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    extra = overlay(config, "tab1", "G_TV", {"signed": True, "priors.tv": 0.2})
    assert extra["experiments"] == {"tab1": {"attack": ["G_TV", "G_TV_variant"]}}
    variant = extra["attacks"]["G_TV_variant"]
    assert variant["signed"] is True and variant["priors"] == {"tv": 0.2}
    assert config["attacks"]["G_TV"]["priors"] == {"tv": 0.05}  # the config is not changed
    with pytest.raises(SystemExit, match="G_nope"):
        overlay(config, "tab1", "G_nope", {})


def test_paired_effect_is_the_mean_of_the_per_trial_differences():
    rows = [dict(local_updates=u, trial=t, attack=a, lpips=lp)
            for u, t, base, var in [(1, 0, 0.1, 0.2), (1, 1, 0.3, 0.3), (2, 0, 0.2, 0.5), (2, 1, 0.4, 0.4)]
            for a, lp in (("G_TV", base), ("G_TV_variant", var))]
    lines = paired_effects(_table(rows), "G_TV", seed=0)
    first = next(line for line in lines if line.startswith("lpips"))
    assert "+0.1 [" in first and "n = 4/4" in first  # (0.1 + 0 + 0.3 + 0) / 4
    with pytest.raises(SystemExit, match="same cells"):
        paired_effects(_table(rows[:-1]), "G_TV", seed=0)
