"""Quantization of the shared update (the paper's Q, Sec. 6; QSGD, Alistarh et al. 2017 [77])."""

from __future__ import annotations

import torch

from gialib.defenses.base import DEFENSES, Tensors, boolean, integer, uniform


def levels(bits: int) -> int:
    """Magnitude levels s of a ``bits``-wide code: one sign bit, s = 2**(bits-1) - 1.

    The grid {-s, ..., s} / s fits in ``bits`` bits (8 bits: -127..127, as int8); 2 bits
    is ternary {-1, 0, 1} (TernGrad).
    """
    return 2 ** (bits - 1) - 1


@DEFENSES.register("quantize")
def quantize(tensors: Tensors, g: torch.Generator, *, bits: int, stochastic: bool = True) -> Tensors:
    """Quantize each tensor to ``bits`` bits per entry (sign + magnitude level), QSGD-style.

    Per tensor, entries are scaled by the tensor's largest magnitude M (the max-norm
    QSGD variant; the 2-norm makes low-bit codes almost all zero) and |v| / M in [0, 1]
    is rounded to the grid {0, 1/s, ..., 1}, s = ``levels(bits)``, keeping the sign:
    the shared value is sign(v) * M * level / s. ``stochastic`` (QSGD) rounds up with
    probability equal to the distance from the lower level, so E[Q(v)] = v (unbiased,
    random numbers from ``g``); otherwise to the nearest level (deterministic, biased).
    The server receives M and the levels: the update it sees is exactly this tensor.
    """
    bits = integer("quantize", "bits", bits, minimum=2, maximum=16)
    stochastic = boolean("quantize", "stochastic", stochastic)
    s = levels(bits)
    out: Tensors = {}
    for name, v in tensors.items():
        scale = v.abs().max()
        if scale == 0:
            out[name] = v.clone()
            continue
        y = v.abs() / scale * s  # position on the level grid, in [0, s]
        if stochastic:
            low = y.floor()
            level = low + (uniform(y, g) < (y - low)).to(y.dtype)
        else:
            level = y.round()
        out[name] = torch.sign(v) * level.clamp_(0, s) * (scale / s)
    return out
