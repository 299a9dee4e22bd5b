"""Bootstrap effects and verdicts (gialib.stats)."""

import numpy as np
import pytest

from gialib import stats


def test_paired_interval_excludes_zero_for_a_consistent_shift():
    base = [0.05, 0.08, 0.12, 0.07, 0.09, 0.06]
    variant = [b + 0.1 for b in base]
    e = stats.bootstrap_difference(base, variant, paired=True, seed=0)
    assert e.estimate == pytest.approx(0.1)
    # every trial moved by exactly 0.1: the paired interval is that point
    assert e.low == pytest.approx(0.1) and e.high == pytest.approx(0.1)
    assert e.excludes_zero


def test_unpaired_interval_is_wider_than_paired_on_the_same_data():
    rng = np.random.default_rng(3)
    base = rng.normal(0.2, 0.05, size=8)
    variant = base + 0.03 + rng.normal(0, 0.005, size=8)
    paired = stats.bootstrap_difference(base, variant, paired=True, seed=1)
    unpaired = stats.bootstrap_difference(base, variant, paired=False, seed=1)
    assert paired.high - paired.low < unpaired.high - unpaired.low
    assert paired.excludes_zero and not unpaired.excludes_zero


def test_same_seed_same_interval_other_seed_other_interval():
    base, variant = [0.1, 0.3, 0.2, 0.25], [0.2, 0.1, 0.4, 0.3]
    a = stats.bootstrap_difference(base, variant, paired=False, seed=7)
    b = stats.bootstrap_difference(base, variant, paired=False, seed=7)
    c = stats.bootstrap_difference(base, variant, paired=False, seed=8)
    assert a == b
    assert (a.low, a.high) != (c.low, c.high)


def test_verdicts_follow_the_metric_direction():
    worse_lpips = stats.Effect(0.1, 0.05, 0.15, 4, 4, True)
    # LPIPS up = attack worse: the paper says worse -> as the paper
    assert stats.verdict(worse_lpips, "lpips", "worse") == stats.AS_PAPER
    assert stats.verdict(worse_lpips, "lpips", "better") == stats.OPPOSITE
    # PSNR up = attack better
    assert stats.verdict(worse_lpips, "psnr", "worse") == stats.OPPOSITE
    flat = stats.Effect(0.01, -0.02, 0.04, 4, 4, True)
    assert stats.verdict(flat, "lpips", "worse") == stats.NO_EFFECT


def test_a_failed_baseline_cannot_get_worse():
    e = stats.Effect(0.1, 0.05, 0.15, 4, 4, True)
    assert stats.verdict(e, "lpips", "worse", baseline_broken=False) == stats.UNDECIDABLE
    # an improvement over a failed baseline still shows
    assert stats.verdict(e, "psnr", "better", baseline_broken=False) == stats.AS_PAPER


def test_reconstructed_share_uses_the_papers_lpips_threshold():
    assert stats.reconstructed_share([0.05, 0.09, 0.2, 0.5], "lpips") == 0.5
    with pytest.raises(ValueError, match="LPIPS"):
        stats.reconstructed_share([20.0], "psnr")


@pytest.mark.parametrize("bad", [[], [float("nan")], [[0.1, 0.2]]])
def test_bad_input_is_named(bad):
    with pytest.raises(ValueError, match="baseline"):
        stats.bootstrap_difference(bad, [0.1], paired=False, seed=0)


def test_paired_needs_equal_counts():
    with pytest.raises(ValueError, match="equal trial counts"):
        stats.bootstrap_difference([0.1, 0.2], [0.1], paired=True, seed=0)


def test_same_claims_need_the_interval_inside_the_margin():
    inside = stats.Effect(0.01, -0.02, 0.03, 4, 4, True)
    assert stats.verdict(inside, "lpips", "same") == stats.AS_PAPER
    outside = stats.Effect(0.2, 0.1, 0.3, 4, 4, True)
    assert stats.verdict(outside, "lpips", "same") == stats.OPPOSITE
    wide = stats.Effect(0.0, -0.2, 0.2, 4, 4, True)
    assert stats.verdict(wide, "lpips", "same") == stats.UNDECIDABLE
    # equal failures say nothing about equal leakage
    assert stats.verdict(inside, "lpips", "same", baseline_broken=False) == stats.UNDECIDABLE
    with pytest.raises(ValueError, match="expected"):
        stats.verdict(inside, "lpips", "equal")
