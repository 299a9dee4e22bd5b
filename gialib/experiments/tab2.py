"""Table II (RQ1, Sec. 4.1.2): GIA against mini-batch SGD, the adversary knowing B or not."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gialib.experiments.base import EXPERIMENTS, Cell, Experiment, as_list

if TYPE_CHECKING:
    import pandas as pd


def split_batches(num_examples: int, num_batches: int) -> int:
    """B such that N images make exactly ``num_batches`` mini-batches: B = ceil(N / k).

    Not every N allows every k (N = 8 cannot make 5 batches: B = 2 gives 4); N = 10
    allows k = 1..5 (B = 10, 5, 4, 3, 2).
    """
    if not 1 <= num_batches <= num_examples:
        raise ValueError(f"num_batches {num_batches} not in 1..num_examples={num_examples}")
    b = math.ceil(num_examples / num_batches)
    if math.ceil(num_examples / b) != num_batches:
        raise ValueError(f"num_examples={num_examples} cannot be cut into {num_batches} mini-batches "
                         f"(B = ceil(N/k) = {b} gives {math.ceil(num_examples / b)}); choose N = 10 "
                         "for N/B in 1..5")
    return b


@EXPERIMENTS.register("tab2")
class Tab2(Experiment):
    """Table II: the client runs one epoch of mini-batch SGD over k = N/B batches (U = E * k).

    Config keys beyond the cell fields: ``num_batches`` (k, swept) and ``epochs``
    (E, default 1); ``batch_size`` and ``local_updates`` are derived and appear in
    every path. Whether the adversary knows B is its attack's
    ``threat.knows_batch_size`` (two attack entries), a CSV column.
    """

    name = "tab2"
    title = "Table II: attack quality vs. number of mini-batches N/B (B known or not)"
    x = "local_updates"
    x_label = "mini-batches N/B (= U)"
    claim = ("when the adversary knows B and simulates the client's mini-batch steps, reconstruction "
             "succeeds for every N/B (LPIPS 0.05-0.09 on CIFAR-10); when it does not and matches "
             "one full-batch step, quality falls as N/B grows (LPIPS 0.066 at N/B = 1 to 0.116 at 5 "
             "for GIA-O), so knowing B helps more as N/B grows.")

    def __init__(self, cfg: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        cfg = dict(cfg)
        for key in ("batch_size", "local_updates"):
            if key in cfg:
                raise ValueError(f"{key} is derived from num_batches (B = ceil(N/k), U = epochs * k)")
        if "num_batches" not in cfg:
            raise ValueError("missing key num_batches (N/B values to sweep)")
        self.num_batches = [int(k) for k in as_list(cfg.pop("num_batches"))]
        # k of each cell, as the sweep gave it (the CSV's column; never recomputed from N and B).
        self.batches_of: dict[Cell, int] = {}
        self.epochs = int(cfg.pop("epochs", 1))
        super().__init__(cfg, config)

    def sweep(self) -> dict[str, list[Any]]:
        return {**super().sweep(), "num_batches": self.num_batches}

    def make_cell(self, values: dict[str, Any]) -> Cell:
        v = dict(values)
        k = int(v.pop("num_batches"))
        if v["protocol"] != "fedavg":
            raise ValueError(f"experiments.{self.name}: mini-batch SGD needs protocol fedavg")
        try:
            v["batch_size"] = split_batches(int(v["num_examples"]), k)
        except ValueError as exc:
            raise ValueError(f"experiments.{self.name}: {exc}") from exc
        v["local_updates"] = self.epochs * k
        cell = super().make_cell(v)
        self.batches_of[cell] = k
        return cell

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        df = super().collect(config)
        df.insert(df.columns.get_loc("local_updates") + 1, "num_batches",
                  [self.batches_of[c] for c in self.cells()])  # the rows are the cells, in order
        # Moved next to the attack (the table's point), not copied: each column once.
        df.insert(df.columns.get_loc("attack") + 1, "knows_batch_size",
                  df.pop("provenance.attack.threat.knows_batch_size").astype(bool))
        return df

    @staticmethod
    def knowing_b_gap(df: pd.DataFrame, metric: str) -> pd.DataFrame | None:
        """Mean ``metric`` with B known minus B unknown: one row per attack family (GIA-O,
        GIA-L), one column per N/B; None without both kinds of attack."""
        space = df["provenance.attack.space"].map({"pixel": "GIA-O", "latent": "GIA-L"})
        g = df.assign(family=space).groupby(["family", "num_batches", "knows_batch_size"])[metric]
        means = g.mean().unstack("knows_batch_size")
        if True not in means or False not in means:
            return None
        return (means[True] - means[False]).unstack("num_batches")

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import metrics_present

        text = super().summarize(df)
        lines = ["## What knowing B buys", "",
                 "Mean over trials with B known minus B unknown, per attack family "
                 "(positive PSNR/SSIM and negative LPIPS: knowing B helps).", ""]
        for metric in [m for m in metrics_present(df) if m != "label_accuracy"]:
            gap = self.knowing_b_gap(df, metric)
            if gap is None:
                continue
            gap.columns = [f"N/B={c}" for c in gap.columns]
            lines += [f"### {metric}", "", gap.round(4).reset_index().to_markdown(index=False), ""]
        return text + "\n" + "\n".join(lines)

    def finding(self, df: pd.DataFrame) -> str:
        """The trend per attack, then the paper's point: the gain from knowing B against N/B."""
        import pandas as pd

        from gialib.plots.tables import primary_metric

        metric = primary_metric(df)
        lines = [super().finding(df), "What knowing B buys (known minus unknown, "
                 f"{metric.upper()}{'; negative helps' if metric == 'lpips' else ''}):", ""]
        gap = self.knowing_b_gap(df, metric)
        for family, row in ([] if gap is None else gap.iterrows()):
            values = "; ".join(f"N/B={k}: {v:+.3g}" for k, v in row.items())
            rho = pd.Series(row.index, dtype=float).corr(pd.Series(row.values), method="spearman")
            gain = -rho if metric == "lpips" else rho
            trend = ("no trend can be read off" if len(row) < 2 or math.isnan(rho) else
                     f"the gain {'grows' if gain > 0 else 'shrinks'} as N/B grows "
                     f"(Spearman rho = {rho:+.2f})")
            lines.append(f"- **{family}**: {values}; {trend}.")
        return "\n".join(lines) + "\n"
