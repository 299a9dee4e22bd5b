"""Figs. 4-5 (RQ2, Sec. 4.2.1): FedSGD against the training data's dimensions, in two panels."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gialib.experiments.base import EXPERIMENTS, Cell, Experiment, claims_finding, group_fields, sweep_claims

if TYPE_CHECKING:
    import pandas as pd

    from gialib.ledger import Claim

# Fig. 4's two panels: the swept field, its label, and the field held at ``at``.
FIG4_PANELS = (("resolution", "resolution (px)", "num_examples"),
               ("num_examples", "batch size N (FedSGD)", "resolution"))


class _Panel(Experiment):
    """One panel of a multi-panel target (shares the target's name in error messages)."""

    def __init__(self, name: str, cfg: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        self.name = name
        super().__init__(cfg, config)


@EXPERIMENTS.register("fig4")
class Fig4(Experiment):
    """Fig. 4 (+ Fig. 5 snapshots): FedSGD against (a) image resolution, (b) batch size.

    ``resolution`` is swept at ``at.num_examples`` and ``num_examples`` (the
    FedSGD batch size) at ``at.resolution``; the cells are the union of both
    panels (their shared point is attacked once).
    """

    name = "fig4"
    title = "Fig. 4: attack quality vs. data dimensions (FedSGD)"
    x = "resolution"
    x_label = "resolution (px)"
    claim = ("GIAs reconstruct low-dimensional data (32 px, small batches) but fail as resolution and "
             "batch size grow: above 128 px every method has LPIPS > 0.3; GIA-O succeeds up to "
             "batch size ~30, and GIA-L (G_gen) degrades most slowly.")

    def __init__(self, cfg: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        cfg = dict(cfg)
        at = cfg.pop("at", None)
        if not isinstance(at, dict) or set(at) != {"resolution", "num_examples"}:
            raise ValueError("`at` must give the fixed resolution and num_examples of the two panels")
        self.at = {k: int(v) for k, v in at.items()}
        super().__init__(cfg, config)
        self.panels = {x: _Panel(self.name, {**cfg, held: self.at[held]}, config)
                       for x, _, held in FIG4_PANELS}

    def cells(self) -> list[Cell]:
        out: list[Cell] = []
        for panel in self.panels.values():
            out += [c for c in panel.cells() if c not in out]
        return out

    def _panel_rows(self, df: pd.DataFrame, held: str) -> pd.DataFrame:
        return df[df[held] == self.at[held]]

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import summary_markdown

        parts = []
        for x, label, held in FIG4_PANELS:
            rows = self._panel_rows(df, held)
            parts.append(summary_markdown(rows, title=f"{self.title}, panel {x} ({held} = {self.at[held]})",
                                          x=x, x_label=label,
                                          rows=[self.hue, *group_fields(rows, x, self.hue)]))
        return "\n".join(parts)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.panels import panel_figure

        panel_figure([(self._panel_rows(df, held), x, f"{label} at {held} = {self.at[held]}")
                      for x, label, held in FIG4_PANELS], self.hue, self.title, path)

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Per panel and attack: the attack degrades from the smallest to the largest value (the
        held field fixed, so panel (b)'s batch sizes are not read as a resolution sweep)."""
        out = []
        for x, _, held in FIG4_PANELS:
            rows = self._panel_rows(df, held)
            for claim in sweep_claims(rows, target=self.name, x=x, expected="worse",
                                      groups=[self.hue, *group_fields(rows, x, self.hue)],
                                      text=f"reconstruction degrades as {x} grows"):
                out.append(replace(claim, where={**claim.where, held: self.at[held]}))
        return out

    def finding(self, df: pd.DataFrame) -> str:
        """The means per attack in each panel, then the claims' verdicts."""
        from gialib.plots.tables import means_finding

        parts = []
        for x, _, held in FIG4_PANELS:
            rows = self._panel_rows(df, held)
            parts.append(f"Panel {x} ({held} = {self.at[held]}):\n\n" + means_finding(
                rows, x=x, groups=[self.hue, *group_fields(rows, x, self.hue)]))
        return "\n".join(parts) + claims_finding(self.ledger(df))

    def grid(self, path: str) -> None:
        from gialib.plots.panels import stacked_grids

        parts = []
        for x, panel in self.panels.items():
            tiles, _, _, groups = self.grid_tiles(panel.cells(), x, self.hue)
            parts.append((tiles, x, groups))
        stacked_grids(parts, self.hue, "Fig. 5: snapshots", path)
