"""Post-processing of a shared update (Sec. 6): a defence is a small function on the tensors.

A defence is named by a spec string (``none``, later e.g. ``quantize+bits=4``); the
same string names it in configs, wildcards and paths. It is applied by the client
to every update during FL training and, by the ``defend`` stage, to the captured
update the adversary attacks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gialib.registry import Registry
from gialib.spec import parse_spec

Tensors = dict[str, torch.Tensor]
DEFENSES: Registry[Callable[..., Tensors]] = Registry("defense")


@DEFENSES.register("none")
def none(tensors: Tensors, g: torch.Generator) -> Tensors:
    """The undefended baseline: the update is shared as computed."""
    return tensors


def check_defense(text: str) -> None:
    """Raise ``ValueError`` naming the problem if ``text`` is not a valid defence spec."""
    spec = parse_spec(text)
    DEFENSES.get(spec.name)
    _validate(spec.name, spec.kwargs, text)


def _validate(name: str, kwargs: dict, text: str) -> None:
    import inspect

    params = inspect.signature(DEFENSES.get(name)).parameters
    for key in kwargs:
        if key in ("tensors", "g") or key not in params:
            raise ValueError(f"defense {text!r}: {name} has no parameter {key!r}")


def apply_defense(text: str, tensors: Tensors, g: torch.Generator) -> Tensors:
    """Apply defence ``text`` to ``tensors`` (a gradient or model update) with generator ``g``."""
    spec = parse_spec(text)
    fn = DEFENSES.get(spec.name)
    _validate(spec.name, spec.kwargs, text)
    return fn({k: v.detach() for k, v in tensors.items()}, g, **spec.kwargs)
