"""What every paper target shares: cells of a sweep, the files they need, one CSV row per cell,
the grouping rule, and the default table, figure, finding and reconstruction grid.

A target module (``gialib/experiments/<target>.py``) registers a subclass of
``Experiment`` and overrides what it does differently.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from gialib import paths
from gialib.registry import Registry
from gialib.spec import canonical

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from gialib.ledger import Claim


@dataclass(frozen=True)
class Cell:
    """One trial of one attacked update: the wildcards of ``paths.ATTACK`` besides ``trials``
    and with ``trial`` (an attack file holds the trials 0..T-1 of a cell; the target's
    ``trials`` is T)."""

    dataset: str
    resolution: int
    model: str
    round: int
    defense: str
    protocol: str
    num_examples: int
    batch_size: int
    local_updates: int
    attack: str
    trial: int

    def wildcards(self) -> dict[str, Any]:
        return asdict(self)

    def path(self, template: str, **extra: Any) -> str:
        """``template`` formatted with this cell's wildcards (and ``extra``, e.g. ``trials``)."""
        return template.format(**self.wildcards(), **extra)


CELL_FIELDS = tuple(f.name for f in fields(Cell))
# Experiment config keys that are not cell fields.
_OTHER_KEYS = ("trials",)


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class Experiment:
    """A paper target. ``x`` and ``hue`` name the cell fields its figure plots."""

    name: ClassVar[str]
    title: ClassVar[str]
    x: ClassVar[str]
    hue: ClassVar[str] = "attack"
    # Label for the x axis and table columns (the paper's wording).
    x_label: ClassVar[str] = ""
    # What the paper reports for this target (shown in report captions).
    claim: ClassVar[str] = ""
    # Config keys of this target that are settings, not swept cell fields (e.g. fig10's window).
    options: ClassVar[tuple[str, ...]] = ()
    # The claim the ledger tests along ``x`` (its first value is the baseline, its last the
    # variant), per group: what the paper says the variant does to the attack ("worse",
    # "better", "same"; None: no quantitative claim), in a few words.
    expected: ClassVar[str | None] = None
    claim_text: ClassVar[str] = ""

    def __init__(self, cfg: dict[str, Any], config: dict[str, Any] | None = None) -> None:
        self.cfg = cfg
        # The whole config, for targets whose inputs depend on other blocks (e.g. training.rounds).
        self.config = config if config is not None else {}

    def sweep(self) -> dict[str, list[Any]]:
        """Values per cell field (before derived fields are filled in)."""
        cfg = dict(self.cfg)
        unknown = set(cfg) - set(CELL_FIELDS) - set(_OTHER_KEYS) - set(self.options)
        if unknown:
            raise ValueError(f"experiments.{self.name}: unknown key(s) {sorted(unknown)}")
        grid = {k: as_list(cfg[k]) for k in CELL_FIELDS if k != "trial" and k in cfg}
        grid["trial"] = list(range(self.trials))
        return grid

    def cells(self) -> list[Cell]:
        grid = self.sweep()
        keys = list(grid)
        out: list[Cell] = []
        for values in itertools.product(*(grid[k] for k in keys)):
            out.append(self.make_cell(dict(zip(keys, values, strict=True))))
        if len(set(out)) != len(out):
            raise ValueError(f"experiments.{self.name}: the sweep repeats a cell")
        return out

    def make_cell(self, values: dict[str, Any]) -> Cell:
        """Fill derived fields: batch_size null means full batch (B = N); FedSGD has B = N, U = 1."""
        where = f"experiments.{self.name}"
        v = dict(values)
        v.setdefault("defense", "none")
        v.setdefault("round", 0)
        v.setdefault("local_updates", 1)
        v.setdefault("batch_size", None)
        missing = [k for k in CELL_FIELDS if k not in v]
        if missing:
            raise ValueError(f"{where}: missing key(s) {missing}")
        n = int(v["num_examples"])
        if v["batch_size"] is None:
            v["batch_size"] = n
        if v["protocol"] == "fedsgd" and (v["batch_size"] != n or v["local_updates"] != 1):
            raise ValueError(f"{where}: fedsgd shares one full-batch gradient; batch_size must be "
                             f"null or num_examples and local_updates 1")
        if not 1 <= int(v["batch_size"]) <= n:
            raise ValueError(f"{where}: batch_size {v['batch_size']} not in 1..num_examples={n}")
        # Spec strings in canonical form (keys sorted), so one data set, model or defence always
        # lands in one file however the config spells it.
        for key in ("dataset", "model", "defense"):
            v[key] = canonical(v[key])
        return Cell(**{k: (int(v[k]) if k in _INT_FIELDS else v[k]) for k in CELL_FIELDS})

    # -- what the aggregate and figure stages do; targets with other outputs override these --

    @property
    def trials(self) -> int:
        """Trials per cell: other victim images and seeds each (config key ``trials``)."""
        return int(self.cfg.get("trials", 1))

    @property
    def score_path(self) -> str:
        """The file that holds the scores of every cell of this target (``score_inputs``)."""
        return paths.SCORE.format(target=self.name)

    def attack_path(self, cell: Cell) -> str:
        """The file that holds ``cell``'s reconstruction, with those of the other trials of its cell."""
        return cell.path(paths.ATTACK, trials=self.trials)

    def score_inputs(self) -> tuple[list[str], list[str]]:
        """(attack files, their truth files), pairwise: what the score stage reads."""
        pairs = dict.fromkeys((self.attack_path(c), c.path(paths.TRUTH)) for c in self.cells())
        return [a for a, _ in pairs], [t for _, t in pairs]

    def inputs(self) -> list[str]:
        """Every file the aggregate stage reads (default: the target's score file)."""
        return [self.score_path] if self.cells() else []

    def grid_inputs(self) -> list[str]:
        """Files the reconstruction grid reads."""
        return list(dict.fromkeys(p for c in self.cells()
                                  for p in (self.attack_path(c), c.path(paths.TRUTH))))

    def collect(self, config: dict[str, Any]) -> pd.DataFrame:
        """One row per cell: its wildcards, scores and provenance."""
        return collect_scores(self, config)

    # -- the grouping rule, and what the figure stage draws by default --

    def groups(self, frame: pd.DataFrame) -> list[str]:
        """Cell fields besides ``x`` and ``hue`` that group the rows: those that vary, and vary
        at some one value of ``x`` (a field fixed by ``x``, e.g. Table II's B = ceil(N/k) beside
        U = k, is not a group: it would leave one point per group)."""
        return group_fields(frame, self.x, self.hue)

    def summarize(self, df: pd.DataFrame) -> str:
        from gialib.plots.tables import summary_markdown

        return summary_markdown(df, title=self.title, x=self.x, x_label=self.x_label or self.x,
                                rows=[self.hue, *self.groups(df)])

    def plot(self, df: pd.DataFrame, path: str) -> None:
        from gialib.plots.figures import metric_figure

        groups = self.groups(df)
        metric_figure(df, x=self.x, hue=self.hue, style=groups[0] if groups else None,
                      x_label=self.x_label or self.x, title=self.title, path=path)

    def claims(self, df: pd.DataFrame) -> list[Claim]:
        """The paper's claims this target tests on ``df`` (default: ``expected`` along ``x``)."""
        return sweep_claims(df, target=self.name, x=self.x, groups=[self.hue, *self.groups(df)],
                            expected=self.expected, text=self.claim_text)

    def ledger(self, df: pd.DataFrame) -> pd.DataFrame:
        """Each claim's effect, 95 % interval and verdict (seeded by the config's seed)."""
        from gialib.ledger import evaluate
        from gialib.plots.tables import primary_metric

        return evaluate(df, self.claims(df), target=self.name, metric=primary_metric(df),
                        seed=int(self.config.get("seed", 0)))

    def finding(self, df: pd.DataFrame) -> str:
        """What this run shows, in reStructuredText (for report captions): the means per
        point, then each claim's effect, interval and verdict."""
        from gialib.plots.tables import means_finding

        return means_finding(df, x=self.x, groups=[self.hue, *self.groups(df)]) + claims_finding(
            self.ledger(df))

    def grid(self, path: str) -> None:
        from gialib.plots.grids import reconstruction_grid

        reconstruction_grid(*self.grid_tiles(self.cells(), self.x, self.hue), title=self.title,
                            path=path)

    def grid_tiles(self, cells: list[Cell], x: str, hue: str) -> tuple[list, str, str, list[str]]:
        """(tiles, x, hue, groups) for ``plots.grids.reconstruction_grid``: per cell its fields
        and its (truth, matched reconstruction) image pair, in trial order."""
        import pandas as pd

        frame = pd.DataFrame([c.wildcards() for c in cells])
        tiles = [(c.wildcards(), *image_pair(c, self.attack_path(c)))
                 for c in sorted(cells, key=lambda c: c.trial)]
        return tiles, x, hue, group_fields(frame, x, hue)


_INT_FIELDS = {"resolution", "round", "num_examples", "batch_size", "local_updates", "trial"}

EXPERIMENTS: Registry[type[Experiment]] = Registry("experiment")


def trials_per_client(config: dict[str, Any]) -> dict[str, int]:
    """Per client cell (``paths.CLIENT``, formatted): the trials its capture file must hold,
    the most that any target of ``config`` attacks of it."""
    out: dict[str, int] = {}
    for name in config["experiments"]:
        for cell in get_experiment(name, config).cells():
            key = cell.path(paths.CLIENT)
            out[key] = max(out.get(key, 0), cell.trial + 1)
    return out


def get_experiment(name: str, config: dict[str, Any]) -> Experiment:
    """The target ``name`` configured by ``config['experiments'][name]``."""
    cls = EXPERIMENTS.get(name)
    try:
        cfg = config["experiments"][name]
    except KeyError:
        raise ValueError(f"config has no experiments.{name} entry") from None
    return cls(cfg, config)


def sweep_claims(df: pd.DataFrame, *, target: str, x: str, groups: list[str], expected: str | None,
                 text: str) -> list[Claim]:
    """Per group of ``df``: the claim that going from the first to the last value of ``x`` makes
    the attack ``expected`` (no claim when ``expected`` is None or a group has one value)."""
    from gialib.ledger import Claim

    if expected is None:
        return []
    out = []
    for key, part in df.groupby(groups):
        values = sorted(part[x].unique())
        if len(values) < 2:
            continue
        where = dict(zip(groups, key, strict=True))
        label = ", ".join(f"{g}={v}" for g, v in where.items())
        out.append(Claim(id=f"{target}: {x} {values[0]}->{values[-1]}, {label}", text=f"{text} ({label})",
                         field=x, baseline=values[0], variant=values[-1], expected=expected,
                         where=where))
    return out


def claims_finding(ledger: pd.DataFrame) -> str:
    """The ledger's lines for a finding, or why there are none."""
    from gialib.ledger import finding_lines

    if ledger.empty:
        return "\nThis target tests no quantitative claim of the paper (see its caption).\n"
    return "\nClaims of the paper tested here (variant minus baseline):\n\n" + "\n".join(
        finding_lines(ledger)) + "\n"


def group_fields(frame: pd.DataFrame, x: str, hue: str) -> list[str]:
    """The grouping rule (``Experiment.groups``) on any frame with cell-field columns."""
    return [f for f in CELL_FIELDS if f not in (x, hue, "trial") and f in frame
            and frame[f].nunique() > 1 and frame.groupby(x)[f].nunique().max() > 1]


def image_pair(cell: Cell, attack: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The cell's true images and its reconstructions (trial ``cell.trial`` of the attack file
    ``attack``), each paired with its true image by optimal assignment (so truth and
    reconstruction line up image by image)."""
    from gialib import io
    from gialib.metrics.matching import match_reconstructions

    truth = io.load_trial(cell.path(paths.TRUTH), cell.trial, kind="truth", required=("images",))["images"]
    recon = io.load_trial(attack, cell.trial, kind="attack", required=("images",))["images"]
    return truth, recon[match_reconstructions(recon, truth)]


# -- the aggregate stage: one CSV row per cell with its scores and full provenance --

METRICS = ("lpips", "psnr", "ssim", "mse", "label_accuracy")


def flatten(prefix: str, obj: Any) -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'prefix.a.b': 1}; lists become JSON strings (one CSV cell)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    if isinstance(obj, list | tuple):
        return {prefix: json.dumps(obj)}
    return {prefix: obj}


def config_digest(config: dict[str, Any]) -> str:
    """Short hash of the whole (validated) config: rows with equal digests share every setting."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def collect_scores(exp: Experiment, config: dict[str, Any]) -> pd.DataFrame:
    """One row per cell of ``exp``: wildcards, scores, and the provenance of its score file."""
    import pandas as pd

    from gialib import io
    from gialib.data.views import dataset_spec

    rows = []
    digest = config_digest(config)
    cells = exp.cells()
    scores = io.load_json(exp.score_path)["attacks"] if cells else {}
    for cell in cells:
        path = exp.attack_path(cell)
        if path not in scores:
            raise ValueError(f"{exp.score_path} holds no scores of {path}: rerun the score stage "
                             f"(snakemake {exp.score_path})")
        score = scores[path]["trials"][cell.trial]
        fields = cell.wildcards()
        row: dict[str, Any] = {"target": exp.name, **fields}
        row.update({m: score[m] for m in METRICS})
        row["lpips_status"] = without_machine_paths(score["lpips_status"])
        row[RUN_PREFIX + "lpips_status"] = score["lpips_status"]
        row["config_seed"] = config["seed"]
        row["config_digest"] = digest
        # Each column once: the update's record repeats the cell's fields (N, B, U, round ...)
        # and the client block's settings; the cell's and the update's own columns are kept.
        update = dict(score["provenance"]["update"])
        for key in [k for k in update if k in fields]:
            if update.pop(key) != fields[key]:
                raise ValueError(f"{path}, trial {cell.trial}: the update's {key} is not the cell's "
                                 f"{fields[key]!r}")
        provenance = {k: v for k, v in score["provenance"].items() if k != "update"}
        row.update(flatten("", {"provenance": {**provenance, "update": update}}))
        row.update(flatten("training", config["training"]))
        row.update(flatten("client", {k: v for k, v in config["client"].items() if k not in update}))
        row.update(flatten("dataset_spec", dataset_spec(config["datasets"], cell.dataset)))
        row.update(flatten("metrics", config["metrics"]))
        rows.append(row)
    return pd.DataFrame(rows)


# Columns of what a run measured that is no result (wall-clock times, paths on the machine):
# ``split_run_columns`` moves them to the target's provenance file, so the same config gives a
# byte-identical CSV. Named ``run.<what>`` or ending in ``seconds``.
RUN_PREFIX = "run."


def is_run_column(column: str) -> bool:
    return column.startswith(RUN_PREFIX) or column.rsplit(".", 1)[-1].endswith("seconds")


def split_run_columns(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, run provenance): the table without the run columns, and the run columns with
    the cell columns that key each row (same rows, same order)."""
    run = [c for c in df.columns if is_run_column(c)]
    keys = [c for c in ("target", *CELL_FIELDS) if c in df.columns]
    return df.drop(columns=run), df[keys + run]


def without_machine_paths(text: str) -> str:
    """``text`` with every absolute path cut to its file name (``/root/.cache/x.pth`` -> ``x.pth``)."""
    import os

    return " ".join(os.path.basename(w) if w.startswith("/") else w for w in text.split(" "))
