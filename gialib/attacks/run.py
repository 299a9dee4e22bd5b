"""The attack stage: read the (defended) update and the model, reconstruct the victim's data."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import torch

from gialib import io
from gialib.attacks.engine import Resume, invert
from gialib.attacks.labels import infer_labels
from gialib.attacks.params import SPACES
from gialib.attacks.problem import InversionProblem, adversary_batch_order
from gialib.attacks.spec import AttackSpec
from gialib.fl.server import load_checkpoint
from gialib.fl.update import ClientUpdate
from gialib.models import classifier_layer
from gialib.models.subsets import select_parameters

log = logging.getLogger(__name__)


def attack_labels(update: ClientUpdate, model: torch.nn.Module, spec: AttackSpec,
                  names: list[str] | None = None) -> torch.Tensor:
    """The labels the adversary optimises with: given (if granted) or restored from the update.

    ``names``: the tensors the adversary uses (default: all in the update).
    """
    if spec.threat.labels == "given":  # which labels, not their order in the client's data (sorted)
        return update.labels.sort().values
    weight, bias = classifier_layer(model)
    if weight not in update.tensors:
        raise ValueError("label inference needs the classifier layer's tensors in the update")
    if names is not None and weight not in names:
        raise ValueError(f"label inference reads the classifier layer, which the attack's "
                         f"parameters={spec.parameters!r} excludes; set threat.labels: given")
    return infer_labels(update, weight, bias)


def run_attack(update_path: str, trial: int, checkpoint_path: str, spec: AttackSpec, seed: int,
               device: torch.device, context: dict[str, Any] | None = None,
               state_file: str | None = None) -> dict[str, Any]:
    """Reconstruct the images behind trial ``trial``'s update in ``update_path``; returns the
    attack record. ``state_file``: where the attack saves its state at every logged
    iteration (``spec.log_every``) and resumes from after a kill."""
    model, ckpt = _load_model(checkpoint_path, device)
    update = _load_update(update_path, trial, ckpt, checkpoint_path)
    names, labels = _adversary_view(update, model, spec)
    resume = None if state_file is None else Resume(
        state_file, spec.log_every, _fingerprint(spec, seed, trial, update, labels, ckpt))
    return _attack(model, ckpt, update, names, labels, spec, seed, device, context, resume)


def run_trials(update_path: str, checkpoint_path: str, spec: AttackSpec, seeds: list[int],
               device: torch.device, context: dict[str, Any] | None = None,
               state_file: str | None = None) -> list[dict[str, Any]]:
    """Attack trials 0 .. len(seeds)-1 of ``update_path`` (trial t with ``seeds[t]``) in this
    process, one after another: the model is built and the checkpoint read once for all of
    them. Returns the attack records in trial order, each equal to ``run_attack``'s.

    ``state_file``: the job's resume state, rewritten atomically at every logged iteration
    of the running trial (as ``run_attack``'s) and after every finished trial, with the
    finished trials' records in it. A killed job resumes at the trial and iteration where
    it stopped; the file is left for the caller to remove once it has written the result.

    The trials run in a loop, not batched: ``benchmarks/batched_trials.py`` measured K
    trials' bare steps under ``torch.func.vmap`` at 0.75-0.91x the loop's CPU time, but
    their results differ from the loop's in the last float32 bits and depend on the batch,
    and here a trial's record must be what it is alone, whatever T its job runs.
    """
    if not seeds:
        raise ValueError("an attack job needs at least one trial, got none")
    model, ckpt = _load_model(checkpoint_path, device)
    trials = len(seeds)
    updates = [_load_update(update_path, t, ckpt, checkpoint_path) for t in range(trials)]
    views = [_adversary_view(u, model, spec) for u in updates]  # (names, labels) per trial
    fingerprints = [_fingerprint(spec, seeds[t], t, updates[t], views[t][1], ckpt) for t in range(trials)]
    job = repr(fingerprints)  # the job's state is this job's only if every trial is the same
    done = [] if state_file is None else _finished_trials(state_file, job, trials)
    start = time.perf_counter()
    for t in range(len(done), trials):
        label = f"trial {t} ({t + 1} of {trials})"
        resume = None if state_file is None else Resume(
            state_file, spec.log_every, fingerprints[t], carry={"job": job, "done": done}, label=label)
        record = _attack(model, ckpt, updates[t], *views[t], spec, seeds[t], device, context, resume,
                         label)
        done = [*done, record]
        if resume is not None:  # trial t joins the finished ones (one atomic write); none running
            dataclasses.replace(resume, carry={"job": job, "done": done}).save(None)
    log.info("attack: %d trial(s) done, %.1fs in this job", trials, time.perf_counter() - start)
    return done


def _finished_trials(state_file: str, job: str, trials: int) -> list[dict[str, Any]]:
    """The records of the trials a killed run of this job finished (none without its file,
    or from a file another job wrote)."""
    if not Path(state_file).is_file():
        return []
    state = io.load_pt(state_file, kind="attack state", required=("attack", "job", "done"))
    if state["job"] != job:
        log.warning("state file %s was saved by another attack job (spec, seeds or updates differ): "
                    "starting from trial 0", state_file)
        return []
    log.info("resuming from %s: %d of %d trial(s) done", state_file, len(state["done"]), trials)
    return list(state["done"])


def _load_model(checkpoint_path: str, device: torch.device) -> tuple[torch.nn.Module, dict[str, Any]]:
    model, ckpt = load_checkpoint(checkpoint_path)
    return model.to(device), ckpt


def _load_update(update_path: str, trial: int, ckpt: dict[str, Any], checkpoint_path: str) -> ClientUpdate:
    """Trial ``trial``'s update (mapped from the file: its tensors are read when its attack
    runs), checked to come from ``ckpt``'s model and round."""
    update = ClientUpdate.load(update_path, trial)
    if int(ckpt["round"]) != int(update.round) or ckpt["model"] != update.model:
        raise ValueError(f"update {update_path} was captured on {update.model} round {update.round}, "
                         f"but checkpoint {checkpoint_path} is {ckpt['model']} round {ckpt['round']}")
    return update


def _adversary_view(update: ClientUpdate, model: torch.nn.Module,
                    spec: AttackSpec) -> tuple[list[str], torch.Tensor]:
    """The tensors the adversary uses and the labels it attacks with (given or inferred)."""
    names = select_parameters(model, spec.parameters)
    return names, attack_labels(update, model, spec, names)


def _fingerprint(spec: AttackSpec, seed: int, trial: int, update: ClientUpdate,
                 labels: torch.Tensor, ckpt: dict[str, Any]) -> str:
    """What a saved state must have been made for: spec, seed, trial, update, labels, model."""
    return repr({"spec": spec.to_dict(), "seed": seed, "trial": trial, "update": update.provenance(),
                 "labels": labels.tolist(), "checkpoint": (ckpt["model"], int(ckpt["round"]))})


def _attack(model: torch.nn.Module, ckpt: dict[str, Any], update: ClientUpdate, names: list[str],
            labels: torch.Tensor, spec: AttackSpec, seed: int, device: torch.device,
            context: dict[str, Any] | None, resume: Resume | None, label: str = "") -> dict[str, Any]:
    """One trial's attack on a loaded model (on ``device``) with the adversary's tensors
    ``names`` and ``labels`` (``_adversary_view``); its record. ``label`` opens its log lines
    (which trial of a job)."""
    prefix = f"{label}: " if label else ""
    # A copy on the device: the job's list of updates keeps only the (mapped) CPU tensors.
    update = dataclasses.replace(update, tensors={k: v.to(device) for k, v in update.tensors.items()},
                                 bn_statistics=[[t.to(device) for t in pair]
                                                for pair in update.bn_statistics])
    shape = (update.num_examples, 3, ckpt["resolution"], ckpt["resolution"])
    ctx = {"num_classes": ckpt["num_classes"], "labels": labels, "device": device, **(context or {})}
    param = SPACES.get(spec.space)(shape, dict(spec.options), ctx).to(device)
    problem = InversionProblem(model, update, spec.threat, names=names,
                               batch_order=adversary_batch_order(update.num_examples, seed))
    log.info("%sattack: %s space, %s objective, priors %s, %d iterations x %d restarts, labels %s "
             "(%s), parameters %s (%d of %d tensors)", prefix, spec.space, spec.objective,
             spec.priors or "none", spec.iterations, spec.restarts, labels.tolist(), spec.threat.labels,
             spec.parameters, len(names), len(update.tensors))
    result = invert(problem, param, labels.to(device), spec, seed, resume)
    if not torch.isfinite(result.images).all():  # never a NaN image that looks like a result
        raise ValueError(f"{prefix}attack produced a non-finite reconstruction (loss {result.loss}): "
                         "check the model, generator weights and attack settings")
    log.info("%sattack done: loss %.5f in %.1fs (%.2f ms/iteration)", prefix, result.loss, result.seconds,
             1000 * result.seconds / (spec.iterations * spec.restarts))
    return {"images": result.images.cpu(), "labels": result.labels.cpu(), "loss": result.loss,
            "restart": result.restart, "seconds": result.seconds, "iterations": result.iterations,
            "history": result.history, "spec": spec.to_dict(), "seed": seed,
            "update": update.provenance()}
