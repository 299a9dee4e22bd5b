"""The inversion problem: the shared update as target, and how the adversary simulates it.

``simulate(x, y)`` returns, differentiably in x, the tensors the adversary thinks
the victim would have shared with data (x, y), following the threat model:
FedSGD gradient; FedAvg update by unrolling the client's U mini-batch steps
(``knows_batch_size``) or one full-batch step standing in for the whole update.

The known-B adversary is granted B, U and lr (Level 3), not which images (or labels) share a
mini-batch nor the client's shuffle order: it deals its N dummy images into mini-batches in
its own seeded order (``adversary_batch_order``), kept for every epoch.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from gialib.attacks.spec import ThreatSpec
from gialib.fl.local import bn_statistics, gradient, local_training, own_state, set_bn_mode
from gialib.fl.update import ClientUpdate
from gialib.runtime import generator

# Salt of the adversary's batch order in ``runtime.generator`` (the attack's seed, this salt).
_BATCH_ORDER_SALT = 33


def adversary_batch_order(num_examples: int, seed: int) -> torch.Tensor:
    """The order in which the known-B adversary deals its N dummy images (and their labels) into
    mini-batches: a permutation drawn from the attack's ``seed`` alone, never from the client."""
    return torch.randperm(num_examples, generator=generator(seed, _BATCH_ORDER_SALT))


class InversionProblem:
    def __init__(self, model: nn.Module, update: ClientUpdate, threat: ThreatSpec,
                 names: list[str] | None = None, batch_order: torch.Tensor | None = None) -> None:
        """``batch_order``: the known-B adversary's order of the N dummies over mini-batches
        (``adversary_batch_order``); None keeps the order they come in, which reproduces the
        client's batches only for a caller that holds the client's data in its order (tests of
        the simulation at the truth)."""
        self.model = model
        self.update = update
        self.threat = threat
        set_bn_mode(model, update.bn_mode)  # BatchNorm as in the client's forward
        # The module's own tensors, which the adversary only reads (``own_state``): at them
        # ``gradient`` runs the module without functional_call's per-call swap.
        self.params, self.buffers = own_state(model)
        self.names = list(update.tensors) if names is None else list(names)
        missing = [n for n in self.names if n not in self.params]
        if missing:
            raise ValueError(f"update tensors {missing[:3]} are not parameters of the model")
        self.target = [update.tensors[n].detach() for n in self.names]
        # A FedSGD gradient restricted to ``names`` (e.g. one NIN block, Table III) is
        # differentiated only for those parameters: the others enter as constants.
        chosen = set(self.names)
        self.fixed = {k: v.detach() for k, v in self.params.items() if k not in chosen}
        if batch_order is not None and sorted(batch_order.tolist()) != list(range(update.num_examples)):
            raise ValueError(f"batch_order must be a permutation of the {update.num_examples} images")
        self.batch_order = batch_order

    def simulate(self, x: torch.Tensor, y: torch.Tensor, record_bn: bool = False):
        """(simulated tensors in ``names`` order, BN statistics of the first forward or None)."""
        u = self.update
        ctx = bn_statistics(self.model) if record_bn else nullcontext(None)
        with ctx as stats:
            if u.kind == "gradient":
                chosen = {n: self.params[n] for n in self.names}
                out = gradient(self.model, chosen, {**self.fixed, **self.buffers}, x, y,
                               create_graph=True)
            else:
                known = self.threat.knows_batch_size
                if known and self.batch_order is not None and u.batch_size < len(x):
                    # its own assignment of dummies to mini-batches (one batch: nothing to assign)
                    order = self.batch_order.to(x.device)
                    x, y = x[order], y[order]
                new = local_training(self.model, self.params, self.buffers, x, y, lr=u.lr,
                                     batch_size=u.batch_size if known else len(x),
                                     local_updates=u.local_updates if known else 1,
                                     create_graph=True)
                out = {n: new[n] - self.params[n] for n in self.names}
        return [out[n] for n in self.names], stats
