"""The claims ledger (gialib.ledger) on hand-made tables."""

import pandas as pd
import pytest

from gialib import ledger, stats


def _table(lpips_by_u):
    rows = []
    for u, values in lpips_by_u.items():
        for t, v in enumerate(values):
            rows.append({"local_updates": u, "attack": "G_TV", "trial": t, "lpips": v})
    return pd.DataFrame(rows)


CLAIM = ledger.Claim("tab1.U", "LPIPS rises with U", "local_updates", "first", "last",
                     "worse", where={"attack": "G_TV"})


def test_a_clear_rise_is_as_the_paper():
    df = _table({1: [0.05, 0.06, 0.04, 0.08], 4: [0.1] * 4, 8: [0.2, 0.25, 0.22, 0.3]})
    row = ledger.evaluate(df, [CLAIM], target="tab1", metric="lpips", seed=0).iloc[0]
    assert row["baseline"] == "local_updates=1" and row["variant"] == "local_updates=8"
    assert row["paired"] and row["low"] > 0
    assert row["baseline_reconstructed"] == 1.0
    assert row["verdict"] == stats.AS_PAPER


def test_failure_against_failure_is_not_decidable():
    df = _table({1: [0.5, 0.55, 0.6, 0.52], 8: [0.6, 0.65, 0.7, 0.62]})
    row = ledger.evaluate(df, [CLAIM], target="tab1", metric="lpips", seed=0).iloc[0]
    assert row["verdict"] == stats.UNDECIDABLE


def test_same_seed_same_ledger():
    df = _table({1: [0.05, 0.2, 0.04, 0.08], 8: [0.1, 0.15, 0.02, 0.3]})
    a = ledger.evaluate(df, [CLAIM], target="tab1", metric="lpips", seed=5)
    b = ledger.evaluate(df, [CLAIM], target="tab1", metric="lpips", seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert "tab1.U" in ledger.ledger_markdown(a)


def test_a_claim_on_missing_rows_is_an_error():
    df = _table({1: [0.05], 8: [0.1]})
    bad = ledger.Claim("x", "x", "local_updates", 1, 8, "worse", where={"attack": "G_BN"})
    with pytest.raises(ValueError, match="claim x: no row"):
        ledger.evaluate(df, [bad], target="tab1", metric="lpips", seed=0)


def test_too_few_trials_decide_nothing():
    df = _table({1: [0.01, 0.02], 8: [0.5, 0.6]})
    row = ledger.evaluate(df, [CLAIM], target="tab1", metric="lpips", seed=0).iloc[0]
    assert row["verdict"] == stats.UNDECIDABLE and "2 trial(s) a side" in row["note"]


def test_without_lpips_a_worse_claim_is_not_decidable_but_a_better_one_is():
    df = _table({1: [30.0, 31.0, 29.0], 8: [10.0, 11.0, 12.0]}).rename(columns={"lpips": "psnr"})
    worse = ledger.evaluate(df, [CLAIM], target="tab1", metric="psnr", seed=0).iloc[0]
    assert worse["verdict"] == stats.UNDECIDABLE and "no LPIPS" in worse["note"]
    better = ledger.Claim("b", "b", "local_updates", "last", "first", "better", where={"attack": "G_TV"})
    row = ledger.evaluate(df, [better], target="tab1", metric="psnr", seed=0).iloc[0]
    assert row["verdict"] == stats.AS_PAPER and row["note"] == ""
    assert "Why:" not in ledger.finding_lines(ledger.evaluate(df, [better], target="t", metric="psnr",
                                                               seed=0))[0]
