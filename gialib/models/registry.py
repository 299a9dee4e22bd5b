"""Build models from spec strings such as ``convnet+width=16`` or ``resnet18+cut_skip=3``.

A spec string names a registered builder and its keyword arguments; surgery
(no ReLU, no bias, cut skip connections, kernel size, ...) is a builder argument,
never a copied class. Every model is wrapped in ``Classifier``, which normalises
[0, 1] images with the dataset's channel statistics, so every caller (client,
server, adversary) feeds the same pixel-space images.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gialib.registry import Registry
from gialib.spec import parse_spec

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")

# Builder arguments the registry fills in; a spec string may not set them.
_RESERVED = ("num_classes", "resolution")
# Spec arguments of every model, applied by the registry after the builder ran:
# ``running_stats=false`` builds BatchNorm layers that keep no running statistics, so they
# normalise with the batch's statistics in every mode (PyTorch's track_running_stats=False).
# At initialisation the running statistics are 0 and 1, with which a deep BN network's
# activations fade layer by layer and its gradient hardly depends on the input (DenseNet-43,
# GoogLeNet: cosine 0.999-1.000 between two images' gradients); the FL run's clients
# normalise with batch statistics anyway (gialib.fl.server.RUN_BN_MODE).
_COMMON = {"running_stats": bool}


class Classifier(nn.Module):
    """``net((x - mean) / std)`` for images ``x`` in [0, 1]; mean/std are not in the state dict."""

    def __init__(self, net: nn.Module, mean: list[float], std: list[float]) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def list_models() -> list[str]:
    return MODELS.names()


def check_model_spec(text: str) -> None:
    """Raise ``ValueError`` naming the problem if ``text`` is not a buildable model spec."""
    spec = parse_spec(text)
    builder = MODELS.get(spec.name)
    params = inspect.signature(builder).parameters
    for key, value in spec.kwargs.items():
        if key in _COMMON:
            if not isinstance(value, _COMMON[key]):
                raise ValueError(f"model {text!r}: {key} must be a {_COMMON[key].__name__}, "
                                 f"got {value!r}")
        elif key in _RESERVED or key not in params:
            allowed = sorted([k for k in params if k not in _RESERVED] + list(_COMMON))
            raise ValueError(f"model {text!r}: {spec.name} has no argument {key!r}; "
                             f"arguments: {', '.join(allowed)}")


def without_running_stats(net: nn.Module) -> nn.Module:
    """``net`` with BatchNorm layers that normalise by the batch's statistics in every mode."""
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.track_running_stats = False
            m.running_mean = m.running_var = m.num_batches_tracked = None
    return net


def build_model(text: str, num_classes: int, resolution: int, mean: list[float], std: list[float],
                seed: int) -> Classifier:
    """Model ``text`` with seeded initialisation (same spec + seed = same weights)."""
    check_model_spec(text)
    spec = parse_spec(text)
    builder = MODELS.get(spec.name)
    kwargs = {k: v for k, v in spec.kwargs.items() if k not in _COMMON}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            net = builder(num_classes=num_classes, resolution=resolution, **kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"model {text!r}: {exc}") from exc
    if not spec.kwargs.get("running_stats", True):
        without_running_stats(net)
    return Classifier(net, mean, std)


def classifier_layer(model: nn.Module) -> tuple[str, str | None]:
    """Names of the last ``nn.Linear``'s weight and bias (``None`` without bias).

    Label inference reads the shared tensors of this layer.
    """
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last = (name, module)
    if last is None:
        raise ValueError("model has no nn.Linear classifier layer")
    name, module = last
    return f"{name}.weight", (f"{name}.bias" if module.bias is not None else None)


def describe(model: nn.Module) -> dict[str, Any]:
    return {"parameters": sum(p.numel() for p in model.parameters())}
