"""Benchmark: does a changed attack setting help on a paper target, at the config's scale?

Issue 15 allows a default of an attack (signed gradients, TV weight, schedule, ...) to change
only where the side-by-side benchmark and the paper targets both say so. This script asks the
second half: it runs ``--target`` of ``--config`` with the attack ``--attack`` as configured
and a copy of it with ``--variant``'s settings (dotted keys, as ``breaching_side_by_side.py``),
side by side on the same client cells and trials (so on the same victims), in a work directory
of its own (results of the project's ``results/`` are neither read nor touched), and prints,
per metric, the mean of the variant minus the attack as configured over all its paired trials,
with a seeded paired bootstrap interval (``gialib.stats.bootstrap_difference``, seeded by the
config's ``seed``), and the per-point means.

    python benchmarks/attack_variant_on_target.py --target tab1 --attack G_TV --variant signed=true

The overlay config it writes (``<workdir>/overlay.yaml``) names the copy ``<attack>_variant``
and sets the target's ``attack`` to both; the run is ``snakemake <target> --configfile
<config> <overlay>``, so every number traces to those two files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from common import parse_settings, with_settings

from gialib.experiments.base import METRICS
from gialib.stats import bootstrap_difference

REPO = Path(__file__).resolve().parents[1]
SUFFIX = "_variant"


def overlay(config: dict, target: str, attack: str, changes: dict) -> dict:
    """The config overlay that adds ``<attack>_variant`` and runs the target on both."""
    attacks = config.get("attacks", {})
    if attack not in attacks:
        raise SystemExit(f"--attack {attack!r}: not in the config's attacks ({', '.join(attacks)})")
    if target not in config.get("experiments", {}):
        raise SystemExit(f"--target {target!r}: not in the config's experiments")
    return {"attacks": {attack + SUFFIX: with_settings(attacks[attack], changes)},
            "experiments": {target: {"attack": [attack, attack + SUFFIX]}}}


def paired_effects(table: pd.DataFrame, attack: str, seed: int) -> list[str]:
    """Lines: per metric, variant minus ``attack`` over the trials both ran, paired by cell and
    trial, and the per-point means (the point: every cell column but attack and trial)."""
    variant = attack + SUFFIX
    table = table[table["attack"].isin([attack, variant])]
    cell = [c for c in ("dataset", "resolution", "model", "round", "defense", "protocol",
                        "num_examples", "batch_size", "local_updates") if table[c].nunique() > 1]
    keys = [*cell, "trial"]
    lines = []
    for metric in [m for m in METRICS if table[m].notna().all()]:
        wide = table.pivot_table(index=keys, columns="attack", values=metric)
        if wide.isna().any().any() or set(wide.columns) != {attack, variant}:
            raise SystemExit(f"{metric}: the two attacks did not run the same cells and trials")
        effect = bootstrap_difference(wide[attack], wide[variant], paired=True, seed=seed)
        lines.append(f"{metric}: {variant} minus {attack}: {effect.text()}")
        if cell:
            means = wide.groupby(level=cell).mean()
            lines.append("  per point (mean over trials):\n" + means.round(4).to_string())
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", required=True, help="an experiment of --config (e.g. tab1)")
    ap.add_argument("--attack", required=True, help="one of the target's attacks (e.g. G_TV)")
    ap.add_argument("--variant", required=True, help="changed settings, KEY=VALUE[,KEY=VALUE]")
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--workdir", default=None, help="default: build/variant/<target>")
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    work = Path(args.workdir or REPO / "build" / "variant" / args.target).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # the config's relative paths (data root, LPIPS weights) are relative to the repository
    if not (work / "data").exists():
        (work / "data").symlink_to(REPO / "data")
    extra = overlay(config, args.target, args.attack, parse_settings(args.variant))
    (work / "overlay.yaml").write_text(yaml.safe_dump(extra, sort_keys=False))
    print(f"overlay {work / 'overlay.yaml'}: {extra}", flush=True)
    subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), args.target,
                    "--configfile", str(Path(args.config).resolve()), str(work / "overlay.yaml"),
                    "--directory", str(work), "--cores", str(args.cores)], check=True)
    table = pd.read_csv(work / "results" / "tables" / f"{args.target}.csv")
    for line in paired_effects(table, args.attack, seed=int(config["seed"])):
        print(line)


if __name__ == "__main__":
    main()
