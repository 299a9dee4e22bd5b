"""Model architecture targets (RQ5, Sec. 5.2): skip connections (Fig. 13, Fig. 14), net-in-net
(Table III) and micro designs (Table IV).

Each compares variants with a baseline. A variant is a model spec (surgery is a
builder argument: ``resnet18+cut_skip=3``, ``densenet43+connections=sht1``,
``convnet+relu=false``) or, for Table III, an attack whose ``parameters`` restrict
the matched gradient to one NIN block. Variants of one family (the builder's
name; Table III: the model) are compared with the family's baseline, the first
of the family in the config's list, on the same victims (trial t attacks the
same images in every variant), so the difference per trial is paired.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from gialib import paths
from gialib.experiments.plan import EXPERIMENTS, Cell, Experiment
from gialib.spec import parse_spec

if TYPE_CHECKING:
    import pandas as pd

# The paper's sign convention: "+" the change helps the attacker, "-" it hurts.
Effect = tuple[str, str]


def _checkpoint(cell: Cell) -> str:
    return paths.CHECKPOINT.format(**{**cell.wildcards()})


class VariantStudy(Experiment):
    """A baseline and its variants; rows of the table are variants, grouped by family."""

    x = "variant"
    hue = "family"
    # Which cell field carries the variants.
    variant_field: ClassVar[str] = "model"
    # The paper's name and expected effect of a change, by (argument, value).
    effects: ClassVar[dict[tuple[str, Any], Effect]] = {}
    # Expected effect of any change not listed in ``effects``.
    default_effect: ClassVar[str] = ""

    # -- what a variant is --

    def family_and_changes(self, cell: Cell, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(family, every builder argument of the cell's model spec, defaults filled in)."""
        from gialib.models.registry import MODELS

        spec = parse_spec(cell.model)
        defaults = {k: p.default for k, p in inspect.signature(MODELS.get(spec.name)).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        return spec.name, {**defaults, **spec.kwargs}

    def label(self, changes: dict[str, Any]) -> tuple[str, str]:
        """(variant label, expected effect) of ``changes`` relative to the baseline."""
        if not changes:
            return "baseline", ""
        names, signs = [], set()
        for key, value in sorted(changes.items()):
            name, sign = self.effects.get((key, value), (f"{key}={value}", self.default_effect))
            names.append(name)
            signs.add(sign)
        return " + ".join(names), signs.pop() if len(signs) == 1 else "?"

    def variants(self, config: dict[str, Any]) -> dict[Cell, tuple[str, str, str, bool]]:
        """Per cell: (family, variant label, expected effect, is baseline)."""
        out: dict[Cell, tuple[str, str, str, bool]] = {}
        base: dict[str, dict[str, Any]] = {}
        for cell in self.cells():
            family, kwargs = self.family_and_changes(cell, config)
            reference = base.setdefault(family, kwargs)
            keys = set(kwargs) | set(reference)
            changes = {k: kwargs.get(k) for k in keys if kwargs.get(k) != reference.get(k)}
            out[cell] = (family, *self.label(changes), not changes)
        return out

    # -- pipeline hooks --

    def inputs(self) -> list[str]:
        """Scores, plus the attacked checkpoints (parameter counts of each variant)."""
        return super().inputs() + sorted({_checkpoint(c) for c in self.cells()})

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        from gialib.fl.server import load_checkpoint
        from gialib.models.subsets import parameter_share, select_parameters

        df = super().collect(config)
        cells = self.cells()
        info = self.variants(config)
        for i, column in enumerate(("family", "variant", "expected", "baseline")):
            df[column] = [info[c][i] for c in cells]
        counts: dict[tuple[str, str], tuple[int, float, int]] = {}
        for cell in cells:
            key = (_checkpoint(cell), cell.attack)
            if key not in counts:
                model, _ = load_checkpoint(key[0])
                subset = config["attacks"][cell.attack].get("parameters", "all")
                used, share = parameter_share(model, select_parameters(model, subset))
                counts[key] = (used, share, sum(p.numel() for p in model.parameters()))
        keys = [(_checkpoint(c), c.attack) for c in cells]
        df["parameters"] = [counts[k][0] for k in keys]
        df["parameter_share"] = [counts[k][1] for k in keys]
        df["model_parameters"] = [counts[k][2] for k in keys]
        return df

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.variants import variants_markdown

        return variants_markdown(df, self)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.variants import variants_figure

        variants_figure(df, self, path)

    def grid(self, path: str) -> None:
        from gialib.plots.grids import reconstruction_grid

        other = "attack" if self.variant_field == "model" else "model"
        reconstruction_grid(self.cells(), self.variant_field, other, self.title, path)


@EXPERIMENTS.register("fig13")
class Fig13(VariantStudy):
    """Fig. 13: ResNet-18/34 with the skip connection of one block cut (``cut_skip=k``, blocks
    numbered in forward order from 1) against the uncut model ("N")."""

    name = "fig13"
    title = "Fig. 13: GIA vs. the position of a cut skip connection (ResNet)"
    default_effect = "-"
    claim = ("the uncut models (N) are much more vulnerable than any model with a cut skip "
             "connection; cuts close to the shallow or the deep end hurt the attack most, some to "
             "failed reconstruction (LPIPS > 0.3).")

    def label(self, changes: dict[str, Any]) -> tuple[str, str]:
        if not changes:
            return "N (none cut)", ""
        if set(changes) == {"cut_skip"}:
            return f"cut block {changes['cut_skip']}", "-"
        return super().label(changes)


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


@EXPERIMENTS.register("tab3")
class Tab3(VariantStudy):
    """Table III: GoogLeNet / Inception-v3 attacked with the full gradient and with the gradient
    of one NIN block only (attacks whose ``parameters`` is ``nin+block=k``)."""

    name = "tab3"
    title = "Table III: GIA with the full gradient vs. one NIN block's gradient"
    variant_field = "attack"
    claim = ("the gradient of one NIN block (1-12 % of the parameters) reconstructs nearly as well "
             "as the full gradient (GoogLeNet LPIPS 0.062-0.071 vs 0.061; Inception-v3 "
             "0.036-0.047 vs 0.033).")

    def family_and_changes(self, cell: Cell, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return cell.model, {"parameters": config["attacks"][cell.attack].get("parameters", "all")}

    def label(self, changes: dict[str, Any]) -> tuple[str, str]:
        if not changes:
            return "Full", ""
        spec = parse_spec(changes["parameters"])
        if spec.name == "nin":
            return f"#{spec.kwargs['block']} NIN block", ""
        return changes["parameters"], ""
