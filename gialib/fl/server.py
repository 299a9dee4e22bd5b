"""The FedAvg server: round 0 is the seeded initial model; each round samples clients,
collects their (possibly defended) updates and averages them. One checkpoint per round."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import torch

from gialib import io
from gialib.data.imageset import ImageSet, Split
from gialib.data.partition import partition
from gialib.defenses import apply_defense, uses_memory, with_memory
from gialib.fl.aggregate import fedavg
from gialib.fl.client import client_update
from gialib.models import Classifier, build_model
from gialib.runtime import derive_seed, generator

log = logging.getLogger(__name__)

# The key of a checkpoint dict that lives only in the training job's memory, never in its
# files: the error-feedback memory of every client (clients x model size).
MEMORY = "memory"
# BatchNorm in the forward passes of the run's clients: batch statistics, as a client training
# in PyTorch's train() does. The attacked client's mode is the config's ``client.bn_mode``, a
# separate, named setting (tests/test_bn_mode.py: with ``train`` its update equals the run's).
RUN_BN_MODE = "train"


@dataclass(frozen=True)
class TrainingConfig:
    """Config ``training``: the FL run that produces the checkpoints (Sec. 2.1)."""

    rounds: int
    num_clients: int
    clients_per_round: int
    epochs: int
    batch_size: int
    lr: float
    partition: str = "iid"
    alpha: float | None = None
    shuffle: bool = True

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> TrainingConfig:
        part = cfg.get("partition", {})
        return cls(rounds=cfg["rounds"], num_clients=cfg["num_clients"],
                   clients_per_round=cfg["clients_per_round"], epochs=cfg["epochs"],
                   batch_size=cfg["batch_size"], lr=cfg["lr"], partition=part.get("kind", "iid"),
                   alpha=part.get("alpha"), shuffle=cfg.get("shuffle", True))


def client_shards(data: ImageSet, cfg: TrainingConfig, seed: int) -> list[torch.Tensor]:
    return partition(data.labels, data.indices(Split.private), cfg.num_clients, cfg.partition,
                     cfg.alpha, seed)


def new_model(spec: str, data: ImageSet, norm: dict[str, Any], seed: int) -> Classifier:
    return build_model(spec, data.num_classes, data.resolution, norm["mean"], norm["std"], seed)


def load_checkpoint(path: str | dict[str, Any], device: torch.device | str = "cpu",
                    model: Classifier | None = None) -> tuple[Classifier, dict[str, Any]]:
    """Model (on ``device``) and metadata of a round checkpoint: a file (safe load; shape-checked
    by load_state_dict) or a checkpoint dict this process just made (training's next round).
    ``model``: a model of the same spec to load the weights into instead of building one (a
    training job builds and moves its model once, not once per round)."""
    ckpt = path if isinstance(path, dict) else io.load_pt(
        path, kind="checkpoint",
        required=("model", "state_dict", "num_classes", "resolution", "mean", "std", "seed"))
    if model is None:  # built on the CPU (its seeded initialisation is the same on every device)
        model = build_model(ckpt["model"], ckpt["num_classes"], ckpt["resolution"], ckpt["mean"],
                            ckpt["std"], ckpt["seed"])
    model = model.to(device)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise ValueError(f"checkpoint {path} does not fit model {ckpt['model']!r}: {exc}") from exc
    return model, ckpt


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def saved(ckpt: dict[str, Any]) -> dict[str, Any]:
    """What a round checkpoint file holds: ``ckpt`` without what only the running job keeps."""
    return {k: v for k, v in ckpt.items() if k != MEMORY}


@torch.no_grad()
def evaluate(model: Classifier, data: ImageSet, split: Split = Split.test,
             batch: int = 256) -> dict[str, float]:
    model.eval()
    dev = model_device(model)
    idx = data.indices(split)
    correct, loss = 0, 0.0
    for part in torch.split(idx, batch):
        logits = model(data.floats(part).to(dev))
        y = data.labels[part].to(dev)
        correct += int((logits.argmax(1) == y).sum())
        loss += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
    n = max(1, len(idx))
    return {"test_accuracy": correct / n, "test_loss": loss / n}


def initial_checkpoint(spec: str, data: ImageSet, norm: dict[str, Any], seed: int,
                       defense: str, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Round 0: the seeded initial global model (initialised on the CPU, the same on every
    device) and its test accuracy, evaluated on ``device``."""
    model = new_model(spec, data, norm, seed).to(device)
    return _checkpoint(model, spec, data, norm, seed, defense, 0, evaluate(model, data), [])


def _checkpoint(model, spec, data, norm, seed, defense, rnd, metrics, clients) -> dict[str, Any]:
    # A copy on the CPU, never a view of the model's own tensors: a training job reuses its
    # model for the next round, which must not change this round's checkpoint.
    state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    return {"model": spec, "state_dict": state, "num_classes": data.num_classes,
            "resolution": data.resolution, "mean": norm["mean"], "std": norm["std"], "seed": seed,
            "defense": defense, "round": rnd, "metrics": metrics, "clients": clients}


def train_round(previous: str | dict[str, Any], data: ImageSet, norm: dict[str, Any],
                cfg: TrainingConfig, defense: str, rnd: int, seed: int,
                device: torch.device | str = "cpu", model: Classifier | None = None) -> dict[str, Any]:
    """Server round ``rnd`` (>= 1) from round ``rnd - 1``'s checkpoint (file or dict), run on
    ``device`` (``model``: the global model to reuse, see ``load_checkpoint``). Every random
    draw comes from generators seeded by (seed, round, client), so a round depends on nothing
    but its previous checkpoint (and error-feedback memory). The returned checkpoint holds the
    model's state on the CPU (``saved`` gives what its file stores)."""
    model, ckpt = load_checkpoint(previous, device, model)
    if ckpt["round"] != rnd - 1:
        where = "the previous round" if isinstance(previous, dict) else previous
        raise ValueError(f"checkpoint {where} is round {ckpt['round']}, expected {rnd - 1}")
    # Error feedback: each client's unsent remainder, kept in memory across the run's rounds
    # (never in checkpoint files: clients x model size per round).
    memory: dict[int, Any] | None = None
    if uses_memory(defense):
        if rnd > 1 and MEMORY not in ckpt:
            raise ValueError(f"defense {defense!r} keeps client memory across rounds: round {rnd} "
                             f"must follow round {rnd - 1} in the same process (one train job)")
        memory = dict(ckpt.get(MEMORY, {}))
    shards = client_shards(data, cfg, seed)
    g = generator(seed, rnd, 1)
    chosen = torch.randperm(cfg.num_clients, generator=g)[: cfg.clients_per_round].sort().values
    start = time.perf_counter()
    deltas, buffers, sizes = [], [], []
    for k in chosen.tolist():
        idx = shards[k]
        x, y = data.floats(idx).to(device), data.labels[idx].to(device)
        b = min(cfg.batch_size, len(idx))
        u = cfg.epochs * math.ceil(len(idx) / b)
        update, new_buffers = client_update(model, x, y, protocol="fedavg", batch_size=b,
                                            local_updates=u, lr=cfg.lr,
                                            seed=derive_seed(seed, rnd, k, 2),
                                            shuffle=cfg.shuffle, bn_mode=RUN_BN_MODE)
        g_k = generator(seed, rnd, k, 4)
        if memory is None:
            deltas.append(apply_defense(defense, update.tensors, g_k))
        else:
            sent, memory[k] = with_memory(defense, update.tensors, memory.get(k), g_k)
            deltas.append(sent)
        buffers.append(new_buffers)
        sizes.append(len(idx))
    avg = fedavg(deltas, sizes)
    state = model.state_dict()
    for name, delta in avg.items():
        state[name] = state[name] + delta
    if buffers[0]:
        state.update(fedavg(buffers, sizes))
    model.load_state_dict(state)
    metrics = evaluate(model, data)
    log.info("round %d: clients %s, test accuracy %.3f, loss %.3f (%.1fs)", rnd, chosen.tolist(),
             metrics["test_accuracy"], metrics["test_loss"], time.perf_counter() - start)
    out = _checkpoint(model, ckpt["model"], data, norm, seed, defense, rnd, metrics, chosen.tolist())
    if memory is not None:
        out[MEMORY] = memory
    return out
