"""Multi-panel figures (Fig. 4's two sweeps) and bar charts over categorical victims' sets (Figs. 7-8)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gialib.plots.figures import LABELS, LPIPS_LINES  # noqa: E402
from gialib.plots.grids import Tile, reconstruction_grid  # noqa: E402
from gialib.plots.tables import metrics_present  # noqa: E402


def _metrics(df: pd.DataFrame) -> list[str]:
    return [m for m in metrics_present(df) if m != "label_accuracy"]


def _lpips_lines(ax, metric: str) -> None:
    if metric == "lpips":
        for y, text in LPIPS_LINES.items():
            ax.axhline(y, color="grey", lw=0.8, ls="--")
            ax.text(ax.get_xlim()[0], y, text, fontsize=7, va="bottom", color="grey")


def panel_figure(panels: list[tuple[pd.DataFrame, str, str]], hue: str, title: str, path: str) -> None:
    """One row per panel (its rows, swept field, x label), one column per metric; mean ± sd."""
    metrics = _metrics(pd.concat([p[0] for p in panels]))
    fig, axes = plt.subplots(len(panels), len(metrics), figsize=(4.2 * len(metrics), 3.3 * len(panels)),
                             squeeze=False)
    for row, (df, x, label) in enumerate(panels):
        for ax, metric in zip(axes[row], metrics, strict=True):
            sns.lineplot(data=df, x=x, y=metric, hue=hue, marker="o", errorbar="sd", ax=ax)
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(df[x].unique()), [str(v) for v in sorted(df[x].unique())])
            _lpips_lines(ax, metric)
            ax.set_xlabel(label)
            ax.set_ylabel(LABELS.get(metric, metric))
    trials = pd.concat([p[0] for p in panels])["trial"].nunique()
    fig.suptitle(f"{title} (mean ± sd over {trials} trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def category_figure(df: pd.DataFrame, x: str, hue: str, title: str, path: str) -> None:
    """Bars (mean ± sd) per victims' set and attack, with every trial as a dot."""
    metrics = _metrics(df)
    order = list(dict.fromkeys(df[x]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(1.2 * len(order) * len(metrics) + 2, 3.8),
                             squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        sns.barplot(data=df, x=x, y=metric, hue=hue, order=order, errorbar="sd", ax=ax, alpha=0.7)
        sns.stripplot(data=df, x=x, y=metric, hue=hue, order=order, dodge=True, ax=ax, size=3,
                      palette="dark:black", legend=False)
        _lpips_lines(ax, metric)
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.tick_params(axis="x", rotation=30, labelsize=7)
    fig.suptitle(f"{title} (mean ± sd over {df['trial'].nunique()} trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def stacked_grids(parts: list[tuple[list[Tile], str, list[str], str]], hue: str, title: str,
                  path: str) -> None:
    """Reconstruction grids of several panels (tiles, swept field, groups, the panel's label),
    stacked into one image."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        images = []
        for k, (tiles, x, groups, label) in enumerate(parts):
            out = str(Path(tmp) / f"{k}.png")
            reconstruction_grid(tiles, x, hue, groups, title=f"{title}: {label}", path=out)
            images.append(np.asarray(Image.open(out).convert("RGB")))
    width = max(i.shape[1] for i in images)
    padded = [np.pad(i, ((0, 0), (0, width - i.shape[1]), (0, 0)), constant_values=255) for i in images]
    Image.fromarray(np.concatenate(padded)).save(path)
