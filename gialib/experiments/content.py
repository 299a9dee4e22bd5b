"""The base of the content targets (RQ3, Sec. 4.2.2: fig7, fig8): the victims' data set is the
x axis, a categorical one (bars, not lines), with a label column derived from its name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gialib.experiments.base import Experiment

if TYPE_CHECKING:
    import pandas as pd


class ContentExperiment(Experiment):
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
