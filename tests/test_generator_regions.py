"""GIA-L's generator (issue 14): named after how it is trained, never trained on a victim's image, and
searched only in the latent region its training used."""

from __future__ import annotations

import pytest
import torch

from gialib import io
from gialib.attacks.latent import LatentParam
from gialib.data.imageset import ImageSet, Split, prepare_imageset
from gialib.generators.config import GeneratorConfig
from gialib.generators.load import load_trained
from gialib.generators.train import shared_with_victims, train_generator
from tests.conftest import SMALL_SPEC

ARCH = "dcgan+latent_dim=16+width=4"


@pytest.fixture(scope="module")
def data():
    return prepare_imageset("small", SMALL_SPEC, 16, seed=0)


def _trained(data, tmp_path, objective: str):
    torch.set_num_threads(1)
    cfg = GeneratorConfig(name=objective, architecture=ARCH, objective=objective, iterations=3, batch_size=8,
                          log_every=3)
    ckpt = train_generator(data, cfg, seed=0)
    io.save_pt(ckpt, tmp_path / f"{objective}.pt")
    return cfg, ckpt, tmp_path / f"{objective}.pt"


@pytest.mark.parametrize("name,objective", [("dcgan", "glo"), ("my-dcgan", "glo"), ("glo_small", "gan")])
def test_a_generator_named_after_another_objective_is_refused(name, objective):
    with pytest.raises(ValueError, match=f"generators.{name}: the name says .* trained by objective "
                                         f"'{objective}'.*name a generator after how it is trained"):
        GeneratorConfig(name=name, objective=objective)


def test_names_that_match_their_objective_are_accepted():
    assert "Generative Latent Optimization" in GeneratorConfig(name="glo", objective="glo").method()
    assert "DCGAN game" in GeneratorConfig(name="dcgan", objective="gan").method()
    GeneratorConfig(name="gen", objective="glo")
    with pytest.raises(ValueError, match="objective must be one of"):
        GeneratorConfig(name="gen", objective="vae")


def test_glo_search_stays_on_the_sphere_its_codes_lived_on(data, tmp_path):
    cfg, ckpt, path = _trained(data, tmp_path, "glo")
    assert ckpt["latent_region"] == "sphere" and "Generative Latent Optimization" in ckpt["method"]
    assert load_trained(path).latent_region == "sphere"
    context = {"labels": torch.tensor([0, 1]), "num_classes": 4, "generator_file": str(path)}
    param = LatentParam((2, 3, 16, 16), {"generator": cfg.to_dict()}, context)
    param.reset(torch.Generator().manual_seed(0))
    radius = 16**0.5
    assert torch.allclose(param.z.norm(dim=1), torch.full((2,), radius))
    with torch.no_grad():
        param.z.mul_(5.0).add_(1.0)  # an optimiser step far off the sphere
    param.project()
    assert torch.allclose(param.z.norm(dim=1), torch.full((2,), radius))
    with pytest.raises(ValueError, match="latent_bound does not apply"):
        LatentParam((2, 3, 16, 16), {"generator": cfg.to_dict(), "latent_bound": 2.0}, context)


def test_gan_search_stays_in_the_box(data, tmp_path):
    cfg, ckpt, path = _trained(data, tmp_path, "gan")
    assert ckpt["latent_region"] == "normal"
    context = {"labels": torch.tensor([0]), "num_classes": 4, "generator_file": str(path)}
    param = LatentParam((1, 3, 16, 16), {"generator": cfg.to_dict(), "latent_bound": 1.5}, context)
    param.reset(torch.Generator().manual_seed(0))
    with torch.no_grad():
        param.z.mul_(10.0)
    param.project()
    assert float(param.z.abs().max()) == 1.5


def test_checkpoint_without_its_latent_region_is_refused(data, tmp_path):
    _, ckpt, _ = _trained(data, tmp_path, "gan")
    del ckpt["latent_region"]
    io.save_pt(ckpt, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="lacks key.*latent_region"):
        load_trained(tmp_path / "old.pt")


def test_generator_never_trains_on_a_victims_image(data):
    assert shared_with_victims(data) == 0
    private, public = data.indices(Split.private), data.indices(Split.public)
    images = data.images.clone()
    images[public[3]] = images[private[5]]  # one public image is a victim's
    leaky = ImageSet(images, data.labels, data.split, data.classes, "leaky")
    assert shared_with_victims(leaky) == 1
    cfg = GeneratorConfig(name="glo", architecture=ARCH, objective="glo", iterations=1, batch_size=4)
    with pytest.raises(ValueError, match="'leaky': 1 public image.*victims' images"):
        train_generator(leaky, cfg, seed=0)
