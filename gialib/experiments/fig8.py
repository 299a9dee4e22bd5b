"""Fig. 8 (RQ3, Sec. 4.2.2): GIA-L on in-distribution vs. out-of-distribution victims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.content import ContentExperiment
from gialib.spec import parse_spec

if TYPE_CHECKING:
    import pandas as pd


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

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import fmt, metrics_present

        lines = ["## In-distribution vs. out-of-distribution (all OOD sets pooled)", "",
                 "| attack | distribution | " + " | ".join(metrics_present(df)) + " |",
                 "|---|---|" + "---|" * len(metrics_present(df))]
        for (attack, dist), g in df.groupby(["attack", "distribution"]):
            cells = [fmt(g[m].mean(), g[m].std()) for m in metrics_present(df)]
            lines.append(f"| {attack} | {dist} | " + " | ".join(cells) + " |")
        return super().summarize(df) + "\n" + "\n".join(lines) + "\n"
