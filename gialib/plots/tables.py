"""Markdown summaries: mean ± std over trials, one column per value of the swept field."""

from __future__ import annotations

import math

import pandas as pd

from gialib.experiments.plan import CELL_FIELDS, Experiment


def metrics_present(df: pd.DataFrame) -> list[str]:
    """Metrics to report: LPIPS only where it was computed, then PSNR and SSIM."""
    out = ["lpips"] if df["lpips"].notna().any() else []
    return out + ["psnr", "ssim", "label_accuracy"]


def varying(df: pd.DataFrame, exclude: tuple[str, ...]) -> list[str]:
    """Cell fields that take more than one value in this table (the row keys)."""
    return [f for f in CELL_FIELDS if f not in exclude and f in df and df[f].nunique() > 1]


def _fmt(mean: float, std: float) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.4f} ± {std:.4f}" if not math.isnan(std) else f"{mean:.4f}"


def summary_markdown(df: pd.DataFrame, exp: Experiment) -> str:
    rows = varying(df, exclude=(exp.x, "trial")) or [exp.hue]
    status = sorted(df["lpips_status"].unique())
    lines = [f"# {exp.title}", "", f"Trials per cell: {df['trial'].nunique()}. "
             "Each entry: mean ± std over trials.", ""]
    lines += [f"- {s}" for s in status] + [""]
    for metric in metrics_present(df):
        g = df.groupby(rows + [exp.x])[metric].agg(["mean", "std"]).reset_index()
        g["value"] = [_fmt(m, s) for m, s in zip(g["mean"], g["std"], strict=True)]
        table = g.pivot_table(index=rows, columns=exp.x, values="value", aggfunc="first")
        table.columns = [f"{exp.x_label or exp.x}={c}" for c in table.columns]
        lines += [f"## {metric}", "", table.reset_index().to_markdown(index=False), ""]
    return "\n".join(lines)


def primary_metric(df: pd.DataFrame) -> str:
    """LPIPS where it was computed (the paper's metric), else PSNR."""
    return "lpips" if df["lpips"].notna().any() else "psnr"


def trend_finding(df: pd.DataFrame, exp: Experiment) -> str:
    """Per attack (and other varying fields): the metric at each swept value and its trend.

    The trend is Spearman's rank correlation between the swept value and the
    per-trial metric (pandas), so "falls" / "rises" is read off the data, not assumed.
    A categorical swept field (a dataset view, a model variant) has no order: the
    finding names its best and worst value instead.
    """
    metric = primary_metric(df)
    # A field fixed by the swept one (Table II's B = ceil(N / k) with U = E * k) is not a
    # group: grouping by it would leave one point per group and no trend to read.
    groups = [exp.hue] + [g for g in varying(df, exclude=(exp.x, "trial"))
                          if g != exp.hue and df.groupby(exp.x)[g].nunique().max() > 1]
    better = "lower" if metric == "lpips" else "higher"
    lines = [f"Metric: {metric.upper()} ({better} is better), mean over "
             f"{df['trial'].nunique()} trial(s) per point."]
    for key, part in df.groupby(groups):
        label = ", ".join(f"{g}={v}" for g, v in zip(groups, key, strict=True))
        means = part.groupby(exp.x)[metric].mean()
        values = "; ".join(f"{exp.x}={x}: {m:.3g}" for x, m in means.items())
        if len(means) >= 2 and not pd.api.types.is_numeric_dtype(part[exp.x]):
            best = means.idxmin() if metric == "lpips" else means.idxmax()
            worst = means.idxmax() if metric == "lpips" else means.idxmin()
            lines.append(f"- **{label}**: {values}. Best at {exp.x}={best}, worst at {exp.x}={worst}.")
            continue
        rho = part[[exp.x, metric]].astype(float).corr(method="spearman").iloc[0, 1]
        if len(means) < 2 or math.isnan(rho):
            trend = "no trend can be read off"
        else:
            direction = "rises" if rho > 0 else "falls"
            trend = f"{metric.upper()} {direction} with {exp.x} (Spearman rho = {rho:+.2f})"
        lines.append(f"- **{label}**: {values}. {trend}.")
    return "\n".join(lines) + "\n"
