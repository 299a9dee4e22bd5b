"""The privacy-utility trade-off of Fig. 15: attack quality against the model's final accuracy.

Pure functions on the fig15 table (one row per attacked update): average the
trials of each (attack, defence), compare with the undefended run, and mark per
defence the best trade-off. The paper's reading (Sec. 6): a point "defends" when
its attack quality is on the failed side of the reconstruction threshold (the blue
line, LPIPS), and "keeps utility" when its accuracy is at most ``accuracy_drop``
below the undefended model's (the red line, 5 %); the best trade-off of a defence
is its setting that defends best while keeping utility.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from gialib.paths import UNDEFENDED
from gialib.spec import parse_spec

# +1: a higher value means a better reconstruction (PSNR, SSIM); -1: a lower one (LPIPS).
DIRECTION = {"lpips": -1, "psnr": 1, "ssim": 1}


def quality_metric(df: pd.DataFrame) -> str:
    """The attack-quality measure: LPIPS where it was computed for every row, else PSNR."""
    return "lpips" if df["lpips"].notna().all() else "psnr"


def reconstructed(metric: str, value: float, threshold: float) -> bool:
    """True if ``value`` of ``metric`` is on the reconstructed side of ``threshold``."""
    return value * DIRECTION[metric] >= threshold * DIRECTION[metric]


def family(defense: str) -> str:
    """The defence's name: ``quantize`` for ``quantize+bits=4``."""
    return parse_spec(defense).name


def setting(defense: str) -> str:
    """The defence's parameters as text (``bits=4``), or the name for ``none``."""
    return defense.partition("+")[2] or defense


def points(df: pd.DataFrame, thresholds: dict[str, float], accuracy_drop: float) -> pd.DataFrame:
    """One row per (attack, defence): mean/sd scores, accuracy, drop, and the trade-off marks.

    Columns: ``attack``, ``defense``, ``family``, ``setting``, ``test_accuracy``,
    ``accuracy_drop`` (undefended minus defended, same attack), ``<metric>_mean`` /
    ``<metric>_sd`` per score, ``epsilon``, ``delta``, ``trials``, ``quality``
    (the metric used), ``defended`` (attack quality on the failed side of its
    threshold), ``keeps_utility`` (drop <= ``accuracy_drop``), ``best`` (per attack
    and family, among the settings that keep utility: the most accurate one that
    defends, else the one with the worst attack quality; a family none of whose
    settings keeps utility has no best).
    """
    if UNDEFENDED not in set(df["defense"]):
        raise ValueError(f"the trade-off needs the undefended run ({UNDEFENDED!r}) in the table")
    metric = quality_metric(df)
    scores = [m for m in ("lpips", "psnr", "ssim", "label_accuracy") if m in df]
    g = df.groupby(["attack", "defense"], sort=True)
    out = g[scores].agg(["mean", "std"])
    out.columns = [f"{m}_{'sd' if s == 'std' else s}" for m, s in out.columns]
    out["test_accuracy"] = g["test_accuracy"].first()
    out["epsilon"] = g["epsilon"].first()
    out["delta"] = g["delta"].first()
    out["trials"] = g["trial"].nunique()
    out = out.reset_index()
    base = out[out["defense"] == UNDEFENDED].set_index("attack")["test_accuracy"]
    out["accuracy_drop"] = out["attack"].map(base) - out["test_accuracy"]
    out["family"] = out["defense"].map(family)
    out["setting"] = out["defense"].map(setting)
    out["quality"] = metric
    out["defended"] = [not reconstructed(metric, v, thresholds[metric]) for v in out[f"{metric}_mean"]]
    # The small tolerance keeps a drop of exactly the limit (in float) inside it.
    out["keeps_utility"] = out["accuracy_drop"] <= accuracy_drop + 1e-9
    out["best"] = False
    for _, rows in out[(out["family"] != UNDEFENDED) & out["keeps_utility"]].groupby(["attack", "family"]):
        defending = rows[rows["defended"]]
        if len(defending):
            pick = defending.sort_values(["test_accuracy", f"{metric}_mean"],
                                         ascending=[False, DIRECTION[metric] > 0]).index[0]
        else:
            pick = rows[f"{metric}_mean"].mul(DIRECTION[metric]).idxmin()
        out.loc[pick, "best"] = True
    return out


def reading(pts: pd.DataFrame, thresholds: dict[str, float], accuracy_drop: float) -> list[str]:
    """One sentence per (attack, defence family), in the order of ``pts``: what its settings do."""
    metric = pts["quality"].iloc[0]
    unit = " dB" if metric == "psnr" else ""
    lines = []
    for attack, rows in pts.groupby("attack", sort=False):
        base = rows[rows["family"] == UNDEFENDED].iloc[0]
        lines.append(f"- {attack}, undefended: {metric} {base[f'{metric}_mean']:.2f}{unit}, "
                     f"test accuracy {base['test_accuracy']:.3f} (reconstructed at {metric} "
                     f"{'>=' if DIRECTION[metric] > 0 else '<='} {thresholds[metric]}{unit}; "
                     f"utility kept at a drop <= {accuracy_drop:.3f}).")
        for fam, f_rows in rows[rows["family"] != UNDEFENDED].groupby("family", sort=False):
            both = f_rows[f_rows["defended"] & f_rows["keeps_utility"]]
            parts = [f"{r.setting}: {metric} {getattr(r, metric + '_mean'):.2f}{unit}, "
                     f"accuracy {r.test_accuracy:.3f} (drop {r.accuracy_drop:+.3f})"
                     for r in f_rows.itertuples()]
            verdict = (f"breaks the attack within the accuracy budget with {', '.join(both['setting'])}"
                       if len(both) else
                       "breaks the attack only at a larger accuracy cost" if f_rows["defended"].any()
                       else "does not break the attack at any setting")
            lines.append(f"- {attack}, {fam} {verdict}; " + "; ".join(parts) + ".")
    return lines


def accuracy_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Long table (defense, round, test_accuracy) from the rows' per-round JSON lists."""
    rows: list[dict[str, Any]] = []
    for defense, acc in df.groupby("defense", sort=True)["test_accuracy_per_round"].first().items():
        values = json.loads(acc) if isinstance(acc, str) else list(acc)
        rows += [{"defense": defense, "round": r, "test_accuracy": a} for r, a in enumerate(values)
                 if not (isinstance(a, float) and math.isnan(a))]
    return pd.DataFrame(rows)
