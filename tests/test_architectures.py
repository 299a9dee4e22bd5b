"""Model surgery changes exactly the intended connections (Fig. 13, Fig. 14, Table III, Table IV)."""

import pytest
import torch
from torch import nn

from gialib.models import build_model
from gialib.models.densenet import CONNECTIONS, ConnectedDenseBlock
from gialib.models.resnet import CutSkip, residual_blocks
from gialib.models.subsets import parameter_share, select_parameters
from tests.conftest import make_model


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("spec,resolution", [
    ("vgg11+width=0.25", 16), ("vgg16+width=0.25", 32), ("vgg19+width=0.25", 32),
    ("resnet18", 16), ("resnet50", 16), ("resnet152", 32), ("densenet121+growth=8", 16),
    ("googlenet", 16), ("inception_v3", 32), ("densenet43+growth=4+width=8", 32),
    ("densenet53+connections=sht2+growth=4+width=8", 32)])
def test_fig10_and_fig14_architectures_build_for_small_images(spec, resolution):
    model = make_model(spec, num_classes=7, resolution=resolution).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, resolution, resolution)).shape == (2, 7)


def test_imagenet_stems_match_torchvision():
    """Without adaptation the builders are torchvision's definitions (same parameter counts)."""
    from torchvision import models

    assert count(make_model("resnet18+stem=imagenet", 10)) == count(models.resnet18(num_classes=10))
    assert count(make_model("resnet50+stem=imagenet", 10, 64)) == count(models.resnet50(num_classes=10))
    assert count(make_model("googlenet+stem=imagenet", 10, 64)) == count(
        models.googlenet(num_classes=10, aux_logits=False, init_weights=True))
    vgg = make_model("vgg11", 10).net
    assert count(vgg.features) == count(models.vgg.make_layers(models.vgg.cfgs["A"]))
    assert all(p.device.type == "cpu" for p in vgg.parameters())


def test_inception_v3_rejects_too_small_images():
    with pytest.raises(ValueError, match="inception_v3: resolution 16 is too small"):
        make_model("inception_v3", resolution=16)


# -- Fig. 13: cutting the skip connection of one residual block --

def _block_counts(model):
    return [count(b) for b in residual_blocks(model.net)]


@pytest.mark.parametrize("position,has_projection", [(1, False), (3, True), (8, False)])
def test_cut_skip_removes_only_that_blocks_shortcut(position, has_projection):
    full, cut = make_model("resnet18"), make_model(f"resnet18+cut_skip={position}")
    block = residual_blocks(full.net)[position - 1]
    assert (block.downsample is not None) == has_projection
    projection = count(block.downsample) if has_projection else 0
    assert count(full) - count(cut) == projection
    # every remaining tensor is the uncut model's (same seed), nothing else is missing
    a, b = full.state_dict(), cut.state_dict()
    removed = {k for k in a if k.startswith(f"net.layer{(position - 1) // 2 + 1}.{(position - 1) % 2}"
                                                f".downsample.")}
    assert set(a) - set(b) == removed and set(b) <= set(a)
    assert all(torch.equal(a[k], b[k]) for k in b)
    cut_blocks = residual_blocks(cut.net)
    assert [isinstance(x.downsample, CutSkip) for x in cut_blocks] == [
        i == position - 1 for i in range(8)]
    # the cut block computes relu(F(x)): its residual branch without the shortcut
    full.eval(), cut.eval()
    x = torch.randn(2, block.conv1.in_channels, 8, 8)
    with torch.no_grad():
        residual = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
        torch.testing.assert_close(cut_blocks[position - 1](x), torch.relu(residual))
        assert not torch.allclose(block(x), torch.relu(residual))


def test_cut_skip_equals_a_zeroed_projection():
    """A down-sampling block whose projection outputs zero is exactly the cut block: no-op cut."""
    full, cut = make_model("resnet18"), make_model("resnet18+cut_skip=5")
    bn = residual_blocks(full.net)[4].downsample[1]
    with torch.no_grad():
        bn.weight.zero_()
        bn.bias.zero_()
    x = torch.rand(3, 3, 16, 16)
    for mode in (True, False):  # batch statistics (the client's forward) and running statistics
        full.train(mode), cut.train(mode)
        with torch.no_grad():
            torch.testing.assert_close(full(x), cut(x))


def test_cut_skip_several_and_bad_positions():
    assert sum(isinstance(b.downsample, CutSkip) for b in residual_blocks(
        make_model("resnet34+cut_skip=[1,16]").net)) == 2
    assert len(residual_blocks(make_model("resnet34").net)) == 16
    with pytest.raises(ValueError, match=r"cut_skip position 9 not in 1..8"):
        make_model("resnet18+cut_skip=9")
    with pytest.raises(ValueError, match="repeats"):
        make_model("resnet18+cut_skip=[2,2]")


# -- Fig. 14: DenseNets with fewer dense connections (ref. [74]) --

def test_connection_patterns_follow_ref_74():
    """The concatenations of [74]'s DenseNet-43 code (ShortNet1/2), layers numbered from 1."""
    assert CONNECTIONS.get("dense")(4) == [1, 2, 3, 4]
    sht1 = CONNECTIONS.get("sht1")
    assert [sht1(j) for j in (2, 3, 4, 5, 8, 12)] == [
        [1, 2], [1, 2, 3], [1, 3, 4], [1, 2, 4, 5], [1, 3, 5, 7, 8], [1, 3, 5, 7, 9, 11, 12]]
    sht2 = CONNECTIONS.get("sht2")
    assert [sht2(j) for j in (2, 3, 4, 5, 6, 8, 10, 12)] == [
        [1, 2], [2, 3], [1, 3, 4], [4, 5], [3, 5, 6], [1, 5, 7, 8], [3, 7, 9, 10], [5, 9, 11, 12]]


@pytest.mark.parametrize("connections", ["sht1", "sht2"])
def test_reduced_block_is_the_dense_block_without_the_dropped_inputs(connections):
    """Zero the dense block's weights on the dropped concatenation inputs: it becomes the variant."""
    g, n, c_in = 3, 8, 5
    torch.manual_seed(0)
    dense = ConnectedDenseBlock(c_in, n, g, CONNECTIONS.get("dense")).eval()
    reduced = ConnectedDenseBlock(c_in, n, g, CONNECTIONS.get(connections)).eval()
    removed = 0
    with torch.no_grad():
        reduced.bn.load_state_dict(dense.bn.state_dict())
        reduced.convs[0].load_state_dict(dense.convs[0].state_dict())
        for k in range(1, n):
            src = reduced.sources[k]
            assert reduced.convs[k].in_channels == len(src) * g  # exactly these inputs
            keep = torch.cat([torch.arange((i - 1) * g, i * g) for i in src])
            w = torch.zeros_like(dense.convs[k].weight)
            w[:, keep] = reduced.convs[k].weight
            dense.convs[k].weight.copy_(w)
            reduced.convs[k].bias.copy_(dense.convs[k].bias)
            removed += (k - len(src)) * g * g * 9
        assert count(dense) - count(reduced) == removed > 0
        x = torch.randn(2, c_in, 6, 6)
        out_channels = torch.cat([torch.arange((i - 1) * g, i * g) for i in reduced.outputs])
        torch.testing.assert_close(dense(x)[:, out_channels], reduced(x))


def test_densenet_variants_share_everything_but_connections():
    base = make_model("densenet43+growth=4+width=8")
    for variant in ("sht1", "sht2"):
        model = make_model(f"densenet43+connections={variant}+growth=4+width=8")
        assert count(model) < count(base)
        assert [type(m) for m in model.modules()] == [type(m) for m in base.modules()]


# -- Table III: one NIN block's gradient --

@pytest.mark.parametrize("spec,resolution,first,second", [
    ("googlenet", 16, "inception3a", "inception3b"), ("inception_v3", 32, "Mixed_5b", "Mixed_5c")])
def test_nin_subset_selects_exactly_that_block(spec, resolution, first, second):
    model = make_model(spec, num_classes=10, resolution=resolution)
    for k, block in ((1, first), (2, second)):
        names = select_parameters(model, f"nin+block={k}")
        module = getattr(model.net, block)
        assert names == [f"net.{block}.{n}" for n, _ in module.named_parameters()]
        used, share = parameter_share(model, names)
        assert used == count(module) and share == pytest.approx(used / count(model))
    assert select_parameters(model, "all") == [n for n, _ in model.named_parameters()]
    with pytest.raises(ValueError, match="block 99 not in"):
        select_parameters(model, "nin+block=99")


def test_nin_subset_needs_inception_blocks():
    with pytest.raises(ValueError, match="no inception"):
        select_parameters(make_model(), "nin+block=1")
    with pytest.raises(ValueError, match="unknown parameter subset"):
        select_parameters(make_model(), "nim+block=1")


def test_attack_on_one_block_matches_only_its_gradient():
    """The restricted inversion targets exactly the block's tensors and matches them at the truth."""
    from gialib.attacks.problem import InversionProblem
    from gialib.attacks.spec import ThreatSpec
    from gialib.fl.client import client_update

    model = make_model("googlenet", num_classes=4, resolution=16)
    x, y = torch.rand(1, 3, 16, 16), torch.tensor([2])
    update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=1, local_updates=1,
                              lr=0.1, seed=0)
    names = select_parameters(model, "nin+block=2")
    problem = InversionProblem(model, update, ThreatSpec(labels="given"), names=names)
    assert problem.names == names
    torch.manual_seed(0)  # dropout mask of the client's forward (client_update seeds it with 0)
    simulated, _ = problem.simulate(x, y)
    for n, s in zip(names, simulated, strict=True):
        torch.testing.assert_close(s, update.tensors[n], rtol=1e-4, atol=1e-6)
    loss = sum((s - t).pow(2).sum() for s, t in zip(simulated, problem.target, strict=True))
    assert float(loss) < 1e-8


# -- Table IV: ConvNet micro designs --

def test_convnet_micro_designs_change_one_thing():
    base = make_model("convnet+dropout=0.25")
    kinds = lambda m, t: [x for x in m.modules() if isinstance(x, t)]  # noqa: E731
    assert len(kinds(base, nn.ReLU)) == 4 and len(kinds(base, nn.MaxPool2d)) == 2
    assert [d.p for d in kinds(base, nn.Dropout)] == [0.25]
    assert kinds(make_model("convnet+dropout=0.25+relu=false"), nn.ReLU) == []
    assert kinds(make_model("convnet+dropout=0.25+maxpool=false"), nn.MaxPool2d) == []
    assert [d.p for d in kinds(make_model("convnet"), nn.Dropout)] == [0.0]
    no_bias = make_model("convnet+bias=false+dropout=0.25")
    biases = sum(m.bias.numel() for m in kinds(base, nn.Conv2d) + kinds(base, nn.Linear))
    assert count(base) - count(no_bias) == biases
    for k in (1, 2, 5):
        convs = kinds(make_model(f"convnet+dropout=0.25+kernel_size={k}"), nn.Conv2d)
        assert {c.kernel_size for c in convs} == {(k, k)}
    for p in (2, 3):
        convs = kinds(make_model(f"convnet+dropout=0.25+padding={p}"), nn.Conv2d)
        assert {c.padding for c in convs} == {(p, p)}


def test_convnet_global_pool_fixes_the_head_across_resolutions():
    """Fig. 4: without pooling the classifier (and the gradient) grows with the image."""
    from gialib.models import build_model

    heads = {g: [build_model(f"convnet+width=4+global_pool={g}", 10, r, [0.5] * 3, [0.25] * 3, 0)
                 .net.classifier.in_features for r in (16, 64)] for g in ("false", "true")}
    assert heads["false"] == [4 * 4 * 4 * 4, 4 * 4 * 16 * 16] and heads["true"] == [16, 16]


def _gradient_cosine(spec: str, resolution: int) -> float:
    """Cosine between the shared gradients of two random images (same label), BN in eval mode."""
    from gialib.fl.local import set_bn_mode

    model = set_bn_mode(build_model(spec, 10, resolution, [0.3] * 3, [0.3] * 3, seed=0), "eval")
    flat = []
    for s in range(2):
        x = torch.rand(1, 3, resolution, resolution, generator=torch.Generator().manual_seed(s))
        loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([4]))
        flat.append(torch.cat([g.flatten() for g in torch.autograd.grad(loss, list(model.parameters()))]))
    return float(torch.nn.functional.cosine_similarity(flat[0], flat[1], 0))


def test_without_running_stats_the_gradient_depends_on_the_image():
    """At initialisation (running statistics 0 and 1) DenseNet-43's gradient is the same for any
    image, so no attack can read one from it; ``running_stats=false`` (batch statistics, as the
    FL run's clients train) makes it image-specific, and the model keeps no statistics buffers."""
    base = "densenet43+growth=8+width=16"
    assert _gradient_cosine(base, 32) > 0.999
    assert abs(_gradient_cosine(base + "+running_stats=false", 32)) < 0.5
    model = build_model(base + "+running_stats=false", 10, 32, [0.3] * 3, [0.3] * 3, seed=0)
    assert not [k for k in model.state_dict() if "running" in k]
    with pytest.raises(ValueError, match="running_stats must be a bool"):
        build_model("convnet+running_stats=maybe", 10, 32, [0.3] * 3, [0.3] * 3, seed=0)


def test_resnet_width_scales_every_channel_count_and_keeps_the_cut():
    """``width`` as VGG's: 0.5 halves every stage (64..512 -> 32..256), a quarter of the
    convolution weights; the cut still removes only its block's shortcut."""
    full, half = make_model("resnet18", resolution=16), make_model("resnet18+width=0.5", resolution=16)
    widths = [b.conv2.out_channels for b in residual_blocks(half.net)]
    assert widths == [w // 2 for w in (b.conv2.out_channels for b in residual_blocks(full.net))]
    assert widths == [32, 32, 64, 64, 128, 128, 256, 256]
    assert half.net.conv1.out_channels == 32 and half.net.fc.in_features == 256
    assert 0.24 < count(half) / count(full) < 0.26
    cut = make_model("resnet18+width=0.5+cut_skip=3", resolution=16)
    assert count(half) - count(cut) == count(residual_blocks(half.net)[2].downsample)
    with torch.no_grad():
        assert half.eval()(torch.rand(2, 3, 16, 16)).shape == (2, 4)
    # width 1 is torchvision's model, tensor for tensor (the seeded build is unchanged)
    a, b = full.state_dict(), make_model("resnet18+width=1", resolution=16).state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="width must be > 0, got 0"):
        make_model("resnet18+width=0")
