"""Fig. 10's table and figure: attack quality, test accuracy and IGSA per window of rounds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gialib.plots.figures import LABELS  # noqa: E402
from gialib.plots.tables import fmt, lpips_computed  # noqa: E402

_COLUMNS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "lpips": "LPIPS", "test_accuracy": "test accuracy",
            "igsa": "IGSA (higher = smoother)"}


def _metrics(df: pd.DataFrame) -> list[str]:
    return [m for m in _COLUMNS if m != "lpips" or lpips_computed(df)]


def _windows(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of each metric per model and window of rounds (models in config order)."""
    models = pd.Categorical(df["model"], categories=list(dict.fromkeys(df["model"])), ordered=True)
    g = df.assign(model=models).groupby(["model", "window", "rounds"], observed=True)
    return g[_metrics(df)].agg(["mean", "std"]).reset_index()


def training_stage_markdown(df: pd.DataFrame, *, title: str, window: int, note: str = "") -> str:
    g = _windows(df)
    metrics = _metrics(df)
    rows = []
    for _, r in g.iterrows():
        row = {"model": r[("model", "")], "rounds": r[("rounds", "")]}
        for m in metrics:
            row[_COLUMNS[m]] = fmt(r[(m, "mean")], r[(m, "std")], ".4g", ".2g")
        rows.append(row)
    lines = [f"# {title}", "",
             f"Attack: {', '.join(sorted(df['attack'].unique()))}; {df['trial'].nunique()} trial(s) "
             f"(victims) per round, the same victims every round. Rounds averaged in windows of "
             f"{window}. Each entry: mean ± sd over the window's rounds and trials. Test "
             "accuracy from the round's checkpoint; IGSA (Sec. 5.1.1) from `results/igsa/` "
             f"(samples {df['igsa_config.samples'].iloc[0]}, probes {df['igsa_config.probes'].iloc[0]}, "
             f"radius {df['igsa_config.radius'].iloc[0]}, weighting "
             f"{df['igsa_config.weighting'].iloc[0]}). {note}".rstrip(), ""]
    lines += [f"- {s}" for s in sorted(df["lpips_status"].unique())] + [""]
    lines += [pd.DataFrame(rows).to_markdown(index=False), "", "## First vs. last window", ""]
    trend = []
    for model, part in g.groupby(("model", ""), sort=False):
        first, last = part.iloc[0], part.iloc[-1]
        trend.append({"model": model, **{
            _COLUMNS[m]: f"{first[(m, 'mean')]:.4g} -> {last[(m, 'mean')]:.4g}" for m in metrics}})
    lines += [pd.DataFrame(trend).to_markdown(index=False), ""]
    return "\n".join(lines)


def training_stage_figure(df: pd.DataFrame, *, title: str, window: int, path: str) -> None:
    metrics = _metrics(df)
    data = df.assign(**{"round window": df["window"] * window})
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.9 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        sns.lineplot(data=data, x="round window", y=metric, hue="model", marker="o",
                     errorbar="sd", ax=ax, legend=metric == metrics[0])
        if metric == "igsa":
            ax.set_yscale("log")
        ax.set_xlabel(f"FL round (windows of {window})" if window > 1 else "FL round")
        ax.set_ylabel(LABELS.get(metric, _COLUMNS[metric]))
    fig.suptitle(title + f" (mean ± sd, {df['trial'].nunique()} trial(s) per round)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
