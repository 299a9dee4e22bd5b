"""Post-processing defences (Sec. 6): invariants, determinism, (epsilon, delta), clear errors."""

import math

import pytest
import torch

from gialib.defenses import (
    DEFENSES,
    apply_defense,
    check_defense,
    privacy_guarantee,
    uses_memory,
    with_memory,
)
from gialib.defenses.base import global_norm
from gialib.defenses.privacy import gaussian_delta, gaussian_epsilon
from gialib.defenses.quantize import levels
from gialib.defenses.topk import kept


def _update(seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return {"conv.weight": scale * torch.randn(8, 3, 3, 3, generator=g),
            "conv.bias": scale * torch.randn(8, generator=g),
            "fc.weight": scale * torch.randn(10, 32, generator=g)}


def _gen(seed=1):
    return torch.Generator().manual_seed(seed)


SPECS = ["none", "quantize+bits=2", "quantize+bits=4+stochastic=false", "topk+ratio=0.1",
         "topk+per_layer=true+ratio=0.2", "clip+bound=1.0", "clip+bound=0.5+per_layer=true",
         "noise+sigma=0.01", "noise+bound=1.0+sigma=0.5"]


def test_every_registered_defence_is_covered():
    assert {s.partition("+")[0] for s in SPECS} == set(DEFENSES.names())


@pytest.mark.parametrize("spec", SPECS)
def test_same_seed_same_update_input_untouched(spec):
    u = _update()
    copy = {k: v.clone() for k, v in u.items()}
    a, b = apply_defense(spec, u, _gen(3)), apply_defense(spec, u, _gen(3))
    assert a.keys() == u.keys()
    for k in u:
        assert torch.equal(a[k], b[k]) and a[k].shape == u[k].shape
        assert torch.equal(u[k], copy[k]), "a defence must not modify the captured update"


@pytest.mark.parametrize("spec", ["quantize+bits=2", "quantize+bits=4", "noise+sigma=0.01"])
def test_random_defences_depend_on_the_seed(spec):
    a, b = apply_defense(spec, _update(), _gen(1)), apply_defense(spec, _update(), _gen(2))
    assert not torch.equal(a["fc.weight"], b["fc.weight"])


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("stochastic", [True, False])
def test_quantized_values_lie_on_the_grid(bits, stochastic):
    u = _update()
    out = apply_defense(f"quantize+bits={bits}+stochastic={str(stochastic).lower()}", u, _gen())
    s = levels(bits)
    for k, v in u.items():
        scale = v.abs().max()
        grid = out[k] / scale * s
        assert torch.allclose(grid, grid.round(), atol=1e-4), k
        assert grid.abs().max() <= s + 1e-4
        assert len(torch.unique(grid.round())) <= 2 * s + 1
        # the sign is kept wherever the value is not rounded to zero
        assert ((out[k] * v) >= 0).all()


def test_two_bits_is_ternary_and_deterministic_rounding_is_nearest():
    v = {"w": torch.tensor([1.0, -0.6, 0.4, -0.1, 0.0])}
    out = apply_defense("quantize+bits=2+stochastic=false", v, _gen())["w"]
    assert out.tolist() == [1.0, -1.0, 0.0, 0.0, 0.0]


def test_stochastic_quantization_is_unbiased():
    values = torch.linspace(-1.0, 0.7, 18)
    # 20000 copies of the values in one tensor: same scale (max |v| = 1), independent roundings
    u = {"w": values.repeat(20000, 1)}
    runs = apply_defense("quantize+bits=2", u, _gen(0))["w"]
    mean, sd = runs.mean(0), runs.std(0)
    # each entry's mean within 5 standard errors of the true value
    assert ((mean - values).abs() <= 5 * sd / math.sqrt(len(runs)) + 1e-6).all()
    det = apply_defense("quantize+bits=2+stochastic=false", u, _gen(0))["w"].mean(0)
    assert (det - values).abs().max() > 0.2, "deterministic 2-bit rounding is biased (sanity)"


@pytest.mark.parametrize("ratio", [0.01, 0.1, 0.5, 1.0])
def test_topk_keeps_exactly_k_largest_entries_globally(ratio):
    u = _update()
    out = apply_defense(f"topk+ratio={ratio}", u, _gen())
    flat_in = torch.cat([v.flatten() for v in u.values()])
    flat_out = torch.cat([v.flatten() for v in out.values()])
    k = kept(ratio, flat_in.numel())
    assert int((flat_out != 0).sum()) == k
    kept_mask = flat_out != 0
    assert torch.equal(flat_out[kept_mask], flat_in[kept_mask])
    if k < flat_in.numel():
        assert flat_in[kept_mask].abs().min() >= flat_in[~kept_mask].abs().max()


def test_topk_per_layer_keeps_k_in_every_tensor():
    u = _update()
    out = apply_defense("topk+ratio=0.1+per_layer=true", u, _gen())
    for k, v in u.items():
        assert int((out[k] != 0).sum()) == kept(0.1, v.numel()) >= 1, k
    glob = apply_defense("topk+ratio=0.1", u, _gen())
    assert any(int((glob[k] != 0).sum()) != int((out[k] != 0).sum()) for k in u)


def test_error_feedback_sends_k_entries_and_keeps_the_rest():
    """Memory [80]: what is sent plus the new residual is exactly update + old residual."""
    assert uses_memory("topk+ratio=0.1+memory=true") and not uses_memory("topk+ratio=0.1")
    u, old = _update(0), _update(5, scale=0.1)
    sent, residual = with_memory("topk+ratio=0.1+memory=true", u, old, _gen())
    n = sum(v.numel() for v in u.values())
    assert sum(int((v != 0).sum()) for v in sent.values()) == kept(0.1, n)
    for k in u:
        assert torch.equal(sent[k] + residual[k], u[k] + old[k]), k
    # Without memory (no residual yet) the update is the plain top-k.
    first, _ = with_memory("topk+ratio=0.1+memory=true", u, None, _gen())
    plain = apply_defense("topk+ratio=0.1", u, _gen())
    assert all(torch.equal(first[k], plain[k]) for k in u)


@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clipping_bounds_the_norm_and_keeps_the_direction(scale):
    u = _update(scale=scale)
    out = apply_defense("clip+bound=1.0", u, _gen())
    assert float(global_norm(out)) <= 1.0 + 1e-6
    if float(global_norm(u)) <= 1.0:  # never scaled up
        assert all(torch.equal(out[k], u[k]) for k in u)
    factors = {float((out[k] / u[k]).mean()) for k in u}
    assert max(factors) - min(factors) < 1e-5, "global clipping is one factor for the whole update"
    per = apply_defense("clip+bound=0.5+per_layer=true", u, _gen())
    for k in u:
        assert float(per[k].norm()) <= 0.5 + 1e-6


def test_noise_has_the_configured_variance_and_dp_clips_first():
    u = {"w": torch.zeros(200_000)}
    out = apply_defense("noise+sigma=0.05", u, _gen())["w"]
    assert abs(float(out.mean())) < 1e-3
    assert abs(float(out.std()) - 0.05) < 0.05 * 0.01
    big = _update(scale=10.0)
    dp = apply_defense("noise+bound=1.0+sigma=0.0", big, _gen())
    assert abs(float(global_norm(dp)) - 1.0) < 1e-5


def test_gaussian_mechanism_epsilon():
    # the analytic Gaussian mechanism is exact: delta(epsilon(delta)) == delta
    eps = gaussian_epsilon(sigma=2.0, sensitivity=1.0, delta=1e-5)
    assert gaussian_delta(eps, 2.0, 1.0) == pytest.approx(1e-5, rel=1e-6)
    # and tighter than the classical bound sqrt(2 ln(1.25/delta)) * sensitivity / sigma
    assert eps < math.sqrt(2 * math.log(1.25 / 1e-5)) / 2.0
    assert gaussian_epsilon(4.0, 1.0, 1e-5) < eps  # more noise, more privacy
    g = privacy_guarantee("noise+bound=0.5+sigma=2.0")  # sensitivity 2 * bound = 1
    assert g == {"epsilon": pytest.approx(eps), "delta": 1e-5}
    assert privacy_guarantee("noise+sigma=2.0") == {"epsilon": None, "delta": None}
    assert privacy_guarantee("quantize+bits=4") == {"epsilon": None, "delta": None}
    assert privacy_guarantee("noise+bound=1.0+sigma=0.0")["epsilon"] == math.inf


@pytest.mark.parametrize("spec,match", [
    ("quantize+bits=0", "bits must be an integer in 2..16, got 0"),
    ("quantize+bits=4.5", "bits must be an integer"),
    ("quantize+bits=4+stochastic=maybe", "stochastic must be true or false"),
    ("topk+ratio=1.5", r"ratio must be a number > 0.0 and <= 1.0, got 1.5"),
    ("topk+ratio=0", "ratio must be a number > 0.0"),
    ("topk+ratio=0.1+memory=2", "memory must be true or false"),
    ("quantize+bits=4+memory=true", "quantize has no parameter 'memory'"),
    ("clip+bound=-1", "bound must be a number > 0.0"),
    ("noise+sigma=-0.1", "sigma must be a number >= 0.0, got -0.1"),
    ("noise+sigma=1e-3", "write 1.0e-3"),
    ("noise+sigma=0.1+delta=2.0", "delta must be a number"),
    ("quantize", "needs parameter"),
    ("clip+bound=1.0+norm=2", "clip has no parameter 'norm'"),
    ("jpeg+quality=3", "unknown defense 'jpeg'"),
])
def test_bad_parameter_is_a_clear_error(spec, match):
    with pytest.raises(ValueError, match=match):
        check_defense(spec)
    with pytest.raises(ValueError, match=match):
        apply_defense(spec, _update(), _gen())
