"""The base of the model architecture targets (RQ5, Sec. 5.2: fig13, fig14, tab3, tab4).

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
from gialib.experiments.base import Cell, Experiment
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

        return variants_markdown(df, title=self.title)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.variants import variants_figure

        variants_figure(df, title=self.title, path=path)

    def grid(self, path: str) -> None:
        from gialib.plots.grids import reconstruction_grid

        other = "attack" if self.variant_field == "model" else "model"
        reconstruction_grid(*self.grid_tiles(self.cells(), self.variant_field, other),
                            title=self.title, path=path)
