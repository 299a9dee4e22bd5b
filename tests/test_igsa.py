"""IGSA (Sec. 5.1.1): the forward-mode estimate against brute-force finite differences."""

import pytest
import torch

from gialib.metrics import igsa as igsa_mod
from gialib.metrics.igsa import IGSAConfig, igsa, layer_weights, parameter_layers
from tests.conftest import make_model


@pytest.fixture(scope="module")
def tiny():
    """A tiny ConvNet with BatchNorm and dropout, in float64, at 4x4 px (48 input pixels)."""
    model = make_model("convnet+width=2+bn=true+dropout=0.5", num_classes=3, resolution=4).double()
    x = torch.rand(1, 3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    return model, x, torch.tensor([2])


def _input_gradient(model, y):
    params = {k: v.detach().requires_grad_() for k, v in model.named_parameters()}

    def g(x):
        loss = igsa_mod.loss_fn(torch.func.functional_call(model, params, (x,)), y)
        return dict(zip(params, torch.autograd.grad(loss, list(params.values())), strict=True))

    return g


def _finite_difference_norms(model, x, y, h=1e-5):
    """Exact per-layer ||J_l||_F from the full Jacobian, one central difference per pixel."""
    g = _input_gradient(model, y)
    sq = {}
    for i in range(x.numel()):
        e = torch.zeros(x.numel(), dtype=x.dtype)
        e[i] = h
        plus, minus = g(x + e.view_as(x)), g(x - e.view_as(x))
        for name in plus:
            sq[name] = sq.get(name, 0.0) + ((plus[name] - minus[name]) / (2 * h)).pow(2).sum()
    return torch.stack([sum(sq[n] for n in names).sqrt() for _, names in parameter_layers(model)])


def test_jacobian_vector_product_matches_finite_differences(tiny):
    model, x, y = tiny
    smooth = igsa_mod._smooth_copy(model)
    v = torch.randn(1, *x.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(2))
    jv = igsa_mod.jacobian_products(smooth, x, y, v)
    g, h = _input_gradient(smooth, y), 1e-6
    plus, minus = g(x + h * v[0]), g(x - h * v[0])
    for name, value in jv.items():
        torch.testing.assert_close(value[0], (plus[name] - minus[name]) / (2 * h), rtol=1e-5,
                                   atol=1e-6)


def test_layer_norms_match_brute_force_jacobian(tiny):
    model, x, y = tiny
    smooth = igsa_mod._smooth_copy(model)
    exact = _finite_difference_norms(smooth, x, y)
    estimate = igsa_mod.layer_jacobian_norms(smooth, x, y, 6000, torch.Generator().manual_seed(3))
    assert len(exact) == len(parameter_layers(model)) == 9
    nonzero = exact > 1e-6  # conv biases before BatchNorm have a zero gradient
    assert nonzero.sum() >= 5
    rel = (estimate[nonzero] / exact[nonzero] - 1).abs()
    assert float(rel.max()) < 0.04, rel  # Hutchinson's relative sd here: about sqrt(1/6000)
    assert torch.all(estimate[~nonzero] < 1e-6)


def test_igsa_is_the_weighted_mean_of_sampled_norms(tiny):
    model, x, y = tiny
    images, labels = torch.cat([x, x.flip(-1)]), torch.tensor([2, 0])
    cfg = IGSAConfig(num_inputs=2, samples=3, probes=4, radius=0.0, weighting="linear")
    a = igsa(model, images, labels, cfg, torch.Generator().manual_seed(5))
    b = igsa(model, images, labels, cfg, torch.Generator().manual_seed(5))
    assert a == b  # seeded
    w = layer_weights(9, "linear")
    assert a["weights"] == pytest.approx(w.tolist()) and a["layers"][0] == "net.features.0"
    # radius 0: every sample sits at x; the per-input value is w . (norms averaged over samples)
    g = torch.Generator().manual_seed(5)
    smooth = igsa_mod._smooth_copy(model)
    expected = []
    for i in range(2):
        norms = []
        for _ in range(3):
            torch.randn(x.shape, generator=g, dtype=x.dtype)  # the ball's direction and radius
            torch.rand((), generator=g, dtype=torch.float64)
            norms.append(igsa_mod.layer_jacobian_norms(smooth, images[i:i + 1], labels[i:i + 1],
                                                       4, g))
        expected.append(float((torch.stack(norms).mean(0) * w).sum()))
    assert a["jacobian_norm_per_input"] == pytest.approx(expected)
    assert a["jacobian_norm"] == pytest.approx(sum(expected) / 2)
    # IGSA is its reciprocal per input (higher = smoother), averaged over the inputs
    assert a["igsa_per_input"] == pytest.approx([1 / e for e in expected])
    assert a["igsa"] == pytest.approx(sum(1 / e for e in expected) / 2)


class _SineFeatures(torch.nn.Module):
    """A linear classifier on sin(omega * x): the input-to-gradient map oscillates faster, and
    its Jacobian grows (about linearly), with the frequency omega; the weights do not depend on it."""

    def __init__(self, omega: float) -> None:
        super().__init__()
        self.omega = omega
        self.fc = torch.nn.Linear(12, 3).double()
        torch.nn.init.normal_(self.fc.weight, generator=torch.Generator().manual_seed(0))

    def forward(self, x):
        return self.fc(torch.sin(self.omega * x.flatten(1)))


def test_igsa_is_higher_for_the_smoother_map():
    """The paper: "a higher IGSA value indicates [...] a greater degree of smoothness". A model
    whose input-to-gradient map oscillates 8x faster must get the lower IGSA (and the higher
    Jacobian norm)."""
    images = torch.rand(2, 3, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 2])
    cfg = IGSAConfig(num_inputs=2, samples=2, probes=16, radius=0.1, weighting="uniform")
    smooth, rough = (igsa(_SineFeatures(w), images, labels, cfg, torch.Generator().manual_seed(2))
                     for w in (1.0, 8.0))
    assert rough["jacobian_norm"] > 3 * smooth["jacobian_norm"]
    assert smooth["igsa"] > 3 * rough["igsa"]


def test_weighting_favours_shallow_layers():
    for kind in ("linear", "inverse"):
        w = layer_weights(6, kind)
        assert float(w.sum()) == pytest.approx(1.0) and torch.all(w[:-1] > w[1:])
    assert torch.allclose(layer_weights(4, "uniform"), torch.full((4,), 0.25, dtype=torch.float64))


def test_uniform_ball_stays_within_radius():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(1, 3, 8, 8)
    dist = torch.stack([igsa_mod.uniform_ball(x, 0.5, g).norm() for _ in range(200)])
    assert float(dist.max()) <= 0.5 + 1e-6 and float(dist.min()) > 0.4  # mass near the sphere in 192-d


@pytest.mark.parametrize("cfg,match", [({"samples": 0}, "igsa.samples"), ({"radius": -1}, "radius"),
                                       ({"weighting": "deep"}, "unknown IGSA layer weighting"),
                                       ({"sample": 2}, "unknown igsa key")])
def test_bad_igsa_config(cfg, match):
    with pytest.raises(ValueError, match=match):
        IGSAConfig.from_dict(cfg)
