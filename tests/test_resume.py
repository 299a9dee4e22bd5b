"""A killed attack resumes from its saved state and ends bit-identical to an uninterrupted one."""

import logging
import math
import signal
import time
from pathlib import Path

import pytest
import torch
import yaml

from gialib import runtime
from gialib.attacks import engine
from gialib.attacks.engine import AttackInterrupted, Resume, invert
from gialib.attacks.params import PixelParam
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec
from gialib.data import Split
from gialib.fl.client import client_update
from tests.conftest import make_model

# Dropout in the attacked forward draws from the global RNG, the multistep schedule has
# state, and two restarts carry a best-so-far: everything a resume must restore.
SPEC = AttackSpec(iterations=40, restarts=2, log_every=10, priors={"tv": 0.05})
EVERY = 10


class Killed(Exception):
    pass


class KilledAt(PixelParam):
    """Pixel space whose ``project`` (the end of an iteration) runs ``action`` on its n-th call."""

    def __init__(self, shape, at: int, action) -> None:
        super().__init__(shape, {}, {})
        self.calls, self.at, self.action = 0, at, action

    def project(self) -> None:
        super().project()
        self.calls += 1
        if self.calls == self.at:
            self.action()


def _raise() -> None:
    raise Killed  # stands in for SIGKILL: nothing after the last saved state survives


@pytest.fixture(scope="module")
def case(small_set):
    model = make_model("convnet+dropout=0.25+width=8")
    idx = small_set.indices(Split.private)[:2]
    x, y = small_set.floats(idx), small_set.labels[idx]
    update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=2, local_updates=1, lr=0.1,
                              seed=0)
    return model, update, tuple(x.shape), y


def _invert(case, param, resume=None, spec=SPEC):
    model, update, _, y = case
    return invert(InversionProblem(model, update, spec.threat), param, y, spec, seed=5, resume=resume)


def _same(a, b) -> None:
    assert torch.equal(a.images, b.images)
    assert a.loss == b.loss and a.restart == b.restart
    assert [(h["restart"], h["iteration"], h["loss"]) for h in a.history] == \
        [(h["restart"], h["iteration"], h["loss"]) for h in b.history]


@pytest.mark.parametrize("killed_at", [27, 40 + 27])  # restart 0 at 27; restart 1 at 27
def test_killed_attack_resumes_bit_identical(case, tmp_path, killed_at):
    shape = case[2]
    full = _invert(case, PixelParam(shape, {}, {}))
    resume = Resume(str(tmp_path / "trials~1.pt.state"), EVERY, "attack A")
    with pytest.raises(Killed):
        _invert(case, KilledAt(shape, killed_at, _raise), resume)
    state = torch.load(resume.path, weights_only=True)["attack"]
    # the last state saved before the kill: iteration 20 of the restart it was in
    assert (state["restart"], state["iteration"]) == divmod(killed_at, 40)[:1] + (20,)
    resumed = _invert(case, PixelParam(shape, {}, {}), resume)
    _same(resumed, full)
    assert not (tmp_path / "trials~1.pt.state").exists()  # removed on success


def test_signal_saves_the_current_iteration_and_stops(case, tmp_path):
    """SIGUSR1 (SLURM's warning before the time limit) or SIGTERM: save now, stop, resume."""
    shape = case[2]
    full = _invert(case, PixelParam(shape, {}, {}))
    resume = Resume(str(tmp_path / "state"), EVERY, "attack A")
    before = signal.getsignal(signal.SIGUSR1)
    with pytest.raises(AttackInterrupted, match="signal SIGUSR1.*restart 1, iteration 13"):
        _invert(case, KilledAt(shape, 40 + 13, lambda: signal.raise_signal(signal.SIGUSR1)), resume)
    assert signal.getsignal(signal.SIGUSR1) is before  # handlers restored
    state = torch.load(resume.path, weights_only=True)["attack"]
    assert (state["restart"], state["iteration"]) == (1, 13)
    _same(_invert(case, PixelParam(shape, {}, {}), resume), full)


def test_orphaned_attack_saves_and_writes_nothing(case, tmp_path, monkeypatch):
    """Snakemake killed (SIGKILL) mid-attack: the orphan notices its parent is gone, saves its
    state and stops instead of finishing into a complete-looking output."""
    shape = case[2]
    resume = Resume(str(tmp_path / "state"), EVERY, "attack A")
    parent = engine.os.getppid()

    def orphan() -> None:
        monkeypatch.setattr(engine.os, "getppid", lambda: 1 if parent != 1 else 2)

    with pytest.raises(AttackInterrupted, match=f"parent process {parent} is gone"):
        _invert(case, KilledAt(shape, 7, orphan), resume)
    assert torch.load(resume.path, weights_only=True)["attack"]["iteration"] == 7


def test_state_of_another_attack_is_not_resumed(case, tmp_path, caplog):
    shape = case[2]
    full = _invert(case, PixelParam(shape, {}, {}))
    with pytest.raises(Killed):
        _invert(case, KilledAt(shape, 27, _raise), Resume(str(tmp_path / "s"), EVERY, "attack A"))
    with caplog.at_level(logging.WARNING):
        other = _invert(case, PixelParam(shape, {}, {}), Resume(str(tmp_path / "s"), EVERY, "attack B"))
    assert "saved by another attack" in caplog.text
    _same(other, full)  # from iteration 0, not from attack A's state


def test_resume_saves_time(case, tmp_path, capsys):
    """The figures of the closing note: an attack killed at 3/4 of its run, resumed vs rerun."""
    spec = AttackSpec(iterations=400, restarts=1, log_every=100, priors={"tv": 0.05})
    shape = case[2]
    t0 = time.perf_counter()
    full = _invert(case, PixelParam(shape, {}, {}), spec=spec)
    rerun = time.perf_counter() - t0
    resume = Resume(str(tmp_path / "state"), 100, "attack A")
    with pytest.raises(Killed):
        _invert(case, KilledAt(shape, 350, _raise), resume, spec=spec)
    t0 = time.perf_counter()
    resumed = _invert(case, PixelParam(shape, {}, {}), resume, spec=spec)
    rest = time.perf_counter() - t0
    _same(resumed, full)
    with capsys.disabled():
        print(f"\nkilled at iteration 350 of 400 (state saved at 300): rerun from zero {rerun:.2f} s, "
              f"resume {rest:.2f} s, saved {rerun - rest:.2f} s ({100 * (1 - rest / rerun):.0f} %)")
    assert rest < rerun


@pytest.fixture(scope="module")
def trials_files(small_set, tmp_path_factory):
    """A checkpoint and a capture file of three trials (other victims each), as the pipeline
    writes them."""
    from gialib.fl.server import initial_checkpoint, load_checkpoint
    from gialib.fl.update import ClientUpdate
    from gialib.io import save_pt

    d = tmp_path_factory.mktemp("trials")
    norm = {"mean": [0.5] * 3, "std": [0.25] * 3}
    ckpt = initial_checkpoint("convnet+dropout=0.25+width=8", small_set, norm, 0, "none")
    save_pt(ckpt, d / "round~0.pt")
    model, _ = load_checkpoint(d / "round~0.pt")
    updates = []
    for t in range(3):
        idx = small_set.indices(Split.private)[2 * t: 2 * t + 2]
        update, _ = client_update(model, small_set.floats(idx), small_set.labels[idx], protocol="fedsgd",
                                  batch_size=2, local_updates=1, lr=0.1, seed=t)
        update.model, update.round = ckpt["model"], 0
        updates.append(update)
    ClientUpdate.save_trials(updates, d / "shared.pt")
    return str(d / "shared.pt"), str(d / "round~0.pt")


SEEDS = [11, 12, 13]


def _run_trials(files, state_file=None):
    from gialib.attacks.run import run_trials

    return run_trials(*files, SPEC, SEEDS, torch.device("cpu"), state_file=state_file)


def _same_record(a, b) -> None:
    assert torch.equal(a["images"], b["images"]) and torch.equal(a["labels"], b["labels"])
    assert [a[k] for k in ("loss", "restart", "seed", "update")] == \
        [b[k] for k in ("loss", "restart", "seed", "update")]
    assert [(h["restart"], h["iteration"], h["loss"]) for h in a["history"]] == \
        [(h["restart"], h["iteration"], h["loss"]) for h in b["history"]]


def test_each_trial_of_a_job_equals_its_attack_alone(trials_files):
    """One job of three trials gives each trial's record as a job of that trial alone."""
    from gialib.attacks.run import run_attack

    job = _run_trials(trials_files)
    assert len(job) == 3 and len({r["loss"] for r in job}) == 3  # other victims, other results
    for t in (0, 2):
        _same_record(job[t], run_attack(trials_files[0], t, trials_files[1], SPEC, SEEDS[t],
                                        torch.device("cpu")))


def test_job_killed_in_its_second_trial_resumes_there_bit_identical(trials_files, tmp_path, monkeypatch,
                                                                    caplog):
    """Killed at iteration 27 of trial 1 (state saved at 20): the rerun keeps trial 0, resumes
    trial 1 at iteration 20 and ends with the uninterrupted job's records."""
    from gialib.attacks import run

    full = _run_trials(trials_files)
    state_file = str(tmp_path / "trials~3.pt.state")
    real = run.invert

    def killed_in_trial_1(problem, param, labels, spec, seed, resume=None):
        if resume.label.startswith("trial 1 "):  # its 27th iteration ends in a kill
            project, calls = param.project, []

            def killed_at_27() -> None:
                project()
                calls.append(1)
                if len(calls) == 27:
                    _raise()

            param.project = killed_at_27
        return real(problem, param, labels, spec, seed, resume)

    monkeypatch.setattr(run, "invert", killed_in_trial_1)
    with pytest.raises(Killed):
        _run_trials(trials_files, state_file)
    state = torch.load(state_file, weights_only=True)
    assert len(state["done"]) == 1 and (state["attack"]["restart"], state["attack"]["iteration"]) == (0, 20)
    _same_record(state["done"][0], full[0])
    monkeypatch.setattr(run, "invert", real)
    with caplog.at_level(logging.INFO):
        resumed = _run_trials(trials_files, state_file)
    assert "1 of 3 trial(s) done" in caplog.text
    assert "trial 1 (2 of 3): resuming from" in caplog.text and "restart 0, iteration 20" in caplog.text
    assert "trial 0 (1 of 3)" not in caplog.text  # trial 0 was not run again
    for a, b in zip(resumed, full, strict=True):
        _same_record(a, b)
    # every trial in the state file, no attack running: the caller writes the output, then removes it
    state = torch.load(state_file, weights_only=True)
    assert len(state["done"]) == 3 and state["attack"] is None


def test_attack_stage_writes_every_trial_then_removes_its_state(trials_files, tmp_path):
    from gialib import io, stages

    out = tmp_path / "trials~2.pt"
    stages.attack(str(out), *trials_files, SPEC.to_dict(), 2, 0, "cpu", 1)
    records = io.load_trials(out, kind="attack")
    assert [r["seed"] for r in records] == [runtime.derive_seed(0, t, 31) for t in range(2)]
    assert not Path(f"{out}.state").exists()


def test_state_of_another_job_is_not_resumed(trials_files, tmp_path, caplog):
    from gialib.io import save_pt

    state_file = tmp_path / "s"
    save_pt({"job": "another job", "done": [{"loss": 0.0}], "attack": None}, state_file)
    with caplog.at_level(logging.WARNING):
        records = _run_trials(trials_files, str(state_file))
    assert "saved by another attack job" in caplog.text
    _same_record(records[0], _run_trials(trials_files)[0])


def test_snakemake_killed_mid_attack_leaves_no_output_and_the_rerun_resumes(tmp_path):
    """SIGKILL of Snakemake in the second trial of an attack job: the orphaned attack saves its
    state (the first trial's record and the second's progress) and writes no result; the rerun
    (after --unlock: Snakemake's lock outlives a SIGKILL) keeps the first trial and resumes the
    second at its saved iteration."""
    import os
    import subprocess
    import sys

    from tests.conftest import MINI, REPO, snakemake

    cfg = yaml.safe_load(MINI.read_text())
    cfg["attacks"]["G_TV"].update(iterations=1500, log_every=20)
    cfg["experiments"]["tab1"].update(local_updates=1, trials=2)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    attack = tmp_path / ("results/attack/mini/resolution~16/convnet+width=4/none/round~1/fedavg/"
                         "num_examples~2/batch_size~2/local_updates~1/G_TV/trials~2.pt")
    log = tmp_path / ("results/logs/attack/mini/resolution~16/convnet+width=4/none/round~1/fedavg/"
                      "num_examples~2/batch_size~2/local_updates~1/G_TV/trials~2.log")
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "1",
                             str(attack.relative_to(tmp_path)), "--configfile", str(config)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not (log.is_file() and "trial 1 (2 of 2): restart 0 iteration 60/1500" in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "the attack never got going"
        time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    while "attack stopped (parent process" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.5)
    time.sleep(1)  # the orphan's exit
    assert not attack.exists(), "the orphaned attack wrote a complete-looking output"
    state = torch.load(f"{attack}.state", weights_only=True)
    saved = state["attack"]["iteration"]
    assert saved >= 60 and len(state["done"]) == 1
    snakemake("--unlock", "--configfile", str(config), cwd=tmp_path)
    snakemake("--cores", "1", str(attack.relative_to(tmp_path)), "--configfile", str(config), cwd=tmp_path)
    text = log.read_text()
    state_path = attack.relative_to(tmp_path)
    assert f"resuming from {state_path}.state: 1 of 2 trial(s) done" in text
    assert f"trial 1 (2 of 2): resuming from {state_path}.state: restart 0, iteration {saved}" in text
    assert attack.exists() and not Path(f"{attack}.state").exists()
    assert len(torch.load(attack, weights_only=True)["trials"]) == 2


def test_attack_runtime_comes_from_the_measured_time_of_its_model_and_device():
    from gialib.runtimes import MS_PER_ITERATION, STARTUP_MINUTES, UNMEASURED_MS, attack_minutes

    spec = {"iterations": 24_000, "restarts": 1}

    def minutes(model, device="cpu", **kw):
        return attack_minutes({**spec, **kw.pop("spec", {})}, model, device, kw.pop("resolution", 32),
                              kw.pop("num_examples", 1), kw.pop("local_updates", 1), **kw)

    cpu = MS_PER_ITERATION["cpu"]
    assert minutes("resnet152") > minutes("resnet18+cut_skip=3") > minutes("convnet+width=64")
    assert minutes("resnet18") == STARTUP_MINUTES + math.ceil(24_000 * cpu["resnet18"] / 60_000)
    unmeasured = STARTUP_MINUTES + math.ceil(24_000 * UNMEASURED_MS / 60_000)
    assert minutes("resnet18", device="cuda:0") == unmeasured
    assert minutes("resnet18", attempt=2) == 2 * minutes("resnet18")  # a retry asks for more
    # a job of 3 trials: three attacks' time, one start-up
    assert minutes("resnet18", trials=3) == STARTUP_MINUTES + math.ceil(3 * 24_000 * cpu["resnet18"] / 60_000)
    known_b = {"threat": {"knows_batch_size": True}}
    assert minutes("convnet", spec=known_b, local_updates=4) > minutes("convnet", local_updates=4)
    assert minutes("convnet", resolution=64) > minutes("convnet", resolution=32)


def test_every_model_family_of_the_configs_is_measured_on_the_cpu():
    from gialib.experiments import get_experiment
    from gialib.runtimes import FAMILIES, MS_PER_ITERATION
    from gialib.spec import parse_spec
    from tests.conftest import REPO

    for name in ("config.yaml", "paper.yaml"):
        cfg = yaml.safe_load((REPO / "config" / name).read_text())
        for target in cfg["experiments"]:
            for cell in get_experiment(target, cfg).cells():
                assert parse_spec(cell.model).name in FAMILIES, (name, cell.model)
    assert set(MS_PER_ITERATION["cpu"]) == set(FAMILIES)


def test_a_diverged_restart_does_not_make_later_restarts_lose(case):
    """Restart 0 ends with a NaN loss (a diverged run): restart 1's finite loss wins."""
    shape = case[2]
    spec = AttackSpec(iterations=5, restarts=2, log_every=5)

    class NaNFirst(PixelParam):
        def forward(self):
            return self.x * float("nan") if self.restart == 0 else self.x

        def reset(self, g):
            self.restart = getattr(self, "restart", -1) + 1
            super().reset(g)

    result = _invert(case, NaNFirst(shape, {}, {}), spec=spec)
    assert result.restart == 1 and math.isfinite(result.loss)
