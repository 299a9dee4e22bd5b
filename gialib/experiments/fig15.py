"""Fig. 15 (RQ6, Sec. 6): post-processing defences, attack quality against model accuracy.

The sweep is the defences (each applied to every client's update in a whole FL
run and to the attacked update); the CSV joins every attacked update to the
final and per-round test accuracy of its defended run. The trade-off reading
(Sec. 6): a point "defends" when its attack quality is on the failed side of the
reconstruction threshold (the paper's blue line, LPIPS), and "keeps utility" when
its accuracy is at most ``accuracy_drop`` below the undefended model's (the red
line, 5 %); the best trade-off of a defence is its setting that defends best
while keeping utility.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, ClassVar

from gialib import io, paths
from gialib.defenses import check_defense, uses_memory
from gialib.experiments.base import EXPERIMENTS, Cell, Experiment, as_list, collect_scores
from gialib.paths import UNDEFENDED
from gialib.spec import canonical, parse_spec
from gialib.stats import HIGHER_IS_BETTER

if TYPE_CHECKING:  # pandas is imported on use: the DAG build (which imports this) needs none
    import pandas as pd

    from gialib.ledger import Claim

# The keys a training run is identified by in ``paths.CHECKPOINT`` (besides the round).
_TRAINING_KEYS = ("dataset", "resolution", "model", "defense")

# The column that tells attacked rows (one per attacked cell) from the utility-only rows (one per
# FL run of a defence listed under ``utility_only``: trained and scored for accuracy, never attacked).
ATTACKED = "attacked"

# Why a memory defence is not attacked: fig15 attacks round 0, where error feedback has sent
# nothing yet (its update is plain top-k's), and the defend stage cannot replay a client's
# memory after round 0.
MEMORY_REASON = ("its error-feedback memory is empty at round 0, so its attacked update there is plain "
                 "top-k's, and a later round's memory is not replayed by the defend stage")


def utility_only_reason(defense: str) -> str:
    """Why ``defense`` is on the utility axis only (stated wherever its privacy columns would be)."""
    return MEMORY_REASON if uses_memory(defense) else "listed under utility_only"


# +1: a higher value means a better reconstruction (PSNR, SSIM); -1: a lower one (LPIPS).
DIRECTION = {m: 1 if better else -1 for m, better in HIGHER_IS_BETTER.items()}


def reconstructed(metric: str, value: float, threshold: float) -> bool:
    """True if ``value`` of ``metric`` is on the reconstructed side of ``threshold``."""
    return value * DIRECTION[metric] >= threshold * DIRECTION[metric]


def family(defense: str) -> str:
    """The defence's name: ``quantize`` for ``quantize+bits=4``."""
    return parse_spec(defense).name


def setting(defense: str) -> str:
    """The defence's parameters as text (``bits=4``), or the name for ``none``."""
    return defense.partition("+")[2] or defense


def points(df: pd.DataFrame, thresholds: dict[str, float], accuracy_drop: float) -> pd.DataFrame:
    """One row per (attack, defence): mean/sd scores, accuracy, drop, and the trade-off marks.

    Columns: ``attack``, ``defense``, ``family``, ``setting``, ``test_accuracy``,
    ``accuracy_drop`` (undefended minus defended, same attack), ``<metric>_mean`` /
    ``<metric>_sd`` per score, ``epsilon``, ``delta``, ``trials``, ``quality``
    (the metric used), ``defended`` (attack quality on the failed side of its
    threshold), ``keeps_utility`` (drop <= ``accuracy_drop``), ``best`` (per attack
    and family, among the settings that keep utility: the most accurate one that
    defends, else the one with the worst attack quality; a family none of whose
    settings keeps utility has no best).
    """
    from gialib.plots.tables import primary_metric

    if UNDEFENDED not in set(df["defense"]):
        raise ValueError(f"the trade-off needs the undefended run ({UNDEFENDED!r}) in the table")
    metric = primary_metric(df)
    scores = [m for m in ("lpips", "psnr", "ssim", "label_accuracy") if m in df]
    g = df.groupby(["attack", "defense"], sort=True)
    out = g[scores].agg(["mean", "std"])
    out.columns = [f"{m}_{'sd' if s == 'std' else s}" for m, s in out.columns]
    out["test_accuracy"] = g["test_accuracy"].first()
    out["epsilon"] = g["epsilon"].first()
    out["delta"] = g["delta"].first()
    out["trials"] = g["trial"].nunique()
    out = out.reset_index()
    base = out[out["defense"] == UNDEFENDED].set_index("attack")["test_accuracy"]
    out["accuracy_drop"] = out["attack"].map(base) - out["test_accuracy"]
    out["family"] = out["defense"].map(family)
    out["setting"] = out["defense"].map(setting)
    out["quality"] = metric
    out["defended"] = [not reconstructed(metric, v, thresholds[metric]) for v in out[f"{metric}_mean"]]
    # The small tolerance keeps a drop of exactly the limit (in float) inside it.
    out["keeps_utility"] = out["accuracy_drop"] <= accuracy_drop + 1e-9
    out["best"] = False
    for _, rows in out[(out["family"] != UNDEFENDED) & out["keeps_utility"]].groupby(["attack", "family"]):
        defending = rows[rows["defended"]]
        if len(defending):
            pick = defending.sort_values(["test_accuracy", f"{metric}_mean"],
                                         ascending=[False, DIRECTION[metric] > 0]).index[0]
        else:
            pick = rows[f"{metric}_mean"].mul(DIRECTION[metric]).idxmin()
        out.loc[pick, "best"] = True
    return out


def reading(pts: pd.DataFrame, thresholds: dict[str, float], accuracy_drop: float) -> list[str]:
    """One sentence per (attack, defence family), in the order of ``pts``: what its settings do."""
    metric = pts["quality"].iloc[0]
    unit = " dB" if metric == "psnr" else ""
    lines = []
    for attack, rows in pts.groupby("attack", sort=False):
        base = rows[rows["family"] == UNDEFENDED].iloc[0]
        lines.append(f"- {attack}, undefended: {metric} {base[f'{metric}_mean']:.2f}{unit}, "
                     f"test accuracy {base['test_accuracy']:.3f} (reconstructed at {metric} "
                     f"{'>=' if DIRECTION[metric] > 0 else '<='} {thresholds[metric]}{unit}; "
                     f"utility kept at a drop <= {accuracy_drop:.3f}).")
        for fam, f_rows in rows[rows["family"] != UNDEFENDED].groupby("family", sort=False):
            both = f_rows[f_rows["defended"] & f_rows["keeps_utility"]]
            parts = [f"{r.setting}: {metric} {getattr(r, metric + '_mean'):.2f}{unit}, "
                     f"accuracy {r.test_accuracy:.3f} (drop {r.accuracy_drop:+.3f})"
                     for r in f_rows.itertuples()]
            verdict = (f"breaks the attack within the accuracy budget with {', '.join(both['setting'])}"
                       if len(both) else
                       "breaks the attack only at a larger accuracy cost" if f_rows["defended"].any()
                       else "does not break the attack at any setting")
            lines.append(f"- {attack}, {fam} {verdict}; " + "; ".join(parts) + ".")
    return lines


def accuracy_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Long table (defense, family, round, test_accuracy) from the rows' per-round JSON lists
    (attacked and utility-only runs alike)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for defense, acc in df.groupby("defense", sort=True)["test_accuracy_per_round"].first().items():
        values = json.loads(acc) if isinstance(acc, str) else list(acc)
        rows += [{"defense": defense, "family": family(defense), "round": r, "test_accuracy": a}
                 for r, a in enumerate(values) if not (isinstance(a, float) and math.isnan(a))]
    return pd.DataFrame(rows)


def attacked_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of attacked cells (every row of a table without utility-only runs)."""
    return df[df[ATTACKED].astype(bool)] if ATTACKED in df else df


def utility_points(df: pd.DataFrame, accuracy_drop: float) -> pd.DataFrame:
    """One row per utility-only run: defence, family, setting, test accuracy, its drop from the
    undefended run of the same model, whether it keeps utility, and why it is not attacked."""
    import pandas as pd

    columns = ["defense", "family", "setting", "test_accuracy", "accuracy_drop", "keeps_utility", "reason"]
    if ATTACKED not in df:
        return pd.DataFrame(columns=columns)
    rows = df[~df[ATTACKED].astype(bool)]
    base = attacked_rows(df)
    base = base[base["defense"] == UNDEFENDED].groupby(["dataset", "resolution", "model"])
    base = base["test_accuracy"].first()
    out = rows[["dataset", "resolution", "model", "defense", "test_accuracy"]].copy()
    drop = [base[(r.dataset, r.resolution, r.model)] - r.test_accuracy for r in out.itertuples()]
    out["accuracy_drop"] = drop
    out["family"] = out["defense"].map(family)
    out["setting"] = out["defense"].map(setting)
    out["keeps_utility"] = out["accuracy_drop"] <= accuracy_drop + 1e-9
    out["reason"] = out["defense"].map(utility_only_reason)
    return out[columns].reset_index(drop=True)


@EXPERIMENTS.register("fig15")
class Fig15(Experiment):
    """Fig. 15: each defence and parameter, applied to every client's update in a whole FL
    training run and to the attacked update, scored by attack quality (LPIPS, else PSNR)
    against the final test accuracy of that run.

    Settings beside the cell fields: ``reconstructed`` (the reconstruction threshold per
    metric, the paper's blue line; LPIPS 0.1), ``accuracy_drop`` (the largest accepted
    drop of test accuracy from the undefended run, the paper's red line; 0.05 = 5 points) and
    ``utility_only`` (defences whose FL runs are trained and scored for accuracy, never
    attacked: no privacy point, no claim; error-feedback top-k, whose attacked update at
    round 0 would be plain top-k's, must be listed here, not under ``defense``).
    """

    name = "fig15"
    title = "Fig. 15: privacy-utility trade-off of post-processing defences"
    x = "defense"
    hue = "attack"
    x_label = "defence"
    options = ("reconstructed", "accuracy_drop", "utility_only")
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
        for defense in dict.fromkeys(c.defense for c in cells):
            if uses_memory(defense):
                rounds = sorted({c.round for c in cells if c.defense == defense})
                raise ValueError(f"experiments.{self.name}.defense: {defense!r} keeps error-feedback memory; "
                                 f"attacked at round(s) {rounds} it gives no privacy point of its own "
                                 f"({MEMORY_REASON}): move it to experiments.{self.name}.utility_only "
                                 "(trained for the accuracy axis only)")
        self.utility_only(cells)
        return cells

    def utility_only(self, cells: list[Cell] | None = None) -> list[str]:
        """The ``utility_only`` defences, canonical, in config order (checked: valid specs, not
        the baseline, not also attacked)."""
        where = f"experiments.{self.name}.utility_only"
        out = [canonical(d) for d in as_list(self.cfg.get("utility_only", []))]
        attacked = {c.defense for c in (cells if cells is not None else self.cells())}
        for defense in out:
            try:
                check_defense(defense)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from exc
            if defense == UNDEFENDED or defense in attacked:
                raise ValueError(f"{where}: {defense!r} is also attacked (under "
                                 f"experiments.{self.name}.defense); list each defence once")
        if len(set(out)) != len(out):
            raise ValueError(f"{where}: a defence is listed twice")
        return out

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
        """The distinct FL runs: one per dataset, resolution, model and defence of the cells, and
        one per such model and ``utility_only`` defence."""
        cells = self.cells()
        keys = {tuple(getattr(c, k) for k in _TRAINING_KEYS) for c in cells}
        models = {tuple(getattr(c, k) for k in _TRAINING_KEYS[:-1]) for c in cells}
        keys |= {(*m, d) for m in models for d in self.utility_only(cells)}
        return [dict(zip(_TRAINING_KEYS, k, strict=True)) for k in sorted(keys, key=str)]

    def checkpoints(self, run: dict[str, Any]) -> list[str]:
        """Round 0 .. final round checkpoints of one run (their metrics: accuracy per round)."""
        return [paths.CHECKPOINT.format(**run, round=r) for r in range(self.final_round() + 1)]

    def inputs(self) -> list[str]:
        """Every attack score, and every round's checkpoint of each defended training run."""
        return super().inputs() + [p for run in self.trainings() for p in self.checkpoints(run)]

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        """Scores and provenance (default collect), joined to the run's accuracy and (epsilon, delta);
        then one row per utility-only run (``attacked`` false: accuracy only, scores empty)."""
        import pandas as pd

        df = collect_scores(self, config)
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
            df[column] = df.pop(f"provenance.update.privacy.{column}")  # moved, not copied
        df[ATTACKED] = True
        df["privacy"] = "measured"
        extra = [{**run, **utility[tuple(run.values())], ATTACKED: False,
                  "privacy": f"not measured: {utility_only_reason(run['defense'])}"}
                 for run in self.trainings() if run["defense"] in set(self.utility_only())]
        df = pd.concat([df, pd.DataFrame(extra, columns=list(df.columns))], ignore_index=True)
        df["reconstructed_threshold"] = json.dumps(self.thresholds(), sort_keys=True)
        df["accuracy_drop_limit"] = self.accuracy_drop()
        return df

    def _points(self, df: pd.DataFrame) -> pd.DataFrame:
        """The trade-off points of the attacked rows, attacks in order and defences in config order."""
        pts = points(attacked_rows(df), self.thresholds(), self.accuracy_drop())
        rank = {d: i for i, d in enumerate(self.defenses())}
        return pts.sort_values(["attack", "defense"], key=lambda c: c.map(rank) if c.name == "defense"
                               else c).reset_index(drop=True)

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tradeoff import tradeoff_markdown

        pts = self._points(df)
        return tradeoff_markdown(attacked_rows(df), pts, accuracy_curves(df),
                                 reading(pts, self.thresholds(), self.accuracy_drop()),
                                 utility_points(df, self.accuracy_drop()),
                                 title=self.title, thresholds=self.thresholds(),
                                 drop=self.accuracy_drop(), defenses=self.defenses() + self.utility_only())

    # What the paper says each defence family does to the attack: clipping "has almost no
    # effect on GIAs"; the others defend.
    EXPECTED: ClassVar[dict[str, str]] = {"clip": "same"}

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """Per attack and defence setting: the attack on the defended update against the
        undefended one (paired: trial t attacks the same victims)."""
        from gialib.ledger import Claim

        df = attacked_rows(df)  # a utility-only run makes no privacy claim
        out = []
        for attack in sorted(df[self.hue].unique()):
            for defense in self.defenses():
                if defense == UNDEFENDED:
                    continue
                expected = self.EXPECTED.get(family(defense), "worse")
                # What is tested is the direction ("worse"), not that the defence breaks the
                # attack: whether a point defends (crosses the threshold) is the finding's reading.
                does = "leaves the attack as it is" if expected == "same" else "makes the attack worse"
                out.append(Claim(id=f"{self.name}: {defense}, {attack}",
                                 text=f"{defense} {does} ({attack})", field="defense", baseline=UNDEFENDED,
                                 variant=defense, expected=expected, where={self.hue: attack}))
        return out

    def finding(self, df: pd.DataFrame) -> str:
        """Per attack and defence: whether it breaks the attack and at what accuracy cost (RST),
        then the claims' verdicts."""
        from gialib.experiments.base import claims_finding

        pts = self._points(df)
        metric = pts["quality"].iloc[0]
        attacked = attacked_rows(df)
        head = (f"Attack quality: {metric.upper()}, mean over {attacked['trial'].nunique()} trial(s); "
                f"utility: final test accuracy after {int(df['final_round'].iloc[0])} rounds.")
        lines = [head, ""] + reading(pts, self.thresholds(), self.accuracy_drop())
        utility = utility_points(df, self.accuracy_drop())
        if len(utility):
            lines += ["", "On the utility axis only (trained, never attacked: no privacy point and no "
                      "claim; the privacy columns say *not measured*):", ""]
            lines += [f"- {r.defense}: test accuracy {r.test_accuracy:.3f} (drop {r.accuracy_drop:+.3f}, "
                      f"{'keeps' if r.keeps_utility else 'loses'} utility); not attacked because {r.reason}."
                      for r in utility.itertuples()]
        return "\n".join(lines) + "\n" + claims_finding(self.ledger(df))

    def ledger(self, df: pd.DataFrame) -> pd.DataFrame:
        """The claims of the attacked rows (the utility-only rows have no scores)."""
        return super().ledger(attacked_rows(df))

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.tradeoff import tradeoff_figure

        tradeoff_figure(attacked_rows(df), self._points(df), accuracy_curves(df),
                        utility_points(df, self.accuracy_drop()), title=self.title,
                        thresholds=self.thresholds(), drop=self.accuracy_drop(),
                        defenses=self.defenses() + self.utility_only(), path=path)
