"""Server aggregation as pure functions (Flower's ``aggregate`` shape), tested alone."""

from __future__ import annotations

import torch


def fedavg(updates: list[dict[str, torch.Tensor]], num_examples: list[int]) -> dict[str, torch.Tensor]:
    """Average of client tensors weighted by their number of examples (McMahan et al.)."""
    if not updates or len(updates) != len(num_examples):
        raise ValueError("fedavg needs one num_examples per update and at least one update")
    keys = updates[0].keys()
    for u in updates[1:]:
        if u.keys() != keys:
            raise ValueError("fedavg: client updates have different tensor names")
    total = float(sum(num_examples))
    if total <= 0:
        raise ValueError("fedavg: total num_examples must be positive")
    out = {}
    for k in keys:
        ref = updates[0][k]
        if not ref.is_floating_point():  # e.g. BatchNorm's num_batches_tracked
            out[k] = torch.stack([u[k] for u in updates]).max(0).values
            continue
        acc = torch.zeros_like(ref)
        for u, n in zip(updates, num_examples, strict=True):
            acc += u[k] * (n / total)
        out[k] = acc
    return out
