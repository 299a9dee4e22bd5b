"""A client's round: local training on its private data, producing the shared update."""

from __future__ import annotations

import torch
from torch import nn

from gialib.fl.local import bn_statistics, gradient, local_training, set_bn_mode, split_state
from gialib.fl.update import PROTOCOLS, ClientUpdate
from gialib.runtime import generator


def client_update(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, protocol: str,
                  batch_size: int, local_updates: int, lr: float, seed: int,
                  shuffle: bool = False, bn_mode: str = "train",
                  ) -> tuple[ClientUpdate, dict[str, torch.Tensor]]:
    """Run the client's local training on (x, y); return its update and new BN buffers.

    ``protocol`` fedsgd shares the full-batch gradient (B = N, U = 1 required);
    fedavg shares theta_U - theta_0 after U mini-batch SGD steps. Dropout masks
    and (if ``shuffle``) mini-batch order are drawn from ``seed``. The update's tensors live
    where ``model`` and (x, y) do (one device). ``bn_mode``: whether
    BatchNorm uses batch (``train``) or running (``eval``) statistics (``set_bn_mode``).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    n = len(x)
    if protocol == "fedsgd" and (batch_size != n or local_updates != 1):
        raise ValueError(f"fedsgd shares one full-batch gradient: batch_size must equal "
                         f"num_examples ({n}) and local_updates 1, got {batch_size}, {local_updates}")
    set_bn_mode(model, bn_mode)
    params, buffers = split_state(model)
    # Dropout draws from the global generator of x's device: fork it so the caller's is untouched.
    devices = [x.device] if x.device.type != "cpu" else []
    with torch.random.fork_rng(devices=devices, device_type=x.device.type), \
            bn_statistics(model) as stats:
        torch.manual_seed(seed)
        if protocol == "fedsgd":
            tensors = gradient(model, params, buffers, x, y)
        else:
            order = generator(seed, 3) if shuffle else None
            new = local_training(model, params, buffers, x, y, lr=lr, batch_size=batch_size,
                                 local_updates=local_updates, shuffle=order)
            tensors = {k: (new[k] - params[k]).detach() for k in params}
    update = ClientUpdate(
        kind=PROTOCOLS[protocol], tensors=tensors, protocol=protocol, num_examples=n,
        batch_size=batch_size, local_updates=local_updates, lr=float(lr), bn_mode=bn_mode,
        labels=y.clone(), bn_statistics=[[m.detach(), v.detach()] for m, v in stats])
    return update, buffers
