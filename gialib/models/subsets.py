"""Parameter subsets an adversary may restrict its gradient matching to (spec strings).

``all`` is the full update; ``nin+block=k`` is the k-th inception (NIN) block in
forward order, the paper's Table III ablation ("#k NIN block's gradient"). An
attack names its subset in ``parameters`` (``AttackSpec``); the inversion then
matches only these tensors (``InversionProblem(names=...)``).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from gialib.registry import Registry
from gialib.spec import parse_spec

SUBSETS: Registry[Callable[..., list[str]]] = Registry("parameter subset")


@SUBSETS.register("all")
def all_parameters(model: nn.Module) -> list[str]:
    return [name for name, _ in model.named_parameters()]


@SUBSETS.register("nin")
def nin_block(model: nn.Module, block: int) -> list[str]:
    """Parameter names of the ``block``-th (1-based) inception block of ``model``."""
    from gialib.models.inception import nin_blocks

    blocks = nin_blocks(model)
    if not blocks:
        raise ValueError("parameter subset nin: the model has no inception (NIN) blocks")
    if not isinstance(block, int) or not 1 <= block <= len(blocks):
        raise ValueError(f"parameter subset nin: block {block!r} not in 1..{len(blocks)}")
    prefix, module = blocks[block - 1]
    return [f"{prefix}.{name}" for name, _ in module.named_parameters()]


def select_parameters(model: nn.Module, text: str) -> list[str]:
    """The parameter names of subset ``text`` (e.g. ``nin+block=2``), in the model's order."""
    spec = parse_spec(text)
    try:
        names = SUBSETS.get(spec.name)(model, **spec.kwargs)
    except TypeError as exc:
        raise ValueError(f"parameter subset {text!r}: {exc}") from exc
    order = {name: i for i, (name, _) in enumerate(model.named_parameters())}
    return sorted(names, key=order.__getitem__)


def parameter_share(model: nn.Module, names: list[str]) -> tuple[int, float]:
    """(number of parameters in ``names``, their share of all parameters): Table III's row."""
    sizes = {name: p.numel() for name, p in model.named_parameters()}
    count = sum(sizes[n] for n in names)
    return count, count / sum(sizes.values())
