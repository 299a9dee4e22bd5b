"""Behaviour unchanged by issue 13's refactoring: the miniature runs' result files equal the
digests recorded before it (``tests/data/golden.json``, made with ``tests/golden.py``), and the
paper config builds the same DAG.

The CSV comparison is per column, so every column the refactoring removed or renamed is named
here with the reason; a removed duplicate must have equalled the column it duplicated.
"""

import json
import re

import pandas as pd
import pytest

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
# Renamed columns: old name -> new name.
RENAMED: dict[str, str] = {}


def _compare(name: str, results) -> None:
    golden, now = GOLDEN["runs"][name], digests(results)
    assert sorted(now["files"]) == sorted(golden["files"]), "result files differ"
    changed = [f for f in golden["files"] if now["files"][f] != golden["files"][f]]
    assert not changed, f"{len(changed)} result file(s) differ from the golden run, e.g. {changed[:3]}"
    assert sorted(now["tables"]) == sorted(golden["tables"])
    for table, columns in golden["tables"].items():
        current = now["tables"][table]
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
    """A changed digest is caught (the comparison is no tautology)."""
    golden = GOLDEN["runs"]["mini"]
    key = sorted(golden[where])[0]
    tampered = json.loads(json.dumps(GOLDEN))
    if where == "files":
        tampered["runs"]["mini"]["files"][key] = "0" * 64
    else:
        column = sorted(golden["tables"][key])[0]
        tampered["runs"]["mini"]["tables"][key][column] = "0" * 64
    original = dict(GOLDEN)
    GOLDEN.clear()
    GOLDEN.update(tampered)
    try:
        with pytest.raises(AssertionError):
            _compare("mini", mini_runs[0] / "results")
    finally:
        GOLDEN.clear()
        GOLDEN.update(original)


def test_paper_dry_run_builds_the_same_job_count():
    out = snakemake("-n", "all", "--configfile", "config/paper.yaml")
    total = re.search(r"^total\s+(\d+)$", out.stdout + out.stderr, re.MULTILINE)
    assert total and int(total.group(1)) == GOLDEN["paper_dry_run_jobs"], (out.stdout + out.stderr)[-2000:]


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
