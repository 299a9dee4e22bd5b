"""Client partitions of the private split: IID and Dirichlet non-IID (label skew)."""

from __future__ import annotations

import torch

from gialib.runtime import generator


def iid(indices: torch.Tensor, num_clients: int, g: torch.Generator) -> list[torch.Tensor]:
    """Shuffle and deal ``indices`` into ``num_clients`` shards of (almost) equal size."""
    perm = indices[torch.randperm(len(indices), generator=g)]
    return [s.sort().values for s in torch.tensor_split(perm, num_clients)]


def dirichlet(indices: torch.Tensor, labels: torch.Tensor, num_clients: int, alpha: float,
              g: torch.Generator) -> list[torch.Tensor]:
    """Per class, split its images among clients with proportions ~ Dir(alpha)."""
    shards: list[list[torch.Tensor]] = [[] for _ in range(num_clients)]
    conc = torch.full((num_clients,), float(alpha))
    for c in labels[indices].unique().tolist():
        idx = indices[labels[indices] == c]
        idx = idx[torch.randperm(len(idx), generator=g)]
        p = _dirichlet_sample(conc, g)
        cuts = (torch.cumsum(p, 0)[:-1] * len(idx)).round().long().tolist()
        for k, part in enumerate(torch.tensor_split(idx, cuts)):
            shards[k].append(part)
    return [torch.cat(s).sort().values for s in shards]


def _dirichlet_sample(conc: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    # torch.distributions.Dirichlet takes no generator; numpy's does, seeded from ours.
    import numpy as np

    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
    return torch.from_numpy(np.random.default_rng(seed).dirichlet(conc.numpy())).float()


PARTITIONS = {
    "iid": lambda private, labels, n, alpha, g: iid(private, n, g),
    "dirichlet": lambda private, labels, n, alpha, g: dirichlet(private, labels, n, alpha, g),
}


def partition(labels: torch.Tensor, private: torch.Tensor, num_clients: int, kind: str,
              alpha: float | None, seed: int) -> list[torch.Tensor]:
    """Shards of the private split for ``num_clients`` clients (config ``training.partition``)."""
    if num_clients < 1 or num_clients > len(private):
        raise ValueError(f"training.num_clients={num_clients} must be in 1..{len(private)} "
                         "(the private split's size)")
    g = generator(seed, 101)
    if kind not in PARTITIONS:
        raise ValueError(f"unknown training.partition.kind {kind!r}; known: {', '.join(PARTITIONS)}")
    if kind == "dirichlet" and (alpha is None or alpha <= 0):
        raise ValueError("training.partition.alpha must be > 0 for a dirichlet partition")
    shards = PARTITIONS[kind](private, labels, num_clients, alpha, g)
    empty = [k for k, s in enumerate(shards) if len(s) == 0]
    if empty:
        raise ValueError(f"partition left client(s) {empty} without data; raise alpha or lower num_clients")
    return shards
