"""Typed attack configuration (one entry of config ``attacks``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from gialib.models.subsets import SUBSETS
from gialib.spec import parse_spec


@dataclass(frozen=True)
class ThreatSpec:
    """What the adversary is granted beyond Level 0 (gradient, model, shapes, N).

    ``labels``: ``given`` (read the victim's labels, as a multiset: sorted by class, not in
    the client's data order) or ``infer`` (restore them from the last layer).
    ``knows_batch_size``: Level 3 client-side training details (B, U, lr): the adversary
    unrolls U mini-batch steps of size B, dealing its dummies into batches in its own seeded
    order (which images share a batch, and the client's shuffle, are not granted); otherwise
    one full-batch step stands in for the whole update. ``bn_statistics``: Level 4, the
    client's BatchNorm batch statistics (needed by the BN prior).
    """

    labels: str = "infer"
    knows_batch_size: bool = False
    bn_statistics: bool = False

    def __post_init__(self) -> None:
        if self.labels not in ("infer", "given"):
            raise ValueError(f"threat.labels must be 'infer' or 'given', got {self.labels!r}")


@dataclass(frozen=True)
class AttackSpec:
    """An optimisation-based GIA: objective, priors (weights), optimiser and threat."""

    space: str = "pixel"  # image parameterisation: pixel (GIA-O)
    objective: str = "cosine"
    priors: dict[str, float] = field(default_factory=dict)
    optimizer: str = "adam"
    signed: bool = False
    lr: float = 0.1
    iterations: int = 500
    schedule: str = "multistep"
    restarts: int = 1
    log_every: int = 100
    threat: ThreatSpec = field(default_factory=ThreatSpec)
    options: dict[str, Any] = field(default_factory=dict)  # parameterisation-specific settings
    # Which shared tensors the adversary matches: a parameter subset spec
    # (gialib.models.subsets): "all", or e.g. "nin+block=1" (Table III: one NIN block only).
    parameters: str = "all"

    def __post_init__(self) -> None:
        for key in ("iterations", "restarts", "log_every"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"attack {key} must be >= 1, got {getattr(self, key)}")
        if self.lr <= 0:
            raise ValueError(f"attack lr must be > 0, got {self.lr}")
        for name, weight in self.priors.items():
            if weight < 0:
                raise ValueError(f"attack prior {name!r} has a negative weight {weight}")
        SUBSETS.get(parse_spec(self.parameters).name)  # a typo fails at config check
        if self.priors.get("bn", 0) > 0 and not self.threat.bn_statistics:
            raise ValueError("the bn prior needs threat.bn_statistics: true (Level 4 knowledge)")

    @classmethod
    def from_dict(cls, cfg: dict[str, Any]) -> AttackSpec:
        known = {f.name for f in fields(cls)}
        unknown = set(cfg) - known
        if unknown:
            raise ValueError(f"unknown attack key(s) {sorted(unknown)}; known: {sorted(known)}")
        threat = ThreatSpec(**cfg.get("threat", {}))
        return cls(**{**cfg, "threat": threat})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
