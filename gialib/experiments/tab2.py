"""Table II (RQ1, Sec. 4.1.2): GIA against mini-batch SGD, the adversary knowing B or not."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gialib.experiments.base import EXPERIMENTS, Cell, Experiment, as_list

if TYPE_CHECKING:
    import pandas as pd

    from gialib.ledger import Claim

# The paper's attack families by the space an attack searches.
FAMILIES = {"pixel": "GIA-O", "latent": "GIA-L"}


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
    # The paper's axis: N/B (k), not U = E * k (the same only at E = 1); E is stated in the
    # title and the axis label of every output (set per config in __init__).
    x = "num_batches"
    x_label = "mini-batches N/B"
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
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        e = f"E = {self.epochs} epoch{'s' if self.epochs > 1 else ''}"
        self.title = f"{type(self).title}, {e}"
        self.x_label = f"{type(self).x_label} ({e}: U = {self.epochs}·N/B local steps)"
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

    def grid_tiles(self, cells: list[Cell], x: str, hue: str) -> tuple[list, str, str, list[str]]:
        """The default tiles, each cell's fields with its N/B (the axis; not a path field)."""
        tiles, x, hue, groups = super().grid_tiles(cells, "local_updates", hue)
        tiles = [({**fields, "num_batches": self.batches_of[Cell(**fields)]}, truth, recon)
                 for fields, truth, recon in tiles]
        return tiles, self.x, hue, [g for g in groups if g not in ("batch_size", "local_updates")]

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
        space = df["provenance.attack.space"].map(FAMILIES)
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

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Along N/B per attack: B unknown -> the attack degrades; B known -> it stays the same.
        Then, per attack family at the largest N/B: knowing B makes the attack better."""
        from gialib.experiments.base import sweep_claims
        from gialib.ledger import Claim

        out = []
        for knows, part in df.groupby("knows_batch_size"):
            out += sweep_claims(part, target=self.name, x=self.x, groups=[self.hue, *self.groups(part)],
                                expected="same" if knows else "worse",
                                text="reconstruction " + ("holds as N/B grows when B is known" if knows
                                                          else "degrades as N/B grows when B is unknown"))
        last = df[df["num_batches"] == df["num_batches"].max()]
        for family, part in last.groupby(last["provenance.attack.space"].map(FAMILIES)):
            attacks = part.groupby("knows_batch_size")["attack"].unique()
            if len(attacks) != 2 or len(attacks[False]) != 1 or len(attacks[True]) != 1:
                continue  # no single pair of attacks that differ only in knowing B
            k = int(part["num_batches"].iloc[0])
            out.append(Claim(id=f"{self.name}: knowing B at N/B={k}, {family}",
                             text=f"knowing B helps at N/B = {k} ({family})", field="attack",
                             baseline=attacks[False][0], variant=attacks[True][0], expected="better",
                             where={"num_batches": k}))
        return out

    def finding(self, df: pd.DataFrame) -> str:
        """The means per attack, the gain from knowing B per N/B, then the claims' verdicts."""
        from gialib.experiments.base import claims_finding
        from gialib.plots.tables import means_finding, primary_metric

        metric = primary_metric(df)
        lines = [means_finding(df, x=self.x, groups=[self.hue, *self.groups(df)]),
                 "What knowing B buys (mean known minus unknown, "
                 f"{metric.upper()}{'; negative helps' if metric == 'lpips' else ''}):", ""]
        gap = self.knowing_b_gap(df, metric)
        for family, row in ([] if gap is None else gap.iterrows()):
            lines.append(f"- **{family}**: " + "; ".join(f"N/B={k}: {v:+.3g}" for k, v in row.items()) + ".")
        return "\n".join(lines) + "\n" + claims_finding(self.ledger(df))
