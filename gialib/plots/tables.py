"""Markdown summaries: mean ± std over trials, one column per value of the swept field."""

from __future__ import annotations

import math

import pandas as pd


def lpips_computed(df: pd.DataFrame) -> bool:
    """The one rule for LPIPS: it is reported (and is the primary metric) only where every row
    has it; a table that mixes computed and missing LPIPS is compared on PSNR."""
    return bool(len(df)) and bool(df["lpips"].notna().all())


def metrics_present(df: pd.DataFrame) -> list[str]:
    """Metrics to report: LPIPS only where it was computed, then PSNR and SSIM."""
    return (["lpips"] if lpips_computed(df) else []) + ["psnr", "ssim", "label_accuracy"]


def primary_metric(df: pd.DataFrame) -> str:
    """LPIPS where it was computed (the paper's metric), else PSNR."""
    return "lpips" if lpips_computed(df) else "psnr"


def fmt(mean: float | None, sd: float | None, digits: str = ".4f", sd_digits: str | None = None) -> str:
    """``mean ± sd`` in the format spec ``digits`` (``sd_digits`` for the sd, default the same);
    ``mean`` alone when sd is undefined (one trial), ``n/a`` when there is no mean."""
    if mean is None or math.isnan(mean):
        return "n/a"
    if sd is None or math.isnan(sd):
        return f"{mean:{digits}}"
    return f"{mean:{digits}} ± {sd:{sd_digits or digits}}"


def summary_markdown(df: pd.DataFrame, *, title: str, x: str, x_label: str, rows: list[str]) -> str:
    """Per metric, a table of mean ± sd over trials: one row per value of ``rows``, one column
    per value of ``x``."""
    status = sorted(df["lpips_status"].unique())
    lines = [f"# {title}", "", f"Trials per cell: {df['trial'].nunique()}. "
             "Each entry: mean ± std over trials.", ""]
    lines += [f"- {s}" for s in status] + [""]
    for metric in metrics_present(df):
        g = df.groupby(rows + [x])[metric].agg(["mean", "std"]).reset_index()
        g["value"] = [fmt(m, s) for m, s in zip(g["mean"], g["std"], strict=True)]
        table = g.pivot_table(index=rows, columns=x, values="value", aggfunc="first")
        table.columns = [f"{x_label}={c}" for c in table.columns]
        lines += [f"## {metric}", "", table.reset_index().to_markdown(index=False), ""]
    return "\n".join(lines)


def means_finding(df: pd.DataFrame, *, x: str, groups: list[str]) -> str:
    """Per group (the attack, and other fields the experiment groups by): the primary metric's
    mean at each value of ``x``. No direction is read off here: the verdicts, with their
    intervals, come from the target's claims (``gialib.ledger``)."""
    metric = primary_metric(df)
    better = "lower" if metric == "lpips" else "higher"
    lines = [f"Metric: {metric.upper()} ({better} is better), mean over "
             f"{df['trial'].nunique()} trial(s) per point."]
    for key, part in df.groupby(groups):
        label = ", ".join(f"{g}={v}" for g, v in zip(groups, key, strict=True))
        means = part.groupby(x)[metric].mean()
        lines.append(f"- **{label}**: " + "; ".join(f"{x}={v}: {m:.3g}" for v, m in means.items()) + ".")
    return "\n".join(lines) + "\n"
