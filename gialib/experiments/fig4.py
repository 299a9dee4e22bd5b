"""Sec. 4.2 (RQ2, RQ3): the training data's dimensions (Fig. 4/5) and content (Figs. 6-8)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from gialib.experiments.plan import EXPERIMENTS, Cell, Experiment
from gialib.spec import parse_spec

if TYPE_CHECKING:
    import pandas as pd

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
             "batch size ~30, and GIA-L (G+gen) degrades most slowly.")

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
            view = SimpleNamespace(title=f"{self.title}, panel {x} ({held} = {self.at[held]})", x=x,
                                   x_label=label, hue=self.hue)
            parts.append(summary_markdown(self._panel_rows(df, held), view))
        return "\n".join(parts)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.panels import panel_figure

        panel_figure([(self._panel_rows(df, held), x, f"{label} at {held} = {self.at[held]}")
                      for x, label, held in FIG4_PANELS], self.hue, self.title, path)

    def finding(self, df: pd.DataFrame) -> str:
        """The trend per attack in each panel (the generic finding would group panel (b)'s
        batch sizes as if each were its own resolution sweep)."""
        from gialib.plots.tables import trend_finding

        return "\n".join(f"Panel {x} ({held} = {self.at[held]}):\n\n"
                         + trend_finding(self._panel_rows(df, held), SimpleNamespace(x=x, hue=self.hue))
                         for x, _, held in FIG4_PANELS)

    def grid(self, path: str) -> None:
        from gialib.plots.panels import stacked_grids

        stacked_grids([(panel.cells(), x) for x, panel in self.panels.items()], self.hue,
                      "Fig. 5: snapshots", path)


class _ContentExperiment(Experiment):
    """A target whose x axis is the victims' data set (categorical): bars, not lines.

    ``label_column`` is a CSV column derived from each row's dataset name by ``label``;
    ``plot_x`` is the column the bars are grouped by.
    """

    x = "dataset"
    plot_x: str = "dataset"
    label_column: str

    def label(self, dataset: str) -> str:
        raise NotImplementedError

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        df = super().collect(config)
        df.insert(1, self.label_column, [self.label(d) for d in df["dataset"]])
        return df

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.panels import category_figure

        category_figure(df, self.plot_x, self.hue, self.title, path)


@EXPERIMENTS.register("fig7")
class Fig7(_ContentExperiment):
    """Figs. 6-7: content with semantic detail (faces, clocks, text, rulers), one view per kind.

    The datasets are views ``content+victims=<class>``: the task and its public
    split stay whole (GIA-L's generator trains on all of it), only the victims are
    restricted to one kind of content.
    """

    name = "fig7"
    title = "Fig. 7: reconstructing content with semantic detail"
    x_label = "victims' content"
    plot_x = label_column = "content"
    claim = ("reconstructions keep colours and backgrounds but lose the details that carry the "
             "private information: a clock's hands, digits, text, a ruler's scale, facial features; "
             "GIA-L even replaces them by plausible but wrong content.")

    def label(self, dataset: str) -> str:
        return str(parse_spec(dataset).kwargs.get("victims", "all"))


@EXPERIMENTS.register("fig8")
class Fig8(_ContentExperiment):
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
        from gialib.plots.tables import _fmt, metrics_present

        lines = ["## In-distribution vs. out-of-distribution (all OOD sets pooled)", "",
                 "| attack | distribution | " + " | ".join(metrics_present(df)) + " |",
                 "|---|---|" + "---|" * len(metrics_present(df))]
        for (attack, dist), g in df.groupby(["attack", "distribution"]):
            cells = [_fmt(g[m].mean(), g[m].std()) for m in metrics_present(df)]
            lines.append(f"| {attack} | {dist} | " + " | ".join(cells) + " |")
        return super().summarize(df) + "\n" + "\n".join(lines) + "\n"
