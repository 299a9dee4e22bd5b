"""Fig. 15's outputs: the trade-off table (Markdown) and the attack-quality-vs-accuracy figure.

Both take the trade-off points (one row per attack and defence, from
``gialib.experiments.fig15.points``) and the accuracy curves as data frames.
"""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gialib.paths import UNDEFENDED  # noqa: E402
from gialib.plots.figures import LABELS  # noqa: E402
from gialib.plots.tables import fmt, metrics_present  # noqa: E402

_MARKERS = ("o", "s", "^", "D", "v", "P")
_STYLES = ("-", "--", ":", "-.")


def _eps(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3g}"


NOT_MEASURED = "not measured"


def tradeoff_markdown(df: pd.DataFrame, pts: pd.DataFrame, curves: pd.DataFrame, reading: list[str],
                      utility: pd.DataFrame, *, title: str, thresholds: dict[str, float], drop: float,
                      defenses: list[str]) -> str:
    """The trade-off table of ``pts`` (then one row per utility-only run of ``utility``, its
    privacy columns *not measured*), the ``reading`` lines, and the accuracy per round of
    ``curves`` (defences in the order of ``defenses``); ``df``: the target's attacked rows."""
    metric = pts["quality"].iloc[0]
    scores = [m for m in metrics_present(df)]
    rounds = int(df["final_round"].iloc[0])
    lines = [f"# {title}", "",
             f"Attack quality: {metric} (mean ± sd over {df['trial'].nunique()} trials per cell); "
             f"utility: test accuracy of the global model after {rounds} FL rounds with the defence "
             f"applied to every client's update. Reconstruction threshold: {json.dumps(thresholds)}; "
             f"accuracy budget: a drop of at most {drop:.3f} from the undefended run. "
             "(epsilon, delta): one shared update under local DP, where defined.", ""]
    lines += [f"- {s}" for s in sorted(df["lpips_status"].unique())] + [""]
    table = pd.DataFrame({
        "attack": pts["attack"], "defence": pts["family"], "setting": pts["setting"],
        "test accuracy": pts["test_accuracy"].map("{:.3f}".format),
        "drop": pts["accuracy_drop"].map("{:+.3f}".format),
        **{m: [fmt(a, b, ".2f" if m == "psnr" else ".3f") for a, b in zip(pts[f"{m}_mean"], pts[f"{m}_sd"],
                                                                    strict=True)] for m in scores},
        "epsilon": pts["epsilon"].map(_eps), "delta": pts["delta"].map(_eps),
        "defended": pts["defended"].map({True: "yes", False: "no"}),
        "keeps utility": pts["keeps_utility"].map({True: "yes", False: "no"}),
        "best": pts["best"].map({True: "**best**", False: ""}),
    })
    if len(utility):  # trained for the accuracy axis only: no attack, so no privacy numbers
        table = pd.concat([table, pd.DataFrame({
            "attack": "not attacked", "defence": utility["family"], "setting": utility["setting"],
            "test accuracy": utility["test_accuracy"].map("{:.3f}".format),
            "drop": utility["accuracy_drop"].map("{:+.3f}".format),
            **{m: NOT_MEASURED for m in [*scores, "epsilon", "delta", "defended"]},
            "keeps utility": utility["keeps_utility"].map({True: "yes", False: "no"}), "best": ""})],
            ignore_index=True)
    lines += ["## Trade-off per defence and setting", "",
              table.to_markdown(index=False, disable_numparse=True), ""]
    lines += [f"- *not attacked* ({r.defense}): privacy {NOT_MEASURED}; {r.reason}."
              for r in utility.itertuples()]
    lines += ["", "## Reading", ""] + reading + [""]
    wide = curves.pivot(index="defense", columns="round", values="test_accuracy").loc[
        [d for d in defenses if d in set(curves["defense"])]]
    wide.columns = [f"round {c}" for c in wide.columns]
    lines += ["## Test accuracy per round", "", wide.reset_index().to_markdown(index=False,
                                                                               floatfmt=".3f"), ""]
    return "\n".join(lines)


def tradeoff_figure(df: pd.DataFrame, pts: pd.DataFrame, curves: pd.DataFrame, utility: pd.DataFrame, *,
                    title: str, thresholds: dict[str, float], drop: float, defenses: list[str],
                    path: str) -> None:
    """Attack quality vs final accuracy per metric, with the paper's lines, and accuracy per round.
    The utility-only runs of ``utility`` have no attack quality: they appear as ticks on the
    accuracy axis (marked "not attacked") and as accuracy curves."""
    metrics = [m for m in metrics_present(df) if m != "label_accuracy"]
    families = sorted(set(pts["family"]) | set(curves["family"]), key=lambda f: (f != UNDEFENDED, f))
    colors = dict(zip(families, ["black"] + sns.color_palette("tab10", len(families)), strict=False))
    markers = dict(zip(sorted(pts["attack"].unique()), _MARKERS, strict=False))
    base = float(pts.loc[pts["family"] == UNDEFENDED, "test_accuracy"].iloc[0])
    fig, axes = plt.subplots(1, len(metrics) + 1, figsize=(4.6 * (len(metrics) + 1), 4.0), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=False):
        for r in pts.itertuples():
            star = r.family == UNDEFENDED
            ax.errorbar(r.test_accuracy, getattr(r, f"{metric}_mean"), yerr=getattr(r, f"{metric}_sd"),
                        color=colors[r.family], marker="*" if star else markers[r.attack],
                        ms=13 if star else 6, capsize=2, lw=0.8, ls="none", zorder=4 if star else 2)
            ax.annotate(r.setting, (r.test_accuracy, getattr(r, f"{metric}_mean")), fontsize=6,
                        xytext=(4, 3), textcoords="offset points", color=colors[r.family])
            if r.best:
                ax.plot(r.test_accuracy, getattr(r, f"{metric}_mean"), marker="o", ms=15, mfc="none",
                        mec=colors[r.family], mew=1.5)
        if metric in thresholds:
            ax.axhline(thresholds[metric], color="tab:blue", lw=1, ls="--")
            ax.text(ax.get_xlim()[0], thresholds[metric], " reconstruction threshold", fontsize=7,
                    va="bottom", color="tab:blue")
        for r in utility.itertuples():  # accuracy only: a tick on the x axis, no attack quality
            ax.plot(r.test_accuracy, 0.0, marker="|", ms=14, mew=2, color=colors[r.family],
                    transform=ax.get_xaxis_transform(), clip_on=False)
            ax.annotate(f"{r.setting} (not attacked)", (r.test_accuracy, 0.0),
                        xycoords=("data", "axes fraction"), xytext=(2, 6), textcoords="offset points",
                        fontsize=5, rotation=90, color=colors[r.family])
        ax.axvline(base - drop, color="tab:red", lw=1, ls="--")
        ax.text(base - drop, ax.get_ylim()[0], f"undefended - {drop:g} ", fontsize=7, va="bottom",
                color="tab:red", rotation=90, ha="right")
        ax.set_xlabel("final test accuracy")
        ax.set_ylabel(LABELS.get(metric, metric))
    handles = [plt.Line2D([], [], color=colors[f], marker="*" if f == UNDEFENDED else "o", ls="none",
                          label=f) for f in families]
    handles += [plt.Line2D([], [], color="grey", marker=m, ls="none", label=a) for a, m in markers.items()]
    handles.append(plt.Line2D([], [], color="grey", marker="o", ms=11, mfc="none", ls="none",
                              label="best trade-off"))
    axes[0][0].legend(handles=handles, fontsize=7, loc="best")
    ax = axes[0][-1]
    seen: dict[str, int] = {}
    for defense in [d for d in defenses if d in set(curves["defense"])]:
        rows = curves[curves["defense"] == defense]
        fam = rows["family"].iloc[0]
        style = _STYLES[seen.setdefault(fam, 0) % len(_STYLES)]
        seen[fam] += 1
        ax.plot(rows["round"], rows["test_accuracy"], color=colors[fam], ls=style,
                lw=2 if fam == UNDEFENDED else 1.2, zorder=3 if fam == UNDEFENDED else 2, label=defense)
    ax.set_xlabel("FL round")
    ax.set_ylabel("test accuracy")
    ax.set_title("accuracy per round (one line per defence)", fontsize=8)
    ax.legend(fontsize=5, ncol=2)
    fig.suptitle(f"{title} (mean ± sd over {df['trial'].nunique()} trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
