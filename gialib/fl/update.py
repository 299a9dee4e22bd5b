"""``ClientUpdate``: what a client shares, plus what an adversary may be granted.

The file the capture stage writes holds, per trial, the shared tensors (a FedSGD
gradient or a FedAvg model update, by parameter name) and every piece of side information
the threat model may grant (Sec. 2.2): N, B, U, lr (Level 3), the labels, the BN
batch statistics (Level 4). Which of these an attack may read is decided by its
``threat`` block, not by what is in the file. Ground truth (the private images)
is written to a separate file that only the scoring stage opens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch

from gialib import io

KINDS = ("gradient", "model_update")
PROTOCOLS = {"fedsgd": "gradient", "fedavg": "model_update"}


@dataclass(frozen=True)
class ClientConfig:
    """How the attacked client trains (config block ``client``). Its defaults are written once,
    in ``config/schema.yaml``, which fills them in before any job starts; this record has
    none, so a caller that skipped validation gets an error naming the key, not a second
    default that could disagree."""

    lr: float
    shuffle: bool  # reshuffle mini-batches each epoch
    bn_mode: str  # BatchNorm in the client's forward: "train" (batch statistics) or "eval"

    @classmethod
    def from_config(cls, block: dict[str, Any]) -> ClientConfig:
        names = {f.name for f in fields(cls)}
        missing, unknown = sorted(names - set(block)), sorted(set(block) - names)
        if missing or unknown:
            raise ValueError(f"config block client: missing {missing}, unknown {unknown} "
                             "(validate the config against config/schema.yaml first)")
        return cls(lr=float(block["lr"]), shuffle=bool(block["shuffle"]), bn_mode=str(block["bn_mode"]))


@dataclass
class ClientUpdate:
    kind: str  # "gradient" (FedSGD) or "model_update" (FedAvg)
    tensors: dict[str, torch.Tensor]
    protocol: str
    num_examples: int
    batch_size: int
    local_updates: int
    lr: float
    bn_mode: str  # "train": the client's forward passes used batch statistics
    labels: torch.Tensor
    bn_statistics: list[list[torch.Tensor]] = field(default_factory=list)
    model: str = ""
    round: int = 0
    defense: str = "none"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"update kind must be one of {KINDS}, got {self.kind!r}")
        if self.protocol not in PROTOCOLS or PROTOCOLS[self.protocol] != self.kind:
            raise ValueError(f"protocol {self.protocol!r} does not share a {self.kind}")

    def provenance(self) -> dict[str, Any]:
        """Who shared this update and how (every CSV row carries it), without the tensors."""
        from gialib.defenses import privacy_guarantee

        # (epsilon, delta) follow from the defence spec alone, so they are derived here, once.
        return {"protocol": self.protocol, "num_examples": self.num_examples,
                "batch_size": self.batch_size, "local_updates": self.local_updates, "lr": self.lr,
                "round": self.round, "model": self.model, "defense": self.defense,
                "bn_mode": self.bn_mode, "privacy": privacy_guarantee(self.defense), **self.meta}

    @staticmethod
    def save_trials(updates: list[ClientUpdate], path) -> None:
        """The updates of trials 0, 1, ... of one client cell, in one file."""
        io.save_trials([asdict(u) for u in updates], path)

    @classmethod
    def load(cls, path, trial: int) -> ClientUpdate:
        """Trial ``trial``'s update from a file written by ``save_trials``."""
        obj = io.load_trial(path, trial, kind="client update",
                            required=("kind", "tensors", "protocol"))
        return cls._from(obj, f"{path}, trial {trial}")

    @classmethod
    def load_trials(cls, path) -> list[ClientUpdate]:
        return [cls._from(obj, f"{path}, trial {t}")
                for t, obj in enumerate(io.load_trials(path, kind="client update"))]

    @classmethod
    def _from(cls, obj: dict[str, Any], where: str) -> ClientUpdate:
        try:
            return cls(**obj)
        except TypeError as exc:
            raise ValueError(f"client update file {where} has unexpected fields: {exc}") from exc
