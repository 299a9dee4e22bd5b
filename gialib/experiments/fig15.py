"""Fig. 15 (RQ6, Sec. 6): post-processing defences, attack quality against model accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gialib import paths
from gialib.experiments.plan import EXPERIMENTS, Cell, Experiment

if TYPE_CHECKING:
    import pandas as pd

# The keys a training run is identified by in ``paths.CHECKPOINT`` (besides the round).
_TRAINING_KEYS = ("dataset", "resolution", "model", "defense")


@EXPERIMENTS.register("fig15")
class Fig15(Experiment):
    """Fig. 15: each defence and parameter, applied to every client's update in a whole FL
    training run and to the attacked update, scored by attack quality (LPIPS, else PSNR)
    against the final test accuracy of that run.

    Settings beside the cell fields: ``reconstructed`` (the reconstruction threshold per
    metric, the paper's blue line; LPIPS 0.1) and ``accuracy_drop`` (the largest accepted
    drop of test accuracy from the undefended run, the paper's red line; 0.05 = 5 points).
    """

    name = "fig15"
    title = "Fig. 15: privacy-utility trade-off of post-processing defences"
    x = "defense"
    hue = "attack"
    x_label = "defence"
    options = ("reconstructed", "accuracy_drop")
    claim = ("most post-processing techniques defend against the strongest GIAs without "
             "significantly compromising accuracy; quantization gives the most favourable "
             "trade-off (defends with an accuracy drop of at most 5 % on ResNet-18 / CIFAR-100), "
             "while clipping fails: even a clip value that drops accuracy from 80 % to about 40 % "
             "has almost no effect on GIAs.")

    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.cfg["reconstructed"].items()}

    def accuracy_drop(self) -> float:
        return float(self.cfg["accuracy_drop"])

    def cells(self) -> list[Cell]:
        from gialib.experiments.tradeoff import UNDEFENDED

        for key in self.options:
            if key not in self.cfg:
                raise ValueError(f"experiments.{self.name}: missing key {key!r}")
        missing = [m for m in ("lpips", "psnr") if m not in self.cfg["reconstructed"]]
        if missing:  # either can be the attack-quality measure, depending on LPIPS availability
            raise ValueError(f"experiments.{self.name}.reconstructed needs a threshold for "
                             f"{' and '.join(missing)}")
        cells = super().cells()
        if UNDEFENDED not in {c.defense for c in cells}:
            raise ValueError(f"experiments.{self.name}.defense must include the undefended "
                             f"baseline {UNDEFENDED!r} (accuracy drops are measured from it)")
        return cells

    def defenses(self) -> list[str]:
        """The configured defences, canonical, in config order (the order of tables and legends)."""
        return list(dict.fromkeys(c.defense for c in self.cells()))

    def final_round(self) -> int:
        """The last round of the FL run (``training.rounds``): its checkpoint gives the final accuracy."""
        try:
            return int(self.config["training"]["rounds"])
        except KeyError:
            raise ValueError(f"experiments.{self.name} needs the config's training.rounds") from None

    def trainings(self) -> list[dict[str, Any]]:
        """The distinct FL runs of the cells (one per dataset, resolution, model and defence)."""
        keys = sorted({tuple(getattr(c, k) for k in _TRAINING_KEYS) for c in self.cells()}, key=str)
        return [dict(zip(_TRAINING_KEYS, k, strict=True)) for k in keys]

    def checkpoints(self, run: dict[str, Any]) -> list[str]:
        """Round 0 .. final round checkpoints of one run (their metrics: accuracy per round)."""
        return [paths.CHECKPOINT.format(**run, round=r) for r in range(self.final_round() + 1)]

    def inputs(self) -> list[str]:
        """Every attack score, and every round's checkpoint of each defended training run."""
        return super().inputs() + [p for run in self.trainings() for p in self.checkpoints(run)]

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        """Scores and provenance (default collect), joined to the run's accuracy and (epsilon, delta)."""
        import json

        from gialib import io
        from gialib.experiments.collect import collect

        df = collect(self, config)
        utility: dict[tuple, dict[str, Any]] = {}
        for run in self.trainings():
            metrics = [io.load_pt(p, kind="checkpoint", required=("metrics", "defense"))["metrics"]
                       for p in self.checkpoints(run)]
            per_round = [m["test_accuracy"] for m in metrics]
            utility[tuple(run.values())] = {
                "test_accuracy": per_round[-1], "test_loss": metrics[-1]["test_loss"],
                "final_round": self.final_round(), "test_accuracy_per_round": json.dumps(per_round)}
        keys = list(zip(*(df[k] for k in _TRAINING_KEYS), strict=True))
        for column in ("test_accuracy", "test_loss", "final_round", "test_accuracy_per_round"):
            df[column] = [utility[k][column] for k in keys]
        # As recorded in each defended update by the defend stage (None: no DP guarantee).
        for column in ("epsilon", "delta"):
            df[column] = df[f"provenance.update.privacy.{column}"]
        df["reconstructed_threshold"] = json.dumps(self.thresholds(), sort_keys=True)
        df["accuracy_drop_limit"] = self.accuracy_drop()
        return df

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tradeoff import tradeoff_markdown

        return tradeoff_markdown(df, self)

    def finding(self, df: pd.DataFrame) -> str:
        """Per attack and defence: whether it breaks the attack and at what accuracy cost (RST)."""
        from gialib.plots.tradeoff import tradeoff_finding

        return tradeoff_finding(df, self)

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.tradeoff import tradeoff_figure

        tradeoff_figure(df, self, path)
