"""The report captions' findings: means per point, and each claim of the paper with its effect,
interval and verdict (gialib.ledger), never a direction read off a sign."""

import pandas as pd
import pytest

from gialib import stats
from gialib.experiments import get_experiment
from gialib.experiments.base import group_fields
from gialib.plots.tables import means_finding


def _cfg():
    from tests.test_config import load

    return load()


def _frame(x, y, **fields):
    n = len(x)
    return pd.DataFrame({"local_updates": x, "psnr": y, "lpips": [float("nan")] * n,
                         "trial": list(range(n)), "attack": ["A"] * n, **fields})


def test_means_finding_states_no_direction():
    df = _frame([1, 2, 4, 8], [30.0, 25.0, 20.0, 10.0])
    groups = ["attack", *group_fields(df, "local_updates", "attack")]
    text = means_finding(df, x="local_updates", groups=groups)
    assert "local_updates=1: 30; local_updates=2: 25" in text
    for word in ("falls", "rises", "Best", "worst", "Spearman"):
        assert word not in text


def _lpips_rows(by_x, x="local_updates", **fixed):
    return [{x: v, "trial": t, "lpips": value, "psnr": 20.0, **fixed}
            for v, values in by_x.items() for t, value in enumerate(values)]


def test_tab1_finding_gives_a_verdict_with_an_interval():
    exp = get_experiment("tab1", _cfg())
    df = pd.DataFrame(_lpips_rows({1: [0.02, 0.05, 0.04, 0.03], 8: [0.2, 0.3, 0.25, 0.22]}, attack="G_TV"))
    ledger = exp.ledger(df)
    assert list(ledger["verdict"]) == [stats.AS_PAPER]
    assert ledger["paired"].all() and ledger["low"].iloc[0] > 0
    text = exp.finding(df)
    assert "**as the paper**" in text and "95 % CI, paired" in text


def test_failure_against_failure_is_not_decidable_in_the_finding():
    exp = get_experiment("tab1", _cfg())
    df = pd.DataFrame(_lpips_rows({1: [0.5, 0.6, 0.55], 8: [0.6, 0.7, 0.65]}, attack="G_TV"))
    text = exp.finding(df)
    assert "**not decidable at this scale**" in text and "baseline reconstructed in 0% of trials" in text


def _tab2_frame(known_gain):
    rows = []
    for k in (1, 3):
        for space in ("pixel", "latent"):
            for knows in (False, True):
                base = 0.05 + (0.1 * (k - 1) if not knows else 0.0)
                for t in range(4):
                    value = base - (known_gain if knows and k == 3 else 0.0) + 0.001 * t
                    rows.append({"local_updates": k, "num_batches": k, "batch_size": 10 // k,
                                 "attack": f"{space}{'_knownB' if knows else ''}", "trial": t,
                                 "lpips": max(value, 0.0), "psnr": 20.0, "knows_batch_size": knows,
                                 "provenance.attack.space": space})
    return pd.DataFrame(rows)


def test_tab2_claims_unknown_b_degrades_known_b_holds_and_knowing_b_helps():
    exp = get_experiment("tab2", _cfg())
    ledger = exp.ledger(_tab2_frame(known_gain=0.0)).set_index("claim")
    assert ledger.loc["tab2: num_batches 1->3, attack=pixel", "expected"] == "worse"
    assert ledger.loc["tab2: num_batches 1->3, attack=pixel", "verdict"] == stats.AS_PAPER
    assert ledger.loc["tab2: num_batches 1->3, attack=pixel_knownB", "expected"] == "same"
    assert ledger.loc["tab2: num_batches 1->3, attack=pixel_knownB", "verdict"] == stats.AS_PAPER
    gain = ledger.loc["tab2: knowing B at N/B=3, GIA-O"]
    assert gain["baseline"] == "attack=pixel" and gain["variant"] == "attack=pixel_knownB"
    assert gain["expected"] == "better" and gain["estimate"] == pytest.approx(-0.2)
    assert "**GIA-L**" in exp.finding(_tab2_frame(known_gain=0.0))


def test_fig4_claims_hold_the_other_panel_field_fixed():
    exp = get_experiment("fig4", _cfg())
    at = exp.at
    rows = _lpips_rows({16: [0.02, 0.03], 64: [0.4, 0.5]}, x="resolution", num_examples=at["num_examples"],
                       batch_size=at["num_examples"], attack="G", dataset=exp.datasets["resolution"])
    # the batch panel's points at the same resolutions must not leak into the resolution claim
    rows += _lpips_rows({4: [0.9, 0.9], 32: [0.95, 0.95]}, x="num_examples", resolution=at["resolution"],
                        attack="G", dataset=exp.datasets["num_examples"])
    for r in rows:
        r.setdefault("batch_size", r["num_examples"])
    ledger = exp.ledger(pd.DataFrame(rows)).set_index("claim")
    res = ledger.loc[[c for c in ledger.index if "resolution 16->64" in c][0]]
    assert res["n_baseline"] == 2 and res["estimate"] == pytest.approx(0.425)


def test_variant_claims_follow_the_papers_signs():
    exp = get_experiment("tab4", _cfg())
    rows = []
    for variant, sign, base, values in (("baseline", "", True, [0.05, 0.06, 0.04]),
                                        ("R ReLU", "+", False, [0.01, 0.02, 0.01]),
                                        ("R bias", "-", False, [0.3, 0.35, 0.3]),
                                        ("mixed", "?", False, [0.1, 0.1, 0.1])):
        rows += [{"variant": variant, "expected": sign, "baseline": base, "family": "convnet",
                  "attack": "G_TV", "trial": t, "lpips": v, "psnr": 20.0} for t, v in enumerate(values)]
    ledger = exp.ledger(pd.DataFrame(rows)).set_index("variant")
    assert set(ledger.index) == {"variant=R ReLU", "variant=R bias"}  # no claim for a mixed change
    assert ledger.loc["variant=R ReLU", "expected"] == "better"
    assert ledger.loc["variant=R bias", "expected"] == "worse"
    assert set(ledger["verdict"]) == {stats.AS_PAPER}
    text = exp.finding(pd.DataFrame(rows))
    assert "Best" not in text and "worst" not in text


def test_the_default_config_tests_at_least_fifteen_claims():
    """Every claim the default run's targets declare, on frames with the columns their tables
    have (the values are placeholders: this counts claims, it judges none)."""
    cfg = _cfg()
    total = {}
    for name in cfg["experiments"]:
        exp = get_experiment(name, cfg)
        cells = exp.cells()
        df = pd.DataFrame([c.wildcards() for c in cells]).assign(lpips=0.05, psnr=20.0)
        if hasattr(exp, "variants"):
            info = exp.variants(cfg)
            for i, column in enumerate(("family", "variant", "expected", "baseline")):
                df[column] = [info[c][i] for c in cells]
        if hasattr(exp, "label_column"):
            df[exp.label_column] = [exp.label(d) for d in df["dataset"]]
        if name == "tab2":
            df["num_batches"] = [exp.batches_of[c] for c in cells]
            df["knows_batch_size"] = [cfg["attacks"][a].get("threat", {}).get("knows_batch_size", False)
                                      for a in df["attack"]]
            df["provenance.attack.space"] = [cfg["attacks"][a].get("space", "pixel") for a in df["attack"]]
        total[name] = len(exp.claims(df))
    assert sum(total.values()) >= 15, total
    assert all(total[t] > 0 for t in total if t != "fig7"), total
