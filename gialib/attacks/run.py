"""The attack stage: read the (defended) update and the model, reconstruct the victim's data."""

from __future__ import annotations

import logging
from typing import Any

import torch

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
    update = ClientUpdate.load(update_path, trial)
    model, ckpt = load_checkpoint(checkpoint_path)
    if int(ckpt["round"]) != int(update.round) or ckpt["model"] != update.model:
        raise ValueError(f"update {update_path} was captured on {update.model} round {update.round}, "
                         f"but checkpoint {checkpoint_path} is {ckpt['model']} round {ckpt['round']}")
    names = select_parameters(model, spec.parameters)
    labels = attack_labels(update, model, spec, names)
    model.to(device)
    update.tensors = {k: v.to(device) for k, v in update.tensors.items()}
    update.bn_statistics = [[t.to(device) for t in pair] for pair in update.bn_statistics]
    shape = (update.num_examples, 3, ckpt["resolution"], ckpt["resolution"])
    ctx = {"num_classes": ckpt["num_classes"], "labels": labels, "device": device, **(context or {})}
    param = SPACES.get(spec.space)(shape, dict(spec.options), ctx).to(device)
    problem = InversionProblem(model, update, spec.threat, names=names,
                               batch_order=adversary_batch_order(update.num_examples, seed))
    log.info("attack: %s space, %s objective, priors %s, %d iterations x %d restarts, labels %s (%s), "
             "parameters %s (%d of %d tensors)", spec.space, spec.objective, spec.priors or "none",
             spec.iterations, spec.restarts, labels.tolist(), spec.threat.labels, spec.parameters,
             len(names), len(update.tensors))
    resume = None if state_file is None else Resume(state_file, spec.log_every, repr(
        {"spec": spec.to_dict(), "seed": seed, "trial": trial, "update": update.provenance(),
         "labels": labels.tolist(), "checkpoint": (ckpt["model"], int(ckpt["round"]))}))
    result = invert(problem, param, labels.to(device), spec, seed, resume)
    log.info("attack done: loss %.5f in %.1fs (%.2f ms/iteration)", result.loss, result.seconds,
             1000 * result.seconds / (spec.iterations * spec.restarts))
    return {"images": result.images.cpu(), "labels": result.labels.cpu(), "loss": result.loss,
            "restart": result.restart, "seconds": result.seconds, "iterations": result.iterations,
            "history": result.history, "spec": spec.to_dict(), "seed": seed,
            "update": update.provenance()}
