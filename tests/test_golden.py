"""Behaviour unchanged by issue 13's refactoring: the miniature runs' result files equal the
digests recorded before it (``tests/data/golden.json``, made with ``tests/golden.py``), and the
paper config builds the same DAG.

Float kernels round differently on some CPU kinds (on an AMD EPYC every attack record differs
from the recording's in its last bits, at the recorded code too): there the run must equal the
digests recorded on that kind (``golden.json``'s ``machines``, from code that matched the
recording on its own kind) exactly.

The CSV comparison is per column, so every column the refactoring removed or renamed is named
here with the reason; a removed duplicate must have equalled the column it duplicated.
"""

import json
import re

import pandas as pd
import pytest
import yaml

from gialib.experiments.base import config_digest
from tests.conftest import REPO, snakemake
from tests.golden import digests

GOLDEN = json.loads((REPO / "tests" / "data" / "golden.json").read_text())

# Columns written twice per row before: the cell's own column is kept, the copy in the
# update's provenance removed; the client block's lr and bn_mode, which the update records,
# likewise (the golden digests must show each pair was equal).
_CELL = ("dataset", "resolution", "model", "round", "defense", "protocol", "num_examples",
         "batch_size", "local_updates", "trial")
DUPLICATES: dict[str, str] = {**{f"provenance.update.{f}": f for f in _CELL},
                              "client.lr": "provenance.update.lr",
                              "client.bn_mode": "provenance.update.bn_mode",
                              # tab2 (only there): the threat flag moved next to the attack
                              "provenance.attack.threat.knows_batch_size": "knows_batch_size"}
# Renamed columns: old name -> new name. fig10's IGSA column held the weighted Jacobian norm;
# it is now named so, and IGSA is its reciprocal (higher = smoother, the paper's reading).
RENAMED: dict[str, str] = {"igsa": "jacobian_norm", "igsa_std": "jacobian_norm_std"}
# Columns added after the recording, per table, with what they derive from (not compared).
ADDED: dict[str, dict[str, str]] = {"tables/fig10.csv": {"igsa": "1 / jacobian_norm per input",
                                                         "igsa_std": "its sd over inputs"}}
# Renamed attacks (issue 13: an attack name no longer holds the spec separator "+"): old name
# -> new name. They change the attack's path segment and the CSV values that name it (the
# attack column, the claims' text), nothing else: the current names are mapped back to the
# old ones before the digests are compared.
ATTACKS_RENAMED: dict[str, str] = {"G+TV": "G_TV", "G+TV@all": "G_TV@all", "G+TV@nin1": "G_TV@nin1",
                                   "G+gen": "G_gen", "G+gen+knownB": "G_gen_knownB"}
_OLD_ATTACK = {new: old for old, new in ATTACKS_RENAMED.items()}
# A whole name only (longest first, so G_TV@nin1 is not read as G_TV followed by "@nin1").
_NEW_ATTACK = re.compile(r"(?<![\w+])(" + "|".join(map(re.escape, sorted(_OLD_ATTACK, key=len, reverse=True)))
                         + r")(?![\w@+])")


def _old_attack_names(text: str) -> str:
    return _NEW_ATTACK.sub(lambda m: _OLD_ATTACK[m.group(1)], text)


# tab2's axis became N/B (num_batches) instead of U (local_updates): its claims name the field
# ("tab2: num_batches 1->2, ...", "num_batches=1"). The recording's tab2 ran E = 1 epoch, where
# U = N/B, so mapping the name back (values unchanged) is exact there.
_TAB2_AXIS = re.compile(r"^(tab2: )?num_batches(=| )")


def _old_tab2_axis(text: str) -> str:
    return _TAB2_AXIS.sub(lambda m: f"{m.group(1) or ''}local_updates{m.group(2)}", text)


def _with_old_attack_names(obj):
    """``obj`` (a config) with every attack name, as key or value, mapped back to its old name."""
    if isinstance(obj, dict):
        return {_with_old_attack_names(k): _with_old_attack_names(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_with_old_attack_names(v) for v in obj]
    return _old_attack_names(obj) if isinstance(obj, str) else obj


def _to_old_names(results):
    """Current text -> its form before the renames. The config_digest column hashes the whole
    config, attack names included: the run's digest maps to the digest of its config with the
    old names, so the column still shows the rename and nothing else changed the config."""
    config = yaml.safe_load((results / "provenance" / "config.yaml").read_text())
    digest = {config_digest(config): config_digest(_with_old_attack_names(config))}
    return lambda text: digest.get(text) or _old_tab2_axis(_old_attack_names(text))


def _compare(name: str, results) -> None:
    """The run's digests equal the recording's; on a CPU kind whose float kernels round
    differently (``GOLDEN["machines"]``: recorded there from code that matched the recording
    here), they equal that kind's digests exactly instead."""
    now = digests(results, translate=_to_old_names(results))
    try:
        _compare_with_recording(name, now)
    except AssertionError as error:
        if not any(m["runs"].get(name) == now for m in GOLDEN.get("machines", [])):
            raise AssertionError(f"{error}; nor does it equal the recording on another CPU kind "
                                 f"({len(GOLDEN.get('machines', []))} recorded)") from None


def _compare_with_recording(name: str, now) -> None:
    golden = GOLDEN["runs"][name]
    assert sorted(now["files"]) == sorted(golden["files"]), "result files differ"
    changed = [f for f in golden["files"] if now["files"][f] != golden["files"][f]]
    assert not changed, f"{len(changed)} result file(s) differ from the golden run, e.g. {changed[:3]}"
    assert sorted(now["tables"]) == sorted(golden["tables"])
    for table, columns in golden["tables"].items():
        current = {c: d for c, d in now["tables"][table].items() if c not in ADDED.get(table, {})}
        expected = {}
        for column, digest in columns.items():
            if column in DUPLICATES and DUPLICATES[column] in columns:
                assert digest == columns[DUPLICATES[column]], (table, column, "was no duplicate")
                assert column not in current, (table, column, "still written twice")
                continue
            expected[RENAMED.get(column, column)] = digest
        assert sorted(current) == sorted(expected), (table, set(current) ^ set(expected))
        differ = [c for c in expected if current[c] != expected[c]]
        assert not differ, f"{table}: column(s) {differ} differ from the golden run"


def test_tab1_miniature_equals_the_golden_run(mini_runs):
    _compare("mini", mini_runs[0] / "results")


def test_gial_miniature_equals_the_golden_run(mini_gial_run):
    _compare("mini_gial", mini_gial_run)


def test_models_miniature_equals_the_golden_run(mini_models_run):
    _compare("mini_models", mini_models_run)


@pytest.mark.parametrize("where", ["files", "tables"])
def test_the_comparison_can_fail(where, mini_runs):
    """A changed digest is caught (the comparison is no tautology), in the recording and in
    each CPU kind's."""
    tampered = json.loads(json.dumps(GOLDEN))
    for golden in [tampered["runs"]["mini"], *(m["runs"]["mini"] for m in tampered.get("machines", []))]:
        key = sorted(golden[where])[0]
        if where == "files":
            golden["files"][key] = "0" * 64
        else:
            column = sorted(golden["tables"][key])[0]
            golden["tables"][key][column] = "0" * 64
    original = dict(GOLDEN)
    GOLDEN.clear()
    GOLDEN.update(tampered)
    try:
        with pytest.raises(AssertionError):
            _compare("mini", mini_runs[0] / "results")
    finally:
        GOLDEN.clear()
        GOLDEN.update(original)


def attack_jobs(config: dict) -> tuple[int, int, int]:
    """The paper DAG's attack jobs in the layout of the golden run (one per trial: each
    (client cell, attack, trial) once), in the current one (one per
    client cell, attack and the target's trials T: ``Experiment.attack_path``), and its score
    jobs now (one per target that attacks)."""
    from gialib import paths
    from gialib.experiments import get_experiment

    per_trial, per_job, scored = set(), set(), set()
    for target in config["experiments"]:
        exp = get_experiment(target, config)
        for cell in exp.cells():
            per_trial.add((cell.path(paths.CLIENT), cell.attack, cell.trial))
            per_job.add(exp.attack_path(cell))
            scored.add(exp.score_path)
    return len(per_trial), len(per_job), len(scored)


def test_paper_dry_run_builds_the_same_jobs_but_one_attack_job_per_cell():
    """The same DAG as the golden run's, but for the attack rule (issue 15): its one job per
    trial became one job per client cell, attack and trials T; and for the score rule, which
    had one job per attack job (the count the golden total holds) and has one per target."""
    out = snakemake("-n", "all", "--configfile", "config/paper.yaml")
    text = out.stdout + out.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", text, re.MULTILINE))
    per_trial, per_job, scored = attack_jobs(yaml.safe_load((REPO / "config" / "paper.yaml").read_text()))
    assert per_job < per_trial and int(counts["attack"]) == per_job, text[-2000:]
    assert int(counts["score"]) == scored, text[-2000:]
    # attack: per_trial -> per_job jobs; score: per_job (one per attack job) -> scored jobs
    expected = GOLDEN["paper_dry_run_jobs"] - per_trial + scored
    assert int(counts["total"]) == expected, text[-2000:]


def test_same_config_gives_byte_identical_tables(mini_runs):
    """Issue 16 item 5: the CSV holds results only; wall-clock times and machine paths are in
    the target's provenance file."""
    a, b = (r / "results/tables" for r in mini_runs)
    assert (a / "tab1.csv").read_bytes() == (b / "tab1.csv").read_bytes()
    header = (a / "tab1.csv").read_text().splitlines()[0].split(",")
    assert not [c for c in header if "seconds" in c]
    status = " ".join(pd.read_csv(a / "tab1.csv")["lpips_status"])
    assert "LPIPS" in status and not [w for w in status.split() if w.startswith("/")]
    run = pd.read_csv(a / "tab1.provenance.csv")
    assert list(run["local_updates"]) == list(pd.read_csv(a / "tab1.csv")["local_updates"])
    assert (run["provenance.attack_seconds"] > 0).all() and "run.lpips_status" in run


def test_attack_names_map_back_whole():
    """The map back from the current attack names touches whole names only."""
    assert _old_attack_names("score/x/G_TV@nin1/trials~1.json") == "score/x/G+TV@nin1/trials~1.json"
    assert _old_attack_names("tab2: local_updates 1->2, attack=G_gen_knownB") == \
        "tab2: local_updates 1->2, attack=G+gen+knownB"
    assert _old_attack_names("G_TV_BN, G_TV@nin2, convnet+width=4") == "G_TV_BN, G_TV@nin2, convnet+width=4"
