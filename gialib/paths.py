"""Artifact paths: one template per stage, named by the wildcards that produce the file.

Rules and the experiment plans both format these templates, so a cell of a
sweep and the file it lands in can never disagree. Sweep parameters appear as
``name~value`` (the names used in configs, code and plots); models, defences and
attacks appear as their spec strings / config names.
"""

from __future__ import annotations

ROOT = "results"

DATA = ROOT + "/data/{dataset}/resolution~{resolution}.pt"
CHECKPOINT = ROOT + "/train/{dataset}/resolution~{resolution}/{model}/{defense}/round~{round}.pt"
# IGSA (Sec. 5.1.1) of one round's global model.
IGSA = ROOT + "/igsa/{dataset}/resolution~{resolution}/{model}/{defense}/round~{round}.json"

# The attacked client's update: where in training it happened and how the client trained.
CLIENT = ("{dataset}/resolution~{resolution}/{model}/{defense}/round~{round}/{protocol}"
          "/num_examples~{num_examples}/batch_size~{batch_size}/local_updates~{local_updates}")
# One file holds every trial of a client cell (trial t: other victim images, other seeds), so
# a sweep of T trials costs one capture job, not T; how many trials it holds is the capture
# rule's ``trials`` param: the most that any target of the config attacks of that cell.
CAPTURE = ROOT + "/capture/" + CLIENT + "/shared.pt"
TRUTH = ROOT + "/capture/" + CLIENT + "/truth.pt"
DEFEND = ROOT + "/defend/" + CLIENT + "/shared.pt"
# The defence spec of no post-processing: its "defended" update is the captured one.
UNDEFENDED = "none"
# The reconstructions of trials 0 .. trials-1 of one attack on one client cell: one job runs
# them one after another, so Python, torch and the model start once, not once per trial.
ATTACK = ROOT + "/attack/" + CLIENT + "/{attack}/trials~{trials}.pt"
# The scores of every trial of every attack file a target reads, keyed by that file's path
# (``results/attack/...pt``): one job per target, since a job's Python and torch start-up
# (seconds) outweighs scoring one attack file (a fraction of a second).
SCORE = ROOT + "/score/{target}.json"

# GIA-L's generator, trained on the public split of {dataset} at {resolution} (config generators.<name>).
GENERATOR = ROOT + "/generator/{dataset}/resolution~{resolution}/{generator}.pt"
GENERATOR_CURVE = ROOT + "/generator/{dataset}/resolution~{resolution}/{generator}.curve.csv"
GENERATOR_CURVE_PLOT = ROOT + "/generator/{dataset}/resolution~{resolution}/{generator}.curve.png"
GENERATOR_SAMPLES = ROOT + "/generator/{dataset}/resolution~{resolution}/{generator}.samples.png"

TABLE = ROOT + "/tables/{target}.csv"
SUMMARY = ROOT + "/tables/{target}.md"
FIGURE = ROOT + "/figures/{target}.png"
GRID = ROOT + "/figures/{target}_grid.png"
# What this run shows (reStructuredText, included in the report's captions).
FINDING = ROOT + "/tables/{target}_finding.rst"
# The paper's claims a target tests: effect, 95 % interval and verdict each (gialib.ledger).
CLAIMS = ROOT + "/tables/{target}_claims.csv"
# Every target's claims in one table: the report opens with it.
LEDGER = ROOT + "/ledger/claims.md"
LEDGER_TABLE = ROOT + "/ledger/claims.csv"

# The validated config and the software versions of a run (report's "Provenance").
RUN_CONFIG = ROOT + "/provenance/config.yaml"
RUN_VERSIONS = ROOT + "/provenance/versions.yaml"
# Beside a target's table, row by row: what the run measured that is no result (wall-clock
# times, paths on the machine), so that the same config gives the same table bytes.
TABLE_PROVENANCE = TABLE.removesuffix(".csv") + ".provenance.csv"


def shared_update(defense: str) -> str:
    """The update an attack reads: the captured one when ``defense`` is ``none``, else the
    ``defend`` stage's output (no job copies an update unchanged)."""
    return CAPTURE if defense == UNDEFENDED else DEFEND


def log_of(stage: str, template: str) -> str:
    """Log file of a stage's output ``template``: same wildcards, under ``results/logs/<stage>/``."""
    rest = template.removeprefix(ROOT + "/").split("/", 1)[1]
    return f"{ROOT}/logs/{stage}/{rest.rsplit('.', 1)[0]}.log"


# Regular expressions for the wildcards (Snakemake ``wildcard_constraints``).
CONSTRAINTS = {
    "dataset": r"[A-Za-z0-9_\-+=]+",  # a datasets key, or a view such as packaged+ood=textures
    "resolution": r"\d+",
    "round": r"\d+",
    "protocol": r"fedsgd|fedavg",
    "num_examples": r"\d+",
    "batch_size": r"\d+",
    "local_updates": r"\d+",
    "trial": r"\d+",
    "trials": r"\d+",
    "model": r"[^/~]+",
    "defense": r"[^/~]+",
    "attack": r"[^/~]+",
    "generator": r"[^/~.]+",
    "target": r"[a-z0-9_]+",
}
