"""Post-processing of a shared update (Sec. 6): a defence is a small function on the tensors.

A defence is named by a spec string, e.g. ``none``, ``quantize+bits=4``,
``quantize+bits=4+stochastic=false``, ``topk+ratio=0.1+per_layer=true``,
``clip+bound=1.0``, ``noise+sigma=0.01`` or, the local DP mechanism, clipping then
noise: ``noise+bound=1.0+sigma=0.5``. The same string names it in configs,
wildcards and paths. It is applied by the client to every update during FL
training (``fl.server.train_round``) and, by the ``defend`` stage, to the captured
update the adversary attacks.
"""

from __future__ import annotations

import inspect

import torch

# Each module registers its defence (import for side effects).
from gialib.defenses import clip, noise, quantize, topk  # noqa: F401
from gialib.defenses.base import DEFENSES, GUARANTEES, UNDEFINED, Tensors
from gialib.spec import Spec, parse_spec

__all__ = ["DEFENSES", "Tensors", "apply_defense", "check_defense", "privacy_guarantee", "uses_memory",
           "with_memory"]

_ARGS = ("tensors", "g")
# A two-tensor update that ``check_defense`` runs a defence on, so its own checks fire.
_PROBE = {"weight": torch.tensor([[0.5, -1.0], [0.25, 2.0]]), "bias": torch.tensor([-0.75, 0.1])}


def _parse(text: str) -> Spec:
    """The spec of ``text``, its keys checked against the defence's parameters."""
    spec = parse_spec(text)
    params = inspect.signature(DEFENSES.get(spec.name)).parameters
    known = [k for k in params if k not in _ARGS]
    for key in spec.kwargs:
        if key not in known:
            raise ValueError(f"defense {text!r}: {spec.name} has no parameter {key!r}"
                             f"{'; parameters: ' + ', '.join(known) if known else ''}")
    missing = [k for k in known if params[k].default is inspect.Parameter.empty
               and k not in spec.kwargs]
    if missing:
        raise ValueError(f"defense {text!r}: {spec.name} needs parameter(s) {', '.join(missing)}")
    return spec


def check_defense(text: str) -> None:
    """Raise ``ValueError`` naming the key if ``text`` is not a valid defence spec.

    Runs the defence on a tiny probe update: the parameter checks a config gets
    before any job are the very checks the defence makes when it runs.
    """
    apply_defense(text, _PROBE, torch.Generator().manual_seed(0))


def apply_defense(text: str, tensors: Tensors, g: torch.Generator) -> Tensors:
    """Apply defence ``text`` to ``tensors`` (a gradient or model update) with generator ``g``."""
    spec = _parse(text)
    try:
        return DEFENSES.get(spec.name)({k: v.detach() for k, v in tensors.items()}, g, **spec.kwargs)
    except ValueError as exc:
        raise ValueError(f"{exc} (spec {text!r})") from exc


def uses_memory(text: str) -> bool:
    """Whether defence ``text`` keeps error feedback: each client adds what the defence
    removed from its last update to its next one (``memory=true``, top-k only)."""
    return bool(_parse(text).kwargs.get("memory", False))


def with_memory(text: str, update: Tensors, residual: Tensors | None,
                g: torch.Generator) -> tuple[Tensors, Tensors]:
    """Error feedback: apply defence ``text`` to ``update`` plus the client's ``residual``;
    return (what is sent, the new residual). Sent plus new residual is the input exactly."""
    full = update if residual is None else {k: v + residual[k] for k, v in update.items()}
    sent = apply_defense(text, full, g)
    return sent, {k: full[k] - sent[k] for k in full}


def privacy_guarantee(text: str) -> dict[str, float | None]:
    """(epsilon, delta) of one update shared under defence ``text``; None where undefined."""
    spec = _parse(text)
    if spec.name not in GUARANTEES:
        return dict(UNDEFINED)
    return GUARANTEES.get(spec.name)(**spec.kwargs)
