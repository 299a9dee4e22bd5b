"""Fig. 8 (RQ3, Sec. 4.2.2): GIA-L on in-distribution vs. out-of-distribution victims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.content import ContentExperiment
from gialib.spec import parse_spec

if TYPE_CHECKING:
    import pandas as pd

    from gialib.ledger import Claim


@EXPERIMENTS.register("fig8")
class Fig8(ContentExperiment):
    """Fig. 8: GIA-L on in-distribution vs. out-of-distribution victims.

    The generator trains on the task's public split; the OOD victims are views of
    the same task (``packaged+ood=textures``, ``packaged+style=sketch`` ...) with
    the same model, labels and generator.
    """

    name = "fig8"
    title = "Fig. 8: GIA-L on in-distribution vs. out-of-distribution data"
    x_label = "victims' data set"
    claim = ("GIA-L performs badly on OOD data (Places, Textures, Objects, Styles): for pairs of "
             "similarly labelled images, LPIPS on ID data is much lower than on OOD data, because "
             "the generator can only produce what it learned from the in-distribution data.")

    label_column = "distribution"

    def label(self, dataset: str) -> str:
        """``ID`` for the task's own data (or one class of it); ``OOD`` for an ood= or style= view."""
        kwargs = parse_spec(dataset).kwargs
        return "OOD" if ("ood" in kwargs or "style" in kwargs) else "ID"

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Per attack: OOD victims are reconstructed worse than ID ones, all OOD sets pooled and,
        where the ID victims come from one data set, each OOD set on its own. Unpaired: the
        two sides are other images."""
        from gialib.ledger import Claim

        out = []
        for attack, part in df.groupby(self.hue):
            if set(part["distribution"]) != {"ID", "OOD"}:
                continue
            out.append(Claim(id=f"{self.name}: OOD (pooled) vs ID, {attack}",
                             text=f"GIA-L reconstructs OOD victims worse than ID ones ({attack}, OOD sets "
                                  "pooled)", field="distribution", baseline="ID", variant="OOD",
                             expected="worse", where={self.hue: attack}, paired=False))
            ids = sorted(part.loc[part["distribution"] == "ID", "dataset"].unique())
            if len(ids) != 1:
                continue
            for ood in sorted(part.loc[part["distribution"] == "OOD", "dataset"].unique()):
                out.append(Claim(id=f"{self.name}: {ood} vs {ids[0]}, {attack}",
                                 text=f"GIA-L reconstructs {ood} worse than {ids[0]} ({attack})",
                                 field="dataset", baseline=ids[0], variant=ood, expected="worse",
                                 where={self.hue: attack}, paired=False))
        return out

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import fmt, metrics_present

        lines = ["## In-distribution vs. out-of-distribution (all OOD sets pooled)", "",
                 "| attack | distribution | " + " | ".join(metrics_present(df)) + " |",
                 "|---|---|" + "---|" * len(metrics_present(df))]
        for (attack, dist), g in df.groupby(["attack", "distribution"]):
            cells = [fmt(g[m].mean(), g[m].std()) for m in metrics_present(df)]
            lines.append(f"| {attack} | {dist} | " + " | ".join(cells) + " |")
        return super().summarize(df) + "\n" + "\n".join(lines) + "\n"
