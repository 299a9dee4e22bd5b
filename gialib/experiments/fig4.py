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
    FedSGD batch size) at ``at.resolution``. ``dataset`` is one dataset for both
    panels or one per panel, keyed by the field it sweeps (``{resolution: packaged,
    num_examples: fashion-mnist}``: resolution needs large images, the batch panel
    a real labelled task). The cells are the union of both panels: a point of both
    (same dataset, resolution and N) is attacked once.
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
        dataset = cfg.get("dataset")
        swept = {x for x, _, _ in FIG4_PANELS}
        if isinstance(dataset, dict) and set(dataset) != swept:
            raise ValueError(f"`dataset` per panel must name the dataset of each panel by the field it "
                             f"sweeps ({', '.join(sorted(swept))}), got {sorted(dataset)}")
        # Each panel's dataset(s): the per-panel entry, or the one value for both.
        self.datasets = {x: dataset[x] if isinstance(dataset, dict) else dataset for x in swept}
        super().__init__(cfg, config)
        self.panels = {x: _Panel(self.name, {**cfg, held: self.at[held], "dataset": self.datasets[x]},
                                 config)
                       for x, _, held in FIG4_PANELS}

    def cells(self) -> list[Cell]:
        out: list[Cell] = []
        for panel in self.panels.values():
            out += [c for c in panel.cells() if c not in out]
        return out

    def _panel_datasets(self, x: str) -> list[str]:
        """Panel ``x``'s datasets as its cells name them (canonical spec strings)."""
        return sorted({c.dataset for c in self.panels[x].cells()})

    def _panel_fixed(self, x: str, held: str) -> dict[str, Any]:
        """What panel ``x`` holds fixed: its ``held`` field and, when it has one, its dataset
        (so the batch panel's N = 1 point on one dataset is no resolution point of another)."""
        datasets = self._panel_datasets(x)
        return {held: self.at[held], **({"dataset": datasets[0]} if len(datasets) == 1 else {})}

    def _panel_rows(self, df: pd.DataFrame, x: str, held: str) -> pd.DataFrame:
        """The rows of panel ``x``: its held value and its dataset(s)."""
        return df[(df[held] == self.at[held]) & df["dataset"].isin(self._panel_datasets(x))]

    def _panel_label(self, x: str, label: str, held: str) -> str:
        return f"{label} at {held} = {self.at[held]}, on {', '.join(self._panel_datasets(x))}"

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import summary_markdown

        parts = []
        for x, label, held in FIG4_PANELS:
            rows = self._panel_rows(df, x, held)
            parts.append(summary_markdown(rows, title=f"{self.title}, panel {x}: "
                                          f"{self._panel_label(x, label, held)}",
                                          x=x, x_label=label,
                                          rows=[self.hue, *group_fields(rows, x, self.hue)]))
        return "\n".join(parts)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.panels import panel_figure

        panel_figure([(self._panel_rows(df, x, held), x, self._panel_label(x, label, held))
                      for x, label, held in FIG4_PANELS], self.hue, self.title, path)

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Per panel and attack: the attack degrades from the smallest to the largest value (the
        held field and the panel's dataset fixed, so panel (b)'s batch sizes are not read as a
        resolution sweep)."""
        out = []
        for x, _, held in FIG4_PANELS:
            rows = self._panel_rows(df, x, held)
            for claim in sweep_claims(rows, target=self.name, x=x, expected="worse",
                                      groups=[self.hue, *group_fields(rows, x, self.hue)],
                                      text=f"reconstruction degrades as {x} grows"):
                out.append(replace(claim, where={**claim.where, **self._panel_fixed(x, held)}))
        return out

    def finding(self, df: pd.DataFrame) -> str:
        """The means per attack in each panel, then the claims' verdicts."""
        from gialib.plots.tables import means_finding

        parts = []
        for x, label, held in FIG4_PANELS:
            rows = self._panel_rows(df, x, held)
            parts.append(f"Panel {x} ({self._panel_label(x, label, held)}):\n\n" + means_finding(
                rows, x=x, groups=[self.hue, *group_fields(rows, x, self.hue)]))
        return "\n".join(parts) + claims_finding(self.ledger(df))

    def grid(self, path: str) -> None:
        from gialib.plots.panels import stacked_grids

        parts = []
        for x, label, held in FIG4_PANELS:
            tiles, _, _, groups = self.grid_tiles(self.panels[x].cells(), x, self.hue)
            parts.append((tiles, x, groups, self._panel_label(x, label, held)))
        stacked_grids(parts, self.hue, "Fig. 5: snapshots", path)
