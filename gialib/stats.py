"""Effects with bootstrap confidence intervals, and the verdict they support.

A finding compares the attack's quality in a *variant* (a larger U, a cut skip
connection, a defence) with a *baseline*. The effect is the mean of the metric in
the variant minus its mean in the baseline, with a percentile bootstrap interval:
paired (resampling trials, each trial's difference kept whole) when trial ``t``
attacks the same victims in both, unpaired (each side resampled on its own)
otherwise. The verdict reads the interval against what the paper reports, the
variant making the attack ``worse``, ``better``, or leaving it the ``same``:

- "as the paper": the interval excludes 0 on the paper's side (for ``same``: the
  interval lies inside the metric's equivalence margin, ``MARGINS``);
- "opposite": the interval excludes 0 on the other side (``same``: it lies wholly
  outside the margin);
- "no significant effect": the interval contains 0;
- "not decidable at this scale": the baseline is not reconstructed in most
  trials, so a further loss of quality cannot show (failure compared with
  failure), or a ``same`` claim whose interval is too wide to tell.

Every resample draws from a ``numpy`` generator seeded by the caller, so the same
config gives the same interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

AS_PAPER = "as the paper"
NO_EFFECT = "no significant effect"
OPPOSITE = "opposite"
UNDECIDABLE = "not decidable at this scale"
VERDICTS = (AS_PAPER, NO_EFFECT, OPPOSITE, UNDECIDABLE)

# Which way a metric moves when the attack does better.
HIGHER_IS_BETTER = {"lpips": False, "psnr": True, "ssim": True, "mse": False, "label_accuracy": True}
# What the paper says a variant does to the attack.
EXPECTED = ("worse", "better", "same")
# Equivalence margins for "same" claims: a difference the paper itself reads as "nearly as
# well" (Table III: LPIPS 0.061 against 0.062-0.071), about 1 dB of PSNR.
MARGINS = {"lpips": 0.05, "psnr": 1.0, "ssim": 0.05, "mse": 0.005, "label_accuracy": 0.1}
# The paper's reading of LPIPS (Sec. 3): below 0.1 reconstructed, above 0.3 failed.
LPIPS_RECONSTRUCTED = 0.1
LPIPS_FAILED = 0.3


@dataclass(frozen=True)
class Effect:
    """Mean(variant) - mean(baseline) of one metric, with its bootstrap interval."""

    estimate: float
    low: float
    high: float
    n_baseline: int
    n_variant: int
    paired: bool
    level: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def text(self, digits: int = 3) -> str:
        kind = "paired" if self.paired else "unpaired"
        return (f"{self.estimate:+.{digits}g} [{self.low:+.{digits}g}, {self.high:+.{digits}g}] "
                f"({self.level:.0%} CI, {kind} bootstrap, n = {self.n_baseline}/{self.n_variant})")


def _as_array(values: Sequence[float], what: str) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{what}: need a non-empty list of numbers, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{what}: non-finite value in {a.tolist()}")
    return a


def bootstrap_difference(baseline: Sequence[float], variant: Sequence[float], *, paired: bool, seed: int,
                         resamples: int = 10_000, level: float = 0.95) -> Effect:
    """Mean(variant) - mean(baseline) with a percentile bootstrap interval.

    ``paired``: ``baseline[i]`` and ``variant[i]`` come from the same victims (trial i);
    the trials are resampled together.
    """
    a = _as_array(baseline, "baseline")
    b = _as_array(variant, "variant")
    if not 0 < level < 1:
        raise ValueError(f"level {level} not in (0, 1)")
    rng = np.random.default_rng(seed)
    if paired:
        if a.size != b.size:
            raise ValueError(f"paired bootstrap needs equal trial counts, got {a.size} and {b.size}")
        diff = b - a
        idx = rng.integers(0, diff.size, size=(resamples, diff.size))
        draws = diff[idx].mean(axis=1)
    else:
        draws = (b[rng.integers(0, b.size, size=(resamples, b.size))].mean(axis=1)
                 - a[rng.integers(0, a.size, size=(resamples, a.size))].mean(axis=1))
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Effect(float(b.mean() - a.mean()), float(low), float(high), int(a.size), int(b.size),
                  paired, level)


def worse_sign(metric: str) -> int:
    """+1 if the metric rises when the attack does worse (LPIPS), -1 if it falls (PSNR)."""
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(HIGHER_IS_BETTER)}")
    return -1 if HIGHER_IS_BETTER[metric] else 1


def reconstructed_share(values: Sequence[float], metric: str) -> float:
    """Share of trials the attack reconstructs: LPIPS below the paper's 0.1.

    Only LPIPS has the paper's threshold; other metrics raise rather than guess one.
    """
    if metric != "lpips":
        raise ValueError(f"the paper's 'reconstructed' threshold is defined on LPIPS, not {metric!r}")
    a = _as_array(values, "baseline")
    return float((a < LPIPS_RECONSTRUCTED).mean())


def verdict(effect: Effect, metric: str, expected: str, *, baseline_broken: bool = True) -> str:
    """The verdict of ``effect`` (variant minus baseline of ``metric``) against the paper.

    ``expected``: the paper reports the variant makes the attack ``worse``, ``better`` or
    leaves it the ``same``. ``baseline_broken``: the attack reconstructs the baseline in
    most trials; without it a "worse" or "same" claim cannot be tested (failure against
    failure), while an improvement still shows.
    """
    if expected not in EXPECTED:
        raise ValueError(f"expected must be one of {EXPECTED}, got {expected!r}")
    if expected != "better" and not baseline_broken:
        return UNDECIDABLE
    if expected == "same":
        margin = MARGINS[metric]
        if -margin < effect.low and effect.high < margin:
            return AS_PAPER
        if effect.low > margin or effect.high < -margin:
            return OPPOSITE
        return UNDECIDABLE
    if not effect.excludes_zero:
        return NO_EFFECT
    paper = worse_sign(metric) * (1 if expected == "worse" else -1)
    observed = 1 if effect.low > 0 else -1
    return AS_PAPER if observed == paper else OPPOSITE
