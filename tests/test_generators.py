"""GIA-L: the generator trains, its files load safely, and the latent attack inverts its range."""

import pytest
import torch

from gialib import io
from gialib.attacks.engine import invert
from gialib.attacks.latent import LatentParam
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec
from gialib.data.imageset import prepare_imageset
from gialib.fl.client import client_update
from gialib.generators.config import GeneratorConfig
from gialib.generators.load import load_pretrained, load_trained
from gialib.generators.train import train_generator
from gialib.metrics import psnr
from tests.conftest import SMALL_SPEC, make_model

ARCH = "dcgan+latent_dim=16+width=8"


@pytest.fixture(scope="module")
def tiny():
    """A 16 px DCGAN trained on a 24-image public split (seconds on one core)."""
    torch.set_num_threads(1)  # module fixtures run before the autouse one-thread fixture
    data = prepare_imageset("small", SMALL_SPEC, 16, seed=0)
    cfg = GeneratorConfig(name="tiny", architecture=ARCH, iterations=200, batch_size=16, lr=5e-4,
                          log_every=50)
    return data, cfg, train_generator(data, cfg, seed=0)


def test_generator_trains_on_tiny_set(tiny):
    """Sample-to-data MMD falls far below its start and below uniform noise's; samples vary."""
    _, _, ckpt = tiny
    mmd = [row["mmd"] for row in ckpt["curve"]]
    assert mmd[-1] < 0.5 * mmd[0], mmd
    assert mmd[-1] < 0.5 * ckpt["noise_mmd"], (mmd, ckpt["noise_mmd"])
    samples = ckpt["samples"]
    assert samples.min() >= 0 and samples.max() <= 1
    assert samples.std(dim=0).mean() > 0.02  # not one image for every latent and class
    assert [row["iteration"] for row in ckpt["curve"]] == [1, 50, 100, 150, 200]


def test_glo_generator_reconstruction_loss_falls(tiny):
    data, cfg, _ = tiny
    glo = GeneratorConfig(**{**cfg.to_dict(), "objective": "glo", "lr": 2e-3, "iterations": 150})
    ckpt = train_generator(data, glo, seed=0)
    loss = [row["loss_rec"] for row in ckpt["curve"]]
    assert loss[-1] < 0.5 * loss[0], loss
    assert ckpt["curve"][-1]["mmd"] < 0.5 * ckpt["noise_mmd"]


def test_generator_training_is_seeded(tiny):
    data, cfg, ckpt = tiny
    short = GeneratorConfig(**{**cfg.to_dict(), "iterations": 3, "log_every": 3})
    a, b = train_generator(data, short, seed=0), train_generator(data, short, seed=0)
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])


def test_generator_file_loads_weights_only(tiny, tmp_path):
    _, _, ckpt = tiny
    io.save_pt(ckpt, tmp_path / "g.pt")
    torch.load(tmp_path / "g.pt", weights_only=True)  # plain tensors and values only
    gen = load_trained(tmp_path / "g.pt").eval()
    z = torch.randn(4, gen.latent_dim, generator=torch.Generator().manual_seed(0))
    c = gen.class_input(torch.tensor([0, 1, 2, 3]))
    with torch.no_grad():
        assert gen(z, c).shape == (4, 3, 16, 16)


def test_gia_l_recovers_an_image_in_the_generators_range(tiny, tmp_path):
    """x = G(z*, y): inverting its FedSGD gradient over the latent space finds x again."""
    _, cfg, ckpt = tiny
    io.save_pt(ckpt, tmp_path / "g.pt")
    gen = load_trained(tmp_path / "g.pt").eval()
    g = torch.Generator().manual_seed(7)
    y = torch.tensor([2])
    with torch.no_grad():
        x = (gen(torch.randn(1, gen.latent_dim, generator=g), gen.class_input(y)) + 1) / 2
        other = (gen(torch.randn(1, gen.latent_dim, generator=g), gen.class_input(y)) + 1) / 2
    model = make_model(resolution=16)
    update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=1, local_updates=1, lr=0.1, seed=0)
    spec = AttackSpec.from_dict({"space": "latent", "options": {"generator": cfg.to_dict()},
                                 "lr": 0.05, "iterations": 300, "restarts": 2, "log_every": 300})
    param = LatentParam(tuple(x.shape), spec.options, {"labels": y, "num_classes": 4,
                                                       "generator_file": str(tmp_path / "g.pt")})
    assert sorted(n for n, _ in param.named_parameters()) == ["c", "z"]  # G's weights stay frozen
    result = invert(InversionProblem(model, update, spec.threat), param, y, spec, seed=0)
    recovered, baseline = float(psnr(result.images, x)), float(psnr(other, x))
    assert recovered > 25 and recovered > baseline + 8, (recovered, baseline)


def test_pretrained_generator_loads_safely_and_checks_shapes(tmp_path):
    kwargs = {"resolution": 16, "num_classes": 4, "latent_dim": 16, "width": 8}
    builder = "gialib.generators.dcgan:DCGANGenerator"
    from gialib.generators.dcgan import DCGANGenerator

    torch.manual_seed(0)
    source = DCGANGenerator(**kwargs)
    torch.save(source.state_dict(), tmp_path / "w.pt")
    gen = load_pretrained({"builder": builder, "kwargs": kwargs, "weights": str(tmp_path / "w.pt")})
    assert all(torch.equal(a, b) for a, b in zip(gen.state_dict().values(), source.state_dict().values(),
                                                 strict=True))
    with pytest.raises(ValueError, match="shape mismatch"):
        load_pretrained({"builder": builder, "kwargs": {**kwargs, "width": 4},
                         "weights": str(tmp_path / "w.pt")})
    torch.save(source, tmp_path / "pickled.pt")  # a whole pickled module: refused
    with pytest.raises(ValueError, match="not a safe torch file"):
        load_pretrained({"builder": builder, "kwargs": kwargs, "weights": str(tmp_path / "pickled.pt")})
    with pytest.raises(FileNotFoundError, match="do not exist"):
        load_pretrained({"builder": builder, "kwargs": kwargs, "weights": str(tmp_path / "none.pt")})
    with pytest.raises(ImportError, match="cannot import 'no_such_module'"):
        load_pretrained({"builder": "no_such_module:G", "weights": str(tmp_path / "w.pt")})
    with pytest.raises(TypeError, match="not a gialib.generators.Generator"):
        load_pretrained({"builder": "torch.nn:Identity", "weights": str(tmp_path / "w.pt")})


def test_dcgan_rejects_resolutions_it_cannot_build():
    from gialib.generators.dcgan import DCGANGenerator

    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        DCGANGenerator(resolution=24, num_classes=2)
