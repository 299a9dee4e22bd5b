"""A killed ``train`` job resumes after its last complete round, with byte-identical results."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from gialib import stages
from gialib.fl import run as fl_run

from .conftest import REPO

DATA_SPEC = {"source": "packaged", "classes": ["astronaut", "chelsea", "coffee", "rocket"],
             "private_per_class": 6, "public_per_class": 2, "test_per_class": 2}
TRAINING = {"rounds": 4, "num_clients": 3, "clients_per_round": 2, "epochs": 1, "batch_size": 4,
            "lr": 0.05, "partition": {"kind": "iid"}}
MODEL = "convnet+dropout=0.25+width=8"  # dropout: the client's masks come from the seeded RNG
KILLED_IN = 3  # the round the first job is killed in (rounds 1 and 2 complete)

# The killed job: the library's own train stage, SIGKILLed as round KILLED_IN starts.
KILL_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    from gialib import stages
    from gialib.fl import run
    args = json.loads(sys.argv[1])
    run.MEMORY_STATE_BYTES, run.MEMORY_STATE_EVERY = args["memory_state"]
    real = run.train_round
    def train_round(previous, data, norm, cfg, defense, rnd, *rest):
        if rnd == args["kill_in"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(previous, data, norm, cfg, defense, rnd, *rest)
    run.train_round = train_round
    stages.train(**args["train"])
""")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    stages.prepare_data(str(d / "data.pt"), "small", DATA_SPEC, 16, seed=0)
    stages.train(outputs=[str(d / "round~0.pt")], data=str(d / "data.pt"), initial=None,
                 model=MODEL, defense="none", training=TRAINING, seed=0)
    return d


def train_args(inputs, folder, defense, training=TRAINING):
    return {"outputs": [str(folder / f"round~{r}.pt") for r in range(1, training["rounds"] + 1)],
            "data": str(inputs / "data.pt"), "initial": str(inputs / "round~0.pt"), "model": MODEL,
            "defense": defense, "training": training, "seed": 0}


def rounds_run(monkeypatch) -> list[int]:
    """The rounds this process computes (a spy on the run loop's ``train_round``)."""
    done: list[int] = []
    real = fl_run.train_round

    def spy(previous, data, norm, cfg, defense, rnd, *rest):
        done.append(rnd)
        return real(previous, data, norm, cfg, defense, rnd, *rest)

    monkeypatch.setattr(fl_run, "train_round", spy)
    return done


MEMORY_STATE = [fl_run.MEMORY_STATE_BYTES, fl_run.MEMORY_STATE_EVERY]


@pytest.mark.parametrize(("defense", "memory_state", "kill_in", "redone"), [
    ("none", MEMORY_STATE, KILLED_IN, [3, 4]),
    ("topk+memory=true+ratio=0.2", MEMORY_STATE, KILLED_IN, [3, 4]),
    # A large error-feedback memory is saved every 2nd round only: killed in round 4, the
    # job resumes after round 2 (its rounds 3 waits in the side folder, and is redone).
    ("topk+memory=true+ratio=0.2", [0, 2], 4, [3, 4]),
])
def test_killed_training_resumes_byte_identical(inputs, tmp_path, monkeypatch, defense,
                                                memory_state, kill_in, redone):
    import json

    whole, killed = tmp_path / "whole", tmp_path / "killed"
    stages.train(**train_args(inputs, whole, defense))

    args = train_args(inputs, killed, defense)
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, json.dumps(
        {"kill_in": kill_in, "memory_state": memory_state, "train": args})],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    # Nothing that looks like an output exists; the finished rounds wait in the side folder.
    assert not any((killed / f"round~{r}.pt").exists() for r in range(1, 5))
    partial = fl_run.partial_dir(args["outputs"])
    assert sorted(p.name for p in partial.iterdir()) == [
        *(f"round~{r}.pt" for r in range(1, kill_in)), "state.pt"]

    monkeypatch.setattr(fl_run, "MEMORY_STATE_BYTES", memory_state[0])
    monkeypatch.setattr(fl_run, "MEMORY_STATE_EVERY", memory_state[1])
    done = rounds_run(monkeypatch)
    stages.train(**args)
    assert done == redone  # only the rounds after the last saved state
    for r in range(1, 5):
        assert (killed / f"round~{r}.pt").read_bytes() == (whole / f"round~{r}.pt").read_bytes(), r
    assert not partial.exists()


def test_resume_state_of_another_run_is_not_used(inputs, tmp_path, monkeypatch):
    """A changed training block (here the learning rate) restarts from round 1, with a warning."""
    import json

    folder = tmp_path / "run"
    args = train_args(inputs, folder, "none")
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, json.dumps(
        {"kill_in": KILLED_IN, "memory_state": MEMORY_STATE, "train": args})],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    other = train_args(inputs, folder, "none", {**TRAINING, "lr": 0.01})
    done = rounds_run(monkeypatch)
    stages.train(**other)
    assert done == [1, 2, 3, 4]
    fresh = tmp_path / "fresh"
    stages.train(**train_args(inputs, fresh, "none", {**TRAINING, "lr": 0.01}))
    assert (folder / "round~4.pt").read_bytes() == (fresh / "round~4.pt").read_bytes()


def test_kill_while_the_outputs_appear_loses_nothing(inputs, tmp_path, monkeypatch):
    """Killed after the last round, with some outputs written: Snakemake deletes those (an
    incomplete job's outputs); the rerun computes no round and writes them all again."""
    import os

    folder = tmp_path / "run"
    args = train_args(inputs, folder, "none")
    stages.train(**args)
    expected = {r: (folder / f"round~{r}.pt").read_bytes() for r in range(1, 5)}
    # Rebuild the state of a job killed after linking round 2 of 4.
    partial = fl_run.partial_dir(args["outputs"])
    real_link = os.link
    linked: list[str] = []

    def link(src, dst):
        if len(linked) == 2:
            raise KeyboardInterrupt  # stands in for the kill
        linked.append(str(src))
        real_link(src, dst)

    for r in range(1, 5):
        (folder / f"round~{r}.pt").unlink()
    monkeypatch.setattr(os, "link", link)
    with pytest.raises(KeyboardInterrupt):
        stages.train(**args)
    monkeypatch.setattr(os, "link", real_link)
    assert sorted(p.name for p in partial.iterdir())[-1] == "state.pt"
    for r in (1, 2):  # what Snakemake does to an incomplete job's outputs
        (folder / f"round~{r}.pt").unlink()
    done = rounds_run(monkeypatch)
    stages.train(**args)
    assert done == []
    assert {r: (folder / f"round~{r}.pt").read_bytes() for r in range(1, 5)} == expected
