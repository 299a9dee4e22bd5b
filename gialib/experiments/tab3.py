"""Table III (RQ5, Sec. 5.2.2): the full gradient against the gradient of one NIN block."""

from __future__ import annotations

from typing import Any

from gialib.experiments.base import EXPERIMENTS, Cell
from gialib.experiments.variants import VariantStudy
from gialib.spec import parse_spec


@EXPERIMENTS.register("tab3")
class Tab3(VariantStudy):
    """Table III: GoogLeNet / Inception-v3 attacked with the full gradient and with the gradient
    of one NIN block only (attacks whose ``parameters`` is ``nin+block=k``)."""

    name = "tab3"
    title = "Table III: GIA with the full gradient vs. one NIN block's gradient"
    variant_field = "attack"
    unsigned = "same"
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
