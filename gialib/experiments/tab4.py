"""Table IV (RQ5, Sec. 5.2.3): the ConvNet's micro designs against the baseline."""

from __future__ import annotations

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.variants import VariantStudy


@EXPERIMENTS.register("tab4")
class Tab4(VariantStudy):
    """Table IV: the ConvNet's micro designs; the baseline is the first model listed (the
    standard ConvNet: bias, ReLU, two max-pools, one dropout layer, 3x3 kernels, padding 1)."""

    name = "tab4"
    title = "Table IV: GIA vs. the ConvNet's micro designs"
    effects = {("relu", False): ("R ReLU", "+"), ("dropout", 0.0): ("R DropOut", "+"),
               ("maxpool", False): ("R MaxPool2d", "+"), ("kernel_size", 5): ("I kernel to 5", "+"),
               ("bias", False): ("R bias", "-"), ("kernel_size", 2): ("D kernel to 2", "-"),
               ("kernel_size", 1): ("D kernel to 1", "-"), ("padding", 2): ("I padding to 2", "-"),
               ("padding", 3): ("I padding to 3", "-")}
    claim = ("removing ReLU, dropout or max-pooling, or a larger kernel, makes the model more "
             "vulnerable (+); removing bias, smaller kernels or more padding make it more "
             "resilient (-).")
