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

LEDGER_COLUMNS = ("claim", "target", "text", "expected", "metric", "baseline", "variant", "estimate", "low",
                  "high", "n_baseline", "n_variant", "paired", "baseline_reconstructed", "verdict", "note")
# Fewest trials a side for a verdict: a bootstrap over one or two trials gives no interval.
MIN_TRIALS = 3


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, as a comparison of two groups of rows of a target's table."""

    id: str
    text: str
    field: str
    baseline: Any
    variant: Any
    # What the paper says the variant does to the attack: "worse", "better" or "same".
    expected: str
    # Other columns fixed for both groups (e.g. {"attack": "G_TV"}).
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


def judge(effect: stats.Effect, metric: str, expected: str, share: float) -> tuple[str, str]:
    """(verdict, why it could not be decided or "") of one claim's effect.

    Undecidable before any interval is read: fewer than ``MIN_TRIALS`` trials a side (a
    bootstrap of one or two trials is no interval), or, for a "worse" or "same" claim, a
    baseline not reconstructed in most trials, or no LPIPS to tell (the paper's threshold is
    defined on LPIPS only; no PSNR cut-off is guessed).
    """
    n = min(effect.n_baseline, effect.n_variant)
    if n < MIN_TRIALS:
        return stats.UNDECIDABLE, f"{n} trial(s) a side, fewer than {MIN_TRIALS}"
    if expected != "better":
        if pd.isna(share):
            return stats.UNDECIDABLE, "no LPIPS: whether the baseline is reconstructed is unknown"
        if share <= 0.5:
            return stats.UNDECIDABLE, f"baseline reconstructed in {share:.0%} of trials"
    verdict = stats.verdict(effect, metric, expected)
    if verdict == stats.UNDECIDABLE:
        return verdict, f"interval wider than the equivalence margin ({stats.MARGINS[metric]:g})"
    return verdict, ""


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
        verdict, note = judge(effect, metric, claim.expected, share)
        rows.append({
            "claim": claim.id, "target": target, "text": claim.text, "expected": claim.expected,
            "metric": metric,
            "baseline": f"{claim.field}={base_value}", "variant": f"{claim.field}={variant_value}",
            "estimate": effect.estimate, "low": effect.low, "high": effect.high,
            "n_baseline": effect.n_baseline, "n_variant": effect.n_variant, "paired": effect.paired,
            "baseline_reconstructed": share, "verdict": verdict, "note": note,
        })
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def _effect_text(row: pd.Series) -> str:
    return f"{row['estimate']:+.3g} [{row['low']:+.3g}, {row['high']:+.3g}]"


def _reconstructed_text(share: float) -> str:
    return "n/a (no LPIPS)" if pd.isna(share) else f"{share:.0%}"


def finding_lines(ledger: pd.DataFrame) -> list[str]:
    """One reStructuredText bullet per claim: what the paper says, the effect with its 95 %
    interval (variant minus baseline), the baseline's reconstructed share and the verdict."""
    out = []
    for _, row in ledger.iterrows():
        share = _reconstructed_text(row["baseline_reconstructed"])
        note = row["note"] if isinstance(row["note"], str) and row["note"] else ""
        out.append(f"- **{row['verdict']}**: {row['text']} (paper: {row['expected']}). "
                   f"{row['metric'].upper()} {row['variant']} minus {row['baseline']}: "
                   f"{_effect_text(row)} (95 % CI, {'paired' if row['paired'] else 'unpaired'}, "
                   f"n = {row['n_baseline']}/{row['n_variant']}); baseline reconstructed "
                   f"(LPIPS < {stats.LPIPS_RECONSTRUCTED}) in {share} of trials."
                   + (f" Why: {note}." if note else ""))
    return out


def ledger_markdown(ledger: pd.DataFrame) -> str:
    """The ledger as the report's opening table."""
    if ledger.empty:
        return "No claim was evaluated.\n"
    shown = ledger.fillna({"note": ""}).assign(effect=[_effect_text(row) for _, row in ledger.iterrows()],
                          reconstructed=[_reconstructed_text(s) for s in ledger["baseline_reconstructed"]])
    columns = ["claim", "target", "text", "verdict", "expected", "metric", "baseline", "variant", "effect",
               "reconstructed", "note"]
    return shown[columns].to_markdown(index=False) + "\n"


def summary_counts(ledger: pd.DataFrame) -> str:
    """How many claims got each verdict, and what the effect and interval mean."""
    counts = ledger["verdict"].value_counts() if not ledger.empty else pd.Series(dtype=int)
    parts = [f"{int(counts.get(v, 0))} {v}" for v in stats.VERDICTS]
    return (f"{len(ledger)} claim(s) of the paper tested by this run: " + ", ".join(parts) + ". "
            "Effect: the metric's mean in the variant minus the baseline, with its 95 % bootstrap "
            "interval (paired over trials on the same victims where the design allows). "
            f"'{stats.UNDECIDABLE}' (the note says which): fewer than {MIN_TRIALS} trials a side; or, "
            f"for a 'worse' or 'same' claim, a baseline reconstructed (LPIPS < {stats.LPIPS_RECONSTRUCTED}) "
            "in at most half of its trials or no LPIPS to tell, so a loss of quality cannot show; or a "
            "'same' claim's interval wider than its equivalence margin "
            f"({', '.join(f'{k} {v:g}' for k, v in stats.MARGINS.items())}).\n")
