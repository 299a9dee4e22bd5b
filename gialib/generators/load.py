"""Load a GIA-L generator: a checkpoint the pipeline trained, or a pretrained module + weights.

Both go through ``torch.load(..., weights_only=True)`` (no unpickling) and a
state-dict check that names every missing, unexpected or mis-shaped tensor.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gialib import io
from gialib.generators.base import GENERATORS, LATENT_REGIONS, Generator
from gialib.generators.config import GeneratorConfig
from gialib.spec import parse_spec

CHECKPOINT_KEYS = ("architecture", "state_dict", "resolution", "num_classes", "latent_region")


def check_state_dict(module: nn.Module, state: dict[str, Any], source: str) -> None:
    """Raise ``ValueError`` naming the tensors of ``state`` that do not fit ``module``."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
              for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} tensor(s), e.g. {missing[:3]}")
    if unexpected:
        problems.append(f"unexpected {len(unexpected)} tensor(s), e.g. {unexpected[:3]}")
    if shapes:
        problems.append(f"{len(shapes)} shape mismatch(es), e.g. {shapes[:3]}")
    if problems:
        raise ValueError(f"{source} does not fit {type(module).__name__}: " + "; ".join(problems))


def build_architecture(architecture: str, resolution: int, num_classes: int) -> Generator:
    """A trainable generator from its spec string, e.g. ``dcgan+width=32+latent_dim=64``."""
    spec = parse_spec(architecture)
    cls = GENERATORS.get(spec.name)
    try:
        return cls(resolution=resolution, num_classes=num_classes, **spec.kwargs)
    except TypeError as exc:
        raise ValueError(f"generator architecture {architecture!r}: {exc}") from exc


def load_trained(path: str | Path) -> Generator:
    """A generator checkpoint written by the ``train_generator`` stage."""
    ckpt = io.load_pt(path, kind="generator", required=CHECKPOINT_KEYS)
    gen = build_architecture(ckpt["architecture"], int(ckpt["resolution"]), int(ckpt["num_classes"]))
    check_state_dict(gen, ckpt["state_dict"], f"generator file {path}")
    gen.load_state_dict(ckpt["state_dict"])
    LATENT_REGIONS.get(ckpt["latent_region"])  # a known region, or an error naming the known ones
    gen.latent_region = ckpt["latent_region"]
    return gen


def _import_builder(text: str):
    module_name, _, attr = text.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"pretrained generator builder {text!r}: cannot import {module_name!r} "
                          f"({exc}); install it or fix pretrained.builder") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"pretrained generator builder {text!r}: {module_name} has no {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"pretrained generator builder {text!r} is not callable")
    return obj


def load_pretrained(pretrained: dict[str, Any]) -> Generator:
    """``builder(**kwargs)`` (an importable ``module:callable``) with the weights file loaded safely.

    The weights file holds a state dict (or, with ``key``, a dict holding one
    under that key), read with ``weights_only=True``; it must fit the built
    module tensor for tensor.
    """
    builder = _import_builder(str(pretrained["builder"]))
    gen = builder(**dict(pretrained.get("kwargs") or {}))
    if not isinstance(gen, Generator):
        raise TypeError(f"pretrained generator builder {pretrained['builder']!r} returned "
                        f"{type(gen).__name__}, not a gialib.generators.Generator")
    weights = Path(pretrained["weights"])
    if not weights.is_file():
        raise FileNotFoundError(f"pretrained generator weights {weights} do not exist; place the file "
                                "there or fix generators.<name>.pretrained.weights")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickled objects, corrupt files
        raise ValueError(f"pretrained generator weights {weights} are not a safe torch file: {exc}") from exc
    key = pretrained.get("key")
    if key is not None:
        if not isinstance(state, dict) or key not in state:
            raise ValueError(f"pretrained generator weights {weights} have no entry {key!r}")
        state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f"pretrained generator weights {weights} hold {type(state).__name__}, "
                         "expected a state dict")
    target = gen.weight_target()
    check_state_dict(target, state, f"pretrained generator weights {weights}")
    target.load_state_dict(state)
    return gen


def load_generator(cfg: GeneratorConfig, path: str | Path | None) -> Generator:
    """The generator of config entry ``cfg``: trained (from ``path``) or pretrained; eval mode, frozen."""
    if cfg.pretrained is not None:
        gen = load_pretrained(cfg.pretrained)
    else:
        if path is None:
            raise ValueError(f"generator {cfg.name!r} is trained by the pipeline but no file was given")
        gen = load_trained(path)
    gen.eval()
    gen.requires_grad_(False)
    return gen
