"""Figs. 6-7 (RQ3, Sec. 4.2.2): reconstructing content with semantic detail, one kind at a time."""

from __future__ import annotations

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.content import ContentExperiment
from gialib.spec import parse_spec


@EXPERIMENTS.register("fig7")
class Fig7(ContentExperiment):
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
