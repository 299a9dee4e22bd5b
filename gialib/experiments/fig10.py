"""Fig. 10 (RQ4, Sec. 5.1.2): the GIA against the global model of each FedAvg round.

Cells: model x round x trial. For each round r the pipeline already holds the
round's checkpoint (``train``); the attack runs on a victim update captured at
that checkpoint (the same victim images every round, so rounds are paired), the
``igsa`` rule measures IGSA at the checkpoint, and the test accuracy is read
from the checkpoint's metrics. The figure averages rounds in windows of
``window`` rounds (the paper: every five).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gialib import io, paths
from gialib.experiments.base import EXPERIMENTS, Cell, Experiment, claims_finding

if TYPE_CHECKING:
    import pandas as pd

_MODEL_KEYS = ("dataset", "resolution", "model", "defense", "round")


def _model_path(cell: Cell, template: str) -> str:
    return template.format(**{k: getattr(cell, k) for k in _MODEL_KEYS})


@EXPERIMENTS.register("fig10")
class Fig10(Experiment):
    name = "fig10"
    title = "Fig. 10: GIA against the FL training stage (PSNR, test accuracy, IGSA)"
    x = "round"
    hue = "model"
    x_label = "FL round"
    options = ("window",)
    expected = "worse"
    claim_text = "the attack weakens from the first to the last attacked round"
    claim = ("gradient inversion only works in the early rounds: PSNR is high while the model "
             "under-fits and drops once test accuracy stabilises; IGSA is high in the phase where "
             "reconstruction works and drops to a low, fluctuating level when it fails.")
    # What our IGSA is (the report's caption states it with the numbers).
    igsa_note = ("IGSA here is our reconstruction of the paper's Eq. 9-10 (Sec. 5.1.1; the formulas are "
                 "lost in our copy): the reciprocal of the layer-weighted mean Frobenius norm of the "
                 "Jacobian of the input-to-gradient map (Hutchinson estimate at points around a few "
                 "private images), so that, as the paper states, a higher IGSA means a smoother map and "
                 "an easier target; the norm itself is the CSV's jacobian_norm.")

    @property
    def window(self) -> int:
        w = int(self.cfg.get("window", 1))
        if w < 1:
            raise ValueError(f"experiments.{self.name}.window must be >= 1, got {w}")
        return w

    def _per_model(self, template: str) -> list[str]:
        return sorted({_model_path(c, template) for c in self.cells()})

    def inputs(self) -> list[str]:
        """Scores, plus every attacked round's IGSA file and checkpoint (test accuracy)."""
        return super().inputs() + self._per_model(paths.IGSA) + self._per_model(paths.CHECKPOINT)

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        df = super().collect(config)
        cells = self.cells()
        igsa: dict[str, dict[str, Any]] = {}
        metrics: dict[str, dict[str, Any]] = {}
        for cell in cells:
            key = _model_path(cell, paths.IGSA)
            if key not in igsa:
                igsa[key] = io.load_json(key)
                ckpt = _model_path(cell, paths.CHECKPOINT)
                metrics[key] = io.load_pt(ckpt, kind="checkpoint", required=("metrics",))["metrics"]
        keys = [_model_path(c, paths.IGSA) for c in cells]
        # IGSA (higher = smoother: the paper's reading) and the Jacobian norm it is the reciprocal of
        for column in ("igsa", "igsa_std", "jacobian_norm", "jacobian_norm_std"):
            df[column] = [igsa[k][column] for k in keys]
        df["run.igsa_seconds"] = [igsa[k]["seconds"] for k in keys]
        df["test_accuracy"] = [metrics[k]["test_accuracy"] for k in keys]
        df["test_loss"] = [metrics[k]["test_loss"] for k in keys]
        for key, value in igsa[keys[0]]["config"].items():
            df[f"igsa_config.{key}"] = value
        w = self.window
        df["window"] = df["round"] // w
        last = df.groupby("window")["round"].transform("max")
        df["rounds"] = [f"{i * w}-{m}" if w > 1 else str(i) for i, m in zip(df["window"], last,
                                                                              strict=True)]
        return df

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.training_stage import training_stage_markdown

        return training_stage_markdown(df, title=self.title, window=self.window, note=self.igsa_note)

    def finding(self, df: pd.DataFrame) -> str:
        """Per model: the attack, test accuracy and IGSA per window of rounds, and whether the
        attack's quality falls from the first to the last attacked round (the ledger's claim)."""
        from gialib.plots.tables import primary_metric

        metric = primary_metric(df)
        lines = [self.igsa_note, "",
                 f"{metric.upper()} (mean over {df['trial'].nunique()} trial(s)), test accuracy and "
                 "IGSA (higher = smoother) of the global model, per window of rounds:", ""]
        for model, part in df.groupby("model"):
            per = part.groupby(["window", "rounds"])[[metric, "test_accuracy", "igsa"]].mean()
            values = "; ".join(f"rounds {r}: {m:.3g} / {a:.2f} / {i:.3g}"
                               for (_, r), (m, a, i) in per.iterrows())
            lines.append(f"- **{model}** ({metric.upper()} / accuracy / IGSA): {values}.")
        return "\n".join(lines) + "\n" + claims_finding(self.ledger(df))

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.training_stage import training_stage_figure

        training_stage_figure(df, title=self.title, window=self.window, path=path)
