"""The claims ledger: each claim of the paper a target tests, with its effect, interval and verdict.

A target declares its claims as ``Claim`` records: which rows of its table are
the baseline and which the variant (a swept field's value, ``"first"`` or
``"last"`` of its sorted values, plus fixed columns such as the attack), and
which way the paper says the variant moves the attack. ``evaluate`` turns them
into one row each, from the target's results table alone (data frames in, data
frames out: no file is read here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gialib import stats

LEDGER_COLUMNS = ("claim", "target", "text", "metric", "baseline", "variant", "estimate", "low", "high",
                  "n_baseline", "n_variant", "paired", "baseline_reconstructed", "verdict")


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, as a comparison of two groups of rows of a target's table."""

    id: str
    text: str
    field: str
    baseline: Any
    variant: Any
    # True: the paper says the variant makes the attack worse (False: better).
    paper_says_worse: bool
    # Other columns fixed for both groups (e.g. {"attack": "G+TV"}).
    where: dict[str, Any] = field(default_factory=dict)
    # Trial t attacks the same victims in baseline and variant (paired bootstrap).
    paired: bool = True


def _resolve(df: pd.DataFrame, column: str, value: Any) -> Any:
    if value in ("first", "last"):
        values = sorted(df[column].unique())
        return values[0] if value == "first" else values[-1]
    return value


def _rows(df: pd.DataFrame, claim: Claim, column: str, value: Any) -> pd.DataFrame:
    for key in [column, *claim.where]:
        if key not in df:
            raise ValueError(f"claim {claim.id}: the table has no column {key!r}")
    mask = df[column] == value
    for key, fixed in claim.where.items():
        mask &= df[key] == fixed
    part = df[mask]
    if part.empty:
        raise ValueError(f"claim {claim.id}: no row with {column}={value!r} and {claim.where}")
    return part.sort_values("trial")


def claim_seed(seed: int, claim_id: str) -> int:
    """A claim's bootstrap seed: the config's seed and the claim's name, stable across runs."""
    digest = hashlib.sha256(f"{seed}:{claim_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def evaluate(df: pd.DataFrame, claims: list[Claim], *, target: str, metric: str, seed: int) -> pd.DataFrame:
    """One ledger row per claim: effect (variant minus baseline), interval and verdict."""
    rows = []
    for claim in claims:
        base_value = _resolve(df, claim.field, claim.baseline)
        variant_value = _resolve(df, claim.field, claim.variant)
        base = _rows(df, claim, claim.field, base_value)
        variant = _rows(df, claim, claim.field, variant_value)
        paired = claim.paired and list(base["trial"]) == list(variant["trial"])
        effect = stats.bootstrap_difference(base[metric], variant[metric], paired=paired,
                                            seed=claim_seed(seed, claim.id))
        share = stats.reconstructed_share(base[metric], metric) if metric == "lpips" else float("nan")
        # Without LPIPS there is no paper threshold: the baseline counts as broken and the
        # ledger shows the share as n/a rather than a guessed PSNR cut-off.
        broken = share > 0.5 if metric == "lpips" else True
        rows.append({
            "claim": claim.id, "target": target, "text": claim.text, "metric": metric,
            "baseline": f"{claim.field}={base_value}", "variant": f"{claim.field}={variant_value}",
            "estimate": effect.estimate, "low": effect.low, "high": effect.high,
            "n_baseline": effect.n_baseline, "n_variant": effect.n_variant, "paired": effect.paired,
            "baseline_reconstructed": share,
            "verdict": stats.verdict(effect, metric, claim.paper_says_worse, baseline_broken=broken),
        })
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def ledger_markdown(ledger: pd.DataFrame) -> str:
    """The ledger as the report's opening table."""
    if ledger.empty:
        return "No claim was evaluated.\n"
    shown = ledger.assign(
        effect=[f"{e:+.3g} [{lo:+.3g}, {hi:+.3g}]"
                for e, lo, hi in zip(ledger["estimate"], ledger["low"], ledger["high"], strict=True)],
        reconstructed=["n/a" if pd.isna(s) else f"{s:.0%}" for s in ledger["baseline_reconstructed"]],
    )
    columns = ["claim", "target", "text", "verdict", "metric", "baseline", "variant", "effect",
               "reconstructed"]
    return shown[columns].to_markdown(index=False) + "\n"
