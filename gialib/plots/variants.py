"""Tables and figures of the architecture targets: each variant against its family's baseline."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gialib.plots.figures import LABELS  # noqa: E402
from gialib.plots.tables import fmt, metrics_present  # noqa: E402


def _over_trials(values: pd.Series, digits: int = 4) -> str:
    """``fmt`` of the mean and sd of ``values`` (the trials of one variant)."""
    return fmt(values.mean(), values.std(), f".{digits}g", ".2g")


def paired_deltas(df: pd.DataFrame, metric: str) -> pd.Series:
    """Per row: ``metric`` minus its family baseline's on the same trial (same victim images)."""
    base = df[df["baseline"]].set_index(["family", "trial"])[metric]
    if base.index.duplicated().any():
        raise ValueError("a family has more than one baseline row per trial")
    return df[metric] - [base.get((f, t), float("nan")) for f, t in zip(df["family"], df["trial"],
                                                                         strict=True)]


def variants_markdown(df: pd.DataFrame, *, title: str) -> str:
    metrics = [m for m in metrics_present(df) if m != "label_accuracy"]
    df = df.assign(delta=paired_deltas(df, "psnr"), expected=df["expected"].fillna(""))
    rows = []
    for (family, variant), part in df.groupby(["family", "variant"], sort=False):
        first = part.iloc[0]
        row = {"family": family, "variant": variant,
               "parameters used (share)": f"{first['parameters']:,} ({first['parameter_share']:.2%})"}
        row.update({m.upper() if m != "ssim" else "SSIM": _over_trials(part[m]) for m in metrics})
        if first["baseline"]:
            row.update({"ΔPSNR vs baseline (paired)": "—", "paper": "", "observed": ""})
        else:
            d = part["delta"]
            row["ΔPSNR vs baseline (paired)"] = _over_trials(d, 3)
            row["paper"] = first["expected"]
            row["observed"] = (f"{'+' if d.mean() > 0 else '-'} ({int((d > 0).sum())}/{len(d)} "
                               "trials higher)")
        rows.append(row)
    lines = [f"# {title}", "",
             f"Attack(s): {', '.join(dict.fromkeys(df['attack']))}; {df['trial'].nunique()} trials "
             "(victims) per variant, the same victims for every variant. Entries: mean ± sd over "
             "trials. ΔPSNR: the variant's PSNR minus its family baseline's on the same victim. "
             "'paper': the paper's reading of the change (+ helps the attacker, - hurts it); "
             "'observed': the sign of the mean ΔPSNR (+: better reconstructions).", ""]
    lines += [f"- {s}" for s in sorted(df["lpips_status"].unique())] + [""]
    lines += [pd.DataFrame(rows).to_markdown(index=False), ""]
    return "\n".join(lines)


def variants_figure(df: pd.DataFrame, *, title: str, path: str) -> None:
    metrics = [m for m in metrics_present(df) if m != "label_accuracy"]
    n = df["variant"].nunique()
    fig, axes = plt.subplots(len(metrics), 1, figsize=(max(5.0, 0.75 * n + 2), 2.9 * len(metrics)),
                             squeeze=False)
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        sns.pointplot(data=df, x="variant", y=metric, hue="family", errorbar="sd",
                      dodge=0.3 if df["family"].nunique() > 1 else False,
                      linestyle="none", capsize=0.1, ax=ax, legend=metric == metrics[0])
        ax.set_xlabel("")
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle(title + f" (mean ± sd over {df['trial'].nunique()} trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
