"""Fig. 13 (RQ5, Sec. 5.2.1): skip connections of ResNet, cut one block at a time."""

from __future__ import annotations

from typing import Any

from gialib.experiments.base import EXPERIMENTS
from gialib.experiments.variants import VariantStudy


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
