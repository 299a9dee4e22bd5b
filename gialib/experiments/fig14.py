"""Fig. 14 (RQ5, Sec. 5.2.1): DenseNet's dense connections against connection-reduced variants."""

from __future__ import annotations

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.variants import VariantStudy


@EXPERIMENTS.register("fig14")
class Fig14(VariantStudy):
    """Fig. 14: DenseNet-43/53 baselines (dense connections) against [74]'s connection-reduced
    variants (``connections=sht1``: variant 1, ``sht2``: variant 2)."""

    name = "fig14"
    title = "Fig. 14: GIA vs. the number of dense (skip) connections (DenseNet)"
    effects = {("connections", "sht1"): ("variant 1 (sht1)", "-"),
               ("connections", "sht2"): ("variant 2 (sht2)", "-")}
    claim = ("images that the baselines leak are largely unrecognisable from variant 1 and not "
             "inverted at all from variant 2: fewer skip connections, less informative gradients.")
