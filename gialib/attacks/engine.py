"""The optimisation engine shared by every optimisation-based GIA.

Minimises  objective(simulate(P(z), y), shared) + sum_k w_k * prior_k(P(z))
over the parameterisation's variables z (pixels for GIA-O, Definition 1; a
generator's latent for GIA-L, Definition 2) with Adam (optionally on the signed
gradient), a learning-rate schedule, a box/feasibility projection after each
step, and restarts of which the lowest final loss is kept.

A long attack survives a kill: with a ``Resume``, it saves its whole state (the
variables, optimiser, scheduler, random state, best restart so far, history and
iteration) every ``Resume.every`` iterations with an atomic write, continues from
that file when it exists and fits this attack, and removes it when done (a job of
several trials keeps the file, with its finished trials in it: ``Resume.carry``). A
resumed attack ends bit-identical to an uninterrupted one (same device and threads). On
SIGTERM or SIGUSR1 (a time limit, a preemption, SLURM's warning signal) or when
the parent process (Snakemake) is gone, it saves its state at the end of the
iteration and stops with ``AttackInterrupted``: it never writes a result.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gialib import io
from gialib.attacks.objectives import OBJECTIVES
from gialib.attacks.params import ImageParam
from gialib.attacks.priors import PRIORS, PriorContext
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec
from gialib.runtime import derive_seed, generator

log = logging.getLogger(__name__)


@dataclass
class InversionResult:
    images: torch.Tensor
    labels: torch.Tensor
    loss: float
    restart: int
    seconds: float
    iterations: int
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Resume:
    """Where an attack keeps its state, how often it saves it, and what the state must
    have been made for (``fingerprint``: the spec, seed and update; a state file of
    another attack is not resumed).

    The file holds ``{"attack": state, **carry}``. ``carry`` None: the file is this
    attack's alone and is removed when it ends. Otherwise ``carry`` is written with every
    state and the file is left when the attack ends: a job of several trials keeps its
    finished trials there (``gialib.attacks.run.run_trials``), so one atomic write always
    holds both the trials before and the running trial's state, and the job rewrites the
    file once this trial's result joins them.
    """

    path: str
    every: int
    fingerprint: str
    carry: dict | None = None
    # Prefix of the progress lines (e.g. "trial 1 (2 of 5)"): which trial of a job a line is about.
    label: str = ""

    def save(self, state: dict | None) -> None:
        io.save_pt({**(self.carry or {}), "attack": state}, self.path)


class AttackInterrupted(RuntimeError):
    """The attack stopped on a signal or a lost parent after saving its state."""


# Sent by SLURM at a time limit or a preemption (SIGTERM, some seconds before SIGKILL) and
# as a warning before the limit (profiles/slurm: --signal=USR1@...).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class _Stop:
    """Whether the attack should save its state and stop at the end of this iteration."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.parent = os.getppid()

    def reason(self) -> str | None:
        if self.signal is not None:
            return f"signal {signal.Signals(self.signal).name}"
        if os.getppid() != self.parent:
            return f"parent process {self.parent} is gone"
        return None


@contextmanager
def _stop_on_signals() -> Iterator[_Stop]:
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # handlers can only be set from the main thread; the parent check still works
        return

    def handler(signum, frame) -> None:
        stop.signal = signum

    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _load_state(resume: Resume) -> dict | None:
    """The saved state of this attack, or None (no file, or one made for another attack)."""
    if not Path(resume.path).is_file():
        return None
    state = io.load_pt(resume.path, kind="attack state", required=("attack",))["attack"]
    if state is None:  # a job's file between two trials: no attack running
        return None
    missing = [k for k in ("fingerprint", "restart", "iteration", "param", "optimizer") if k not in state]
    if missing:
        raise ValueError(f"attack state file {resume.path} lacks key(s) {missing}")
    if state["fingerprint"] != resume.fingerprint:
        log.warning("state file %s was saved by another attack (spec, seed or update differ): "
                    "starting from iteration 0", resume.path)
        return None
    log.info("%sresuming from %s: restart %d, iteration %d", _prefix(resume), resume.path,
             state["restart"], state["iteration"])
    return state


def _prefix(resume: Resume | None) -> str:
    return f"{resume.label}: " if resume is not None and resume.label else ""


def _random_state(device: torch.device) -> dict:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def _set_random_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if state["cuda"] is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


SCHEDULES = {
    # Geiping et al.: decay by 10 at 3/8, 5/8 and 7/8 of the run
    "multistep": lambda opt, n: torch.optim.lr_scheduler.MultiStepLR(
        opt, milestones=[int(n * f) for f in (3 / 8, 5 / 8, 7 / 8)], gamma=0.1),
    "cosine": lambda opt, n: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n),
    "none": lambda opt, n: None,
}
OPTIMIZERS = {
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
}


def _pick(table: dict, name: str, what: str):
    if name not in table:
        raise ValueError(f"unknown attack {what} {name!r}; known: {', '.join(table)}")
    return table[name]


def invert(problem: InversionProblem, param: ImageParam, labels: torch.Tensor, spec: AttackSpec,
           seed: int, resume: Resume | None = None) -> InversionResult:
    """Run ``spec.restarts`` optimisations of ``param``; keep the one with the lowest loss.

    ``resume``: save the state there every ``resume.every`` iterations, start from it if
    present, stop with ``AttackInterrupted`` (state saved) on SIGTERM / SIGUSR1 or when the
    parent process dies, and remove it at the end (unless it carries a job's other trials).
    """
    objective = OBJECTIVES.get(spec.objective)(problem.target)
    priors = [(PRIORS.get(name)(), float(w)) for name, w in sorted(spec.priors.items()) if w > 0]
    record_bn = any(p.needs_bn for p, _ in priors)
    client_bn = problem.update.bn_statistics if record_bn else None
    device = next(param.parameters()).device
    prefix = _prefix(resume)

    def total_loss() -> tuple[torch.Tensor, torch.Tensor]:
        x = param()
        simulated, stats = problem.simulate(x, labels, record_bn=record_bn)
        match = objective(simulated)
        loss = match
        if priors:
            ctx = PriorContext(dummy_bn=stats, client_bn=client_bn)
            for prior, weight in priors:
                loss = loss + weight * prior(x, ctx)
        return loss, match

    state = _load_state(resume) if resume is not None else None
    best: InversionResult | None = None
    history: list[dict[str, float]] = []
    if state is not None:
        history = list(state["history"])
        if state["best"] is not None:
            best = InversionResult(**state["best"], seconds=0.0, iterations=spec.iterations)
    start = time.perf_counter()
    with _stop_on_signals() as stop:
        for restart in range(state["restart"] if state else 0, spec.restarts):
            variables = list(param.parameters())
            opt = _pick(OPTIMIZERS, spec.optimizer, "optimizer")(variables, spec.lr)
            sched = _pick(SCHEDULES, spec.schedule, "schedule")(opt, spec.iterations)
            first = 1
            if state is not None:  # the restart the saved state was in, at its iteration
                param.load_state_dict(state["param"])
                opt.load_state_dict(state["optimizer"])
                if sched is not None:
                    sched.load_state_dict(state["scheduler"])
                _set_random_state(state["random"], device)
                first, state = state["iteration"] + 1, None
            else:
                # dropout masks in the simulated forward come from the global RNG: seed it per restart
                torch.manual_seed(derive_seed(seed, restart, 11))
                param.reset(generator(seed, restart, 12))
            t0 = time.perf_counter()
            for it in range(first, spec.iterations + 1):
                opt.zero_grad(set_to_none=True)
                loss, match = total_loss()
                # Gradients to the attack's variables only: the simulated model's parameter
                # copies are leaves that require grad, and a plain backward() would also
                # accumulate a gradient into each of them that nobody reads.
                loss.backward(inputs=variables)
                if spec.signed:
                    for p in variables:
                        p.grad.sign_()
                opt.step()
                if sched is not None:
                    sched.step()
                param.project()
                if it % spec.log_every == 0 or it == spec.iterations:
                    row = {"restart": restart, "iteration": it, "loss": loss.item(),
                           "matching": match.item(), "seconds": time.perf_counter() - t0}
                    history.append(row)
                    log.info("%srestart %d iteration %d/%d loss %.5f matching %.5f (%.1fs)", prefix,
                             restart, it, spec.iterations, row["loss"], row["matching"], row["seconds"])
                if resume is None or it == spec.iterations:
                    continue
                reason = stop.reason()
                if it % resume.every == 0 or reason is not None:
                    resume.save({"fingerprint": resume.fingerprint, "restart": restart, "iteration": it,
                                 "param": param.state_dict(), "optimizer": opt.state_dict(),
                                 "scheduler": sched.state_dict() if sched is not None else None,
                                 "random": _random_state(device), "history": history,
                                 "best": None if best is None else {
                                     "images": best.images, "labels": best.labels, "loss": best.loss,
                                     "restart": best.restart}})
                if reason is not None:
                    raise AttackInterrupted(f"{prefix}attack stopped ({reason}) at restart {restart}, "
                                            f"iteration {it}; its state is in {resume.path}: a rerun "
                                            "resumes it")
            with torch.no_grad():
                images = param().detach().clone()
            final, _ = total_loss()
            final = float(final.detach())
            # A diverged restart (NaN loss) never wins, and never makes the later ones lose.
            if best is None or final < best.loss or (math.isnan(best.loss) and not math.isnan(final)):
                best = InversionResult(images, labels.clone(), final, restart, 0.0, spec.iterations)
    assert best is not None
    best.seconds = time.perf_counter() - start
    best.history = history
    if resume is not None and resume.carry is None:
        Path(resume.path).unlink(missing_ok=True)
    return best
