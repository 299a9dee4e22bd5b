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


def load_checkpoint(path: str | dict[str, Any]) -> tuple[Classifier, dict[str, Any]]:
    """Model and metadata of a round checkpoint: a file (safe load; shape-checked by
    load_state_dict) or a checkpoint dict this process just made (training's next round)."""
    ckpt = path if isinstance(path, dict) else io.load_pt(
        path, kind="checkpoint",
        required=("model", "state_dict", "num_classes", "resolution", "mean", "std", "seed"))
    model = build_model(ckpt["model"], ckpt["num_classes"], ckpt["resolution"], ckpt["mean"],
                        ckpt["std"], ckpt["seed"])
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise ValueError(f"checkpoint {path} does not fit model {ckpt['model']!r}: {exc}") from exc
    return model, ckpt


@torch.no_grad()
def evaluate(model: Classifier, data: ImageSet, split: Split = Split.test,
             batch: int = 256) -> dict[str, float]:
    model.eval()
    idx = data.indices(split)
    correct, loss = 0, 0.0
    for part in torch.split(idx, batch):
        logits = model(data.floats(part))
        y = data.labels[part]
        correct += int((logits.argmax(1) == y).sum())
        loss += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
    n = max(1, len(idx))
    return {"test_accuracy": correct / n, "test_loss": loss / n}


def initial_checkpoint(spec: str, data: ImageSet, norm: dict[str, Any], seed: int,
                       defense: str) -> dict[str, Any]:
    """Round 0: the seeded initial global model and its test accuracy."""
    model = new_model(spec, data, norm, seed)
    return _checkpoint(model, spec, data, norm, seed, defense, 0, evaluate(model, data), [])


def _checkpoint(model, spec, data, norm, seed, defense, rnd, metrics, clients) -> dict[str, Any]:
    return {"model": spec, "state_dict": model.state_dict(), "num_classes": data.num_classes,
            "resolution": data.resolution, "mean": norm["mean"], "std": norm["std"], "seed": seed,
            "defense": defense, "round": rnd, "metrics": metrics, "clients": clients}


def train_round(previous: str | dict[str, Any], data: ImageSet, norm: dict[str, Any],
                cfg: TrainingConfig, defense: str, rnd: int, seed: int) -> dict[str, Any]:
    """Server round ``rnd`` (>= 1) from round ``rnd - 1``'s checkpoint (file or dict)."""
    model, ckpt = load_checkpoint(previous)
    if ckpt["round"] != rnd - 1:
        where = "the previous round" if isinstance(previous, dict) else previous
        raise ValueError(f"checkpoint {where} is round {ckpt['round']}, expected {rnd - 1}")
    # Error feedback: each client's unsent remainder, kept in memory across the run's rounds
    # (never in checkpoint files: clients x model size per round).
    memory: dict[int, Any] | None = None
    if uses_memory(defense):
        if rnd > 1 and "memory" not in ckpt:
            raise ValueError(f"defense {defense!r} keeps client memory across rounds: round {rnd} "
                             f"must follow round {rnd - 1} in the same process (one train job)")
        memory = dict(ckpt.get("memory", {}))
    shards = client_shards(data, cfg, seed)
    g = generator(seed, rnd, 1)
    chosen = torch.randperm(cfg.num_clients, generator=g)[: cfg.clients_per_round].sort().values
    start = time.perf_counter()
    deltas, buffers, sizes = [], [], []
    for k in chosen.tolist():
        idx = shards[k]
        x, y = data.floats(idx), data.labels[idx]
        b = min(cfg.batch_size, len(idx))
        u = cfg.epochs * math.ceil(len(idx) / b)
        update, new_buffers = client_update(model, x, y, protocol="fedavg", batch_size=b,
                                            local_updates=u, lr=cfg.lr,
                                            seed=derive_seed(seed, rnd, k, 2),
                                            shuffle=cfg.shuffle)
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
        out["memory"] = memory
    return out
