"""The inversion problem: the shared update as target, and how the adversary simulates it.

``simulate(x, y)`` returns, differentiably in x, the tensors the adversary thinks
the victim would have shared with data (x, y), following the threat model:
FedSGD gradient; FedAvg update by unrolling the client's U mini-batch steps
(``knows_batch_size``) or one full-batch step standing in for the whole update.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from gialib.attacks.spec import ThreatSpec
from gialib.fl.local import bn_statistics, gradient, local_training, set_bn_mode, split_state
from gialib.fl.update import ClientUpdate


class InversionProblem:
    def __init__(self, model: nn.Module, update: ClientUpdate, threat: ThreatSpec,
                 names: list[str] | None = None) -> None:
        self.model = model
        self.update = update
        self.threat = threat
        set_bn_mode(model, update.bn_mode)  # BatchNorm as in the client's forward
        self.params, self.buffers = split_state(model)
        self.names = list(update.tensors) if names is None else list(names)
        missing = [n for n in self.names if n not in self.params]
        if missing:
            raise ValueError(f"update tensors {missing[:3]} are not parameters of the model")
        self.target = [update.tensors[n].detach() for n in self.names]
        # A FedSGD gradient restricted to ``names`` (e.g. one NIN block, Table III) is
        # differentiated only for those parameters: the others enter as constants.
        chosen = set(self.names)
        self.fixed = {k: v.detach() for k, v in self.params.items() if k not in chosen}

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
                new = local_training(self.model, self.params, self.buffers, x, y, lr=u.lr,
                                     batch_size=u.batch_size if known else len(x),
                                     local_updates=u.local_updates if known else 1,
                                     create_graph=True)
                out = {n: new[n] - self.params[n] for n in self.names}
        return [out[n] for n in self.names], stats
