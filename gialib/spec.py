"""Spec strings: ``name`` or ``name+key=value+key=value``.

Models and defences are named in paths, wildcards and configs by one string
that carries their constructor arguments, e.g. ``convnet+width=16+relu=false``
or ``resnet18+cut_skip=3``. The string is canonical (keys sorted, values in YAML
spelling), so the same model always lands in the same file.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml

_SEP = "+"


@dataclass(frozen=True)
class Spec:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return format_spec(self.name, self.kwargs)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_format_value(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, float):
        # repr(1e-05) is "1e-05", which YAML reads back as text: write "1.0e-05"
        mantissa, e, exponent = repr(value).partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else repr(value)
    return str(value)


def format_spec(name: str, kwargs: dict[str, Any] | None = None) -> str:
    """Canonical spec string for ``name`` with ``kwargs`` (keys sorted)."""
    parts = [name] + [f"{k}={_format_value(v)}" for k, v in sorted((kwargs or {}).items())]
    return _SEP.join(parts)


def parse_spec(text: str) -> Spec:
    """Parse ``name+key=value...``; values are read as YAML scalars/lists."""
    if not text or text.strip() != text:
        raise ValueError(f"empty or padded spec string {text!r}")
    name, *rest = text.split(_SEP)
    kwargs: dict[str, Any] = {}
    for item in rest:
        key, eq, raw = item.partition("=")
        if not eq or not key or not raw:
            raise ValueError(f"bad spec item {item!r} in {text!r}; expected key=value")
        if key in kwargs:
            raise ValueError(f"key {key!r} given twice in spec {text!r}")
        kwargs[key] = yaml.safe_load(raw)
    return Spec(name, kwargs)


def canonical(text: str) -> str:
    """Canonical form of a spec string (so ``a+y=1+x=2`` and ``a+x=2+y=1`` agree)."""
    spec = parse_spec(text)
    return format_spec(spec.name, spec.kwargs)


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` (read from YAML) fits the annotation ``hint``; unknown hints pass."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return isinstance(value, list | tuple) and all(_matches(v, args[0]) for v in value) if args \
            else isinstance(value, list | tuple)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:  # YAML's true is no integer
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True


def check_values(builder: Any, text: str) -> None:
    """Raise ``ValueError`` naming the key if a value of spec ``text`` does not fit the type
    ``builder`` annotates for it (``width=abc`` for an int, ``relu=maybe`` for a bool): such a
    value would otherwise reach the builder and fail late, or be taken as true."""
    hints = typing.get_type_hints(builder)
    for key, value in parse_spec(text).kwargs.items():
        if key in hints and not _matches(value, hints[key]):
            expected = getattr(hints[key], "__name__", None) or str(hints[key])
            raise ValueError(f"spec {text!r}: {key}={_format_value(value)} is not a valid {expected}")
