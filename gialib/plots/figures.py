"""Seaborn figures of a target: each metric against the swept field, one line per attack."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gialib.plots.tables import metrics_present  # noqa: E402
from gialib.stats import LPIPS_FAILED, LPIPS_RECONSTRUCTED  # noqa: E402

# The paper's reading of LPIPS (its thresholds are written once, in gialib.stats).
LPIPS_LINES = {LPIPS_RECONSTRUCTED: f"reconstructed (< {LPIPS_RECONSTRUCTED})",
               LPIPS_FAILED: f"failed (> {LPIPS_FAILED})"}
LABELS = {"lpips": "LPIPS (lower is better)", "psnr": "PSNR in dB (higher is better)",
          "ssim": "SSIM (higher is better)", "label_accuracy": "label accuracy"}


def metric_figure(df: pd.DataFrame, *, x: str, hue: str, style: str | None, x_label: str, title: str,
                  path: str) -> None:
    """One panel per metric: mean ± sd over trials against ``x``, a line per ``hue`` (and
    ``style``) value."""
    metrics = [m for m in metrics_present(df) if m != "label_accuracy"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        sns.lineplot(data=df, x=x, y=metric, hue=hue, style=style, marker="o",
                     errorbar="sd", ax=ax)
        if metric == "lpips":
            for y, text in LPIPS_LINES.items():
                ax.axhline(y, color="grey", lw=0.8, ls="--")
                ax.text(ax.get_xlim()[0], y, text, fontsize=7, va="bottom", color="grey")
        ax.set_xlabel(x_label)
        ax.set_ylabel(LABELS.get(metric, metric))
        if df[x].dtype.kind in "iu":
            ax.set_xticks(sorted(df[x].unique()))
    fig.suptitle(title + f" (mean ± sd over {df['trial'].nunique()} trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
