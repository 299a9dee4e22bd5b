"""The one local-training function: run by the client, unrolled by the adversary.

FedSGD: the client shares ``gradient`` of the mean cross-entropy on its full batch.
FedAvg: the client runs ``local_updates`` (U) mini-batch SGD steps with batch
size B and learning rate lr, U = E * ceil(N / B), and shares the model update
``theta_U - theta_0``. The adversary who knows B calls the very same
``local_training`` on its dummy data with ``create_graph=True`` and matches the
update it produces; one who does not know B calls it with B = N and U = 1.
Both sides use ``torch.func.functional_call`` on a parameter dict, so the unrolled
steps stay differentiable with respect to the input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

Params = dict[str, torch.Tensor]


def batch_schedule(num_examples: int, batch_size: int, local_updates: int,
                   shuffle: torch.Generator | None = None) -> list[torch.Tensor]:
    """Index sets of the U mini-batches: epochs of ceil(N/B) batches, in order or reshuffled per epoch."""
    if not 1 <= batch_size <= num_examples:
        raise ValueError(f"batch_size={batch_size} must be in 1..num_examples={num_examples}")
    if local_updates < 1:
        raise ValueError(f"local_updates={local_updates} must be >= 1")
    per_epoch = math.ceil(num_examples / batch_size)
    steps: list[torch.Tensor] = []
    while len(steps) < local_updates:
        order = (torch.randperm(num_examples, generator=shuffle) if shuffle is not None
                 else torch.arange(num_examples))
        steps += list(torch.split(order, batch_size))[:per_epoch]
    return steps[:local_updates]


def loss_fn(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy: the client's loss and, identically, the adversary's."""
    return F.cross_entropy(logits, labels)


def gradient(model: nn.Module, params: Params, buffers: Params, x: torch.Tensor, y: torch.Tensor,
             create_graph: bool = False) -> Params:
    """Gradient of the mean loss on (x, y) at ``params`` (FedSGD's shared quantity).

    Where ``params`` and ``buffers`` are the module's own tensors (``own_state``), the module
    runs as it is: the same operations on the same tensors, without functional_call swapping
    every tensor in and out on each call, which cost about 5 % of a ConvNet attack iteration.
    """
    logits = model(x) if _is_own_state(model, params, buffers) else functional_call(
        model, (params, buffers), (x,))
    grads = torch.autograd.grad(loss_fn(logits, y), list(params.values()),
                                create_graph=create_graph)
    return dict(zip(params, grads, strict=True))


def local_training(model: nn.Module, params: Params, buffers: Params, x: torch.Tensor,
                   y: torch.Tensor, *, lr: float, batch_size: int, local_updates: int,
                   create_graph: bool = False, shuffle: torch.Generator | None = None) -> Params:
    """U steps of mini-batch SGD from ``params``; returns the final parameters.

    ``buffers`` (BatchNorm running statistics) are updated in place, as on a real client.
    """
    for idx in batch_schedule(len(x), batch_size, local_updates, shuffle):
        grads = gradient(model, params, buffers, x[idx], y[idx], create_graph=create_graph)
        if create_graph:
            params = {k: p - lr * grads[k] for k, p in params.items()}
        else:  # the client keeps no graph across steps
            params = {k: (p - lr * grads[k]).detach().requires_grad_() for k, p in params.items()}
    return params


BN_MODES = ("train", "eval")


def set_bn_mode(model: nn.Module, bn_mode: str) -> nn.Module:
    """Training-mode forward (dropout active) whose BatchNorm layers use batch statistics
    (``train``) or their running statistics (``eval``, breaching's default user and the
    reference GIA setting); returns ``model``.

    With batch statistics, a BatchNorm right after the first convolution makes the shared
    gradient invariant to the batch's contrast around the input normalisation's mean, which
    a TV prior then drives towards a flat image; running statistics remove that invariance.
    """
    if bn_mode not in BN_MODES:
        raise ValueError(f"bn_mode must be one of {BN_MODES}, got {bn_mode!r}")
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.train(bn_mode == "train")
    return model


_OWN_STATE = "_gialib_own_state"


def own_state(model: nn.Module) -> tuple[Params, Params]:
    """The module's own trainable parameters (made to require grad) and persistent buffers.

    ``gradient`` at exactly these tensors runs the module itself. The adversary only reads
    them: its backward goes to its image or latent alone, and a BatchNorm forward with batch
    statistics (``bn_mode: train``) updates running statistics that such a forward never reads."""
    persistent = set(model.state_dict())
    params = {k: v.requires_grad_() for k, v in model.named_parameters()}
    buffers = {k: v for k, v in model.named_buffers() if k in persistent}
    setattr(model, _OWN_STATE, (params, buffers))
    return dict(params), dict(buffers)


def _is_own_state(model: nn.Module, params: Params, buffers: Params) -> bool:
    own = getattr(model, _OWN_STATE, None)
    if own is None or len(params) != len(own[0]) or len(buffers) != len(own[1]):
        return False
    return (all(params.get(k) is v for k, v in own[0].items())
            and all(buffers.get(k) is v for k, v in own[1].items()))


def split_state(model: nn.Module) -> tuple[Params, Params]:
    """Copies of the trainable parameters (fresh leaves that require grad) and persistent buffers."""
    persistent = set(model.state_dict())
    params = {k: v.detach().clone().requires_grad_() for k, v in model.named_parameters()}
    buffers = {k: v.detach().clone() for k, v in model.named_buffers() if k in persistent}
    return params, buffers


@contextmanager
def bn_statistics(model: nn.Module,
                  first_only: bool = True) -> Iterator[list[tuple[torch.Tensor, torch.Tensor]]]:
    """Record (mean, biased var) of the input of every BatchNorm layer during forward passes.

    These are the "BN statistics" of the threat model (Level 4, Yin et al.): the
    client's are captured for an adversary that is granted them, the dummy's feed
    the BN prior. With ``first_only`` only the first forward pass is kept.
    """
    stats: list[tuple[torch.Tensor, torch.Tensor]] = []
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    seen = [0]

    def hook(module, inputs, output):
        if first_only and seen[0] >= len(layers):
            return
        seen[0] += 1
        x = inputs[0]
        dims = [0] + list(range(2, x.dim()))
        stats.append((x.mean(dims), x.var(dims, unbiased=False)))

    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        yield stats
    finally:
        for h in handles:
            h.remove()
