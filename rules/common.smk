# Validation first (schema, then cross-references), then the helpers rules share.
import re
from functools import cache

from snakemake.utils import validate

from gialib import paths
from gialib.config_check import check_config, preflight
from gialib.runtimes import attack_minutes
from gialib.metrics.lpips_metric import lpips_status
from gialib.experiments import get_experiment, trials_per_client
from gialib.generators.config import attack_config, generator_file
from gialib.data.views import dataset_spec

validate(config, "../config/schema.yaml")
check_config(config, enforce_lpips=False)


wildcard_constraints:
    **paths.CONSTRAINTS,


LPIPS_AVAILABLE, LPIPS_STATUS = lpips_status(
    config["metrics"]["lpips"], config["metrics"]["lpips_net"], config["metrics"]["lpips_weights"]
)
logger.info(LPIPS_STATUS)


onstart:
    # Before the first job (not in a dry run, which starts none): what the machine must
    # provide (data, a loadable LPIPS backbone, CUDA where jobs run here, buildable models).
    preflight(config, local=workflow.local_exec)

# Cheap bookkeeping runs on the submitting host, not as cluster jobs.
localrules:
    aggregate,
    figure,
    ledger,
    provenance,


# A job asks for a GPU only when the config runs models on one.
GPUS = 0 if config["device"] == "cpu" else 1
THREADS = config["threads"]
TARGETS = list(config["experiments"])


# {target} is one of the config's targets, so that results/tables/tab1_claims.csv (the figure
# rule's output) never also matches the aggregate rule's results/tables/{target}.csv.
wildcard_constraints:
    target="|".join(map(re.escape, TARGETS)),


def target_outputs(target):
    """A target's table, figure, grid and claims, plus the run's provenance files (for the report)."""
    outputs = (paths.SUMMARY, paths.FIGURE, paths.GRID, paths.CLAIMS)
    return [p.format(target=target) for p in outputs] + [paths.RUN_CONFIG, paths.RUN_VERSIONS]


def attack_runtime(wildcards, attempt):
    """Minutes for an attack job: the measured ms per iteration of its model on the config's
    device (gialib.runtimes), scaled to the cell and its trials, times the attempt (a retry
    resumes from the job's saved state with more time). Override with
    `set-resources: attack:runtime=...`."""
    return attack_minutes(config["attacks"][wildcards.attack], wildcards.model, config["device"],
                          int(wildcards.resolution), int(wildcards.num_examples),
                          int(wildcards.local_updates), int(wildcards.trials), attempt)


# Per attack name, computed once: the paper DAG asks for them in thousands of jobs.
ATTACK_SPECS = {name: attack_config(config, name) for name in config["attacks"]}


# Per client cell, the trials its capture file holds (the most any target attacks).
CAPTURE_TRIALS = trials_per_client(config)


def capture_trials(w):
    """Trials of this client cell; one for a cell no target names (a file asked for by hand)."""
    return CAPTURE_TRIALS.get(paths.CLIENT.format(**w), 1)


def shared_update(w):
    """The update an attack reads (captured, or post-processed by the defend rule)."""
    return paths.shared_update(w.defense).format(**w)


@cache
def experiment(target):
    """One Experiment per target: its cells cost a tenth of a second to build, and the
    aggregate and figure rules ask for them per job."""
    return get_experiment(target, config)


@cache
def _inputs(target, kind):
    exp = experiment(target)
    return exp.inputs() if kind == "table" else exp.grid_inputs()


@cache
def score_inputs(target):
    """(attack files, truth files), pairwise: what the target's score job reads."""
    return experiment(target).score_inputs()


def score_runtime(wildcards, attempt):
    """Minutes for a target's score job: a few seconds per attack file on a CPU, ample."""
    return attempt * (10 + len(score_inputs(wildcards.target)[0]) // 10)


def table_inputs(w):
    """Every file the target's aggregate stage reads."""
    return _inputs(w.target, "table")


def grid_inputs(w):
    """Files the target's reconstruction grid reads."""
    return _inputs(w.target, "grid")


def attack_generator_file(w):
    """GIA-L (space latent) also reads its trained generator at the cell's resolution."""
    return generator_file(config, w.attack, w.dataset, w.resolution)
