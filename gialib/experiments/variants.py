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

    from gialib.ledger import Claim

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
    # The ledger's claim per sign: "+" helps the attacker, "-" hurts it; a variant without a
    # sign ("") is claimed ``unsigned`` (Table III: "nearly as well", i.e. the same) or not at all.
    SIGNS: ClassVar[dict[str, str]] = {"+": "better", "-": "worse"}
    unsigned: ClassVar[str | None] = None

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

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Per family (and attack, or model for Table III): each variant against the family's
        baseline, as the paper signs it; paired (trial t attacks the same victims in each)."""
        import pandas as pd

        from gialib.ledger import Claim

        other = "attack" if self.variant_field == "model" else "model"
        out = []
        for (family, held), part in df.groupby(["family", other]):
            base = part.loc[part["baseline"].astype(bool), "variant"].unique()
            if len(base) != 1:
                continue
            variants = part.loc[~part["baseline"].astype(bool), ["variant", "expected"]].drop_duplicates()
            for variant, sign in variants.itertuples(index=False):
                sign = "" if pd.isna(sign) else str(sign)
                expected = self.SIGNS.get(sign) if sign else self.unsigned
                if expected is None:
                    continue  # a mixed ("?") change: the paper states no direction for it
                out.append(Claim(id=f"{self.name}: {variant} vs {base[0]}, {family}, {held}",
                                 text=f"{variant} against {base[0]} ({family}, {other}={held})",
                                 field="variant", baseline=base[0], variant=variant, expected=expected,
                                 where={"family": family, other: held}))
        return out

    def finding(self, df: pd.DataFrame) -> str:
        """Each variant's mean per family, then the claims' verdicts (no variant is named best or
        worst from means alone)."""
        from gialib.experiments.base import claims_finding
        from gialib.plots.tables import means_finding

        other = "attack" if self.variant_field == "model" else "model"
        return means_finding(df, x="variant", groups=["family", other]) + claims_finding(self.ledger(df))

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
