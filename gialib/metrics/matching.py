"""Pair reconstructions with ground truth before scoring a batch (breaching's ``compute_batch_order``).

An attack on N images returns them in no particular order; each true image is
paired with one reconstruction by the assignment that minimises the total MSE
(Hungarian algorithm, scipy's ``linear_sum_assignment``).
"""

from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment


def match_reconstructions(recon: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Index into ``recon`` for each true image (a permutation of range(N))."""
    if recon.shape != truth.shape:
        raise ValueError(f"reconstruction {tuple(recon.shape)} and truth {tuple(truth.shape)} differ")
    a = recon.detach().double().flatten(1)
    b = truth.detach().double().flatten(1)
    cost = torch.cdist(b, a).pow(2) / a.shape[1]  # [truth, recon] MSE
    rows, cols = linear_sum_assignment(cost.numpy())
    order = torch.empty(len(rows), dtype=torch.int64)
    order[torch.as_tensor(rows)] = torch.as_tensor(cols)
    return order
