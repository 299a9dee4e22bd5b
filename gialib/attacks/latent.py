"""GIA-L (the paper's Definition 2): optimise a generator's latent input instead of pixels.

The image is x = (G(z, c) + 1) / 2 for a frozen generator G trained in advance
on public data of the task's distribution (Level 2 knowledge). The optimiser
moves the latent z and, for a class-conditional generator, the class input c
(Definition 2 optimises "pairs of latent vectors and labels"): c starts at the
one-hot vector of the labels the attack uses (inferred or given) and is
optimised too unless ``class_input: fixed``. z starts and stays in the latent
region the generator's training used (``generators.base.LATENT_REGIONS``): for
N(0, I) latents (the GAN game, pretrained GANs) a draw clipped to, and each step
clipped back into, [-latent_bound, latent_bound]; for GLO's codes the sphere of
radius sqrt(d), projected back onto after each step. A generator whose side differs from the victim's images
(a pretrained BigGAN) is resized to it (bilinear, antialiased).

Options (``attacks.<name>.options``): ``generator`` (a key of config
``generators``; the workflow replaces it by that entry), ``class_input``
(``optimize`` | ``fixed``, default ``optimize``), ``latent_bound`` (default 3; normal region only),
``class_map`` (the generator's class index for each of the model's classes, e.g.
ImageNet indices of a 5-class content task for BigGAN; default: the identity).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gialib.attacks.params import SPACES, ImageParam
from gialib.generators.base import LATENT_REGIONS
from gialib.generators.config import GeneratorConfig
from gialib.generators.load import load_generator

_OPTIONS = ("generator", "class_input", "latent_bound", "class_map")
_CLASS_INPUTS = ("optimize", "fixed")


@SPACES.register("latent")
class LatentParam(ImageParam):
    """GIA-L's image parameterisation. ``context``: labels, num_classes, device, generator_file."""

    def __init__(self, shape: tuple[int, ...], options: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__()
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"latent space: unknown option(s) {unknown}; known: {list(_OPTIONS)}")
        if not isinstance(options.get("generator"), dict):
            raise ValueError("latent space: options.generator must be the generator's config entry "
                             "(the workflow fills it in from config `generators`)")
        cfg = GeneratorConfig(**options["generator"])
        self.class_mode = options.get("class_input", "optimize")
        if self.class_mode not in _CLASS_INPUTS:
            raise ValueError(f"latent space: class_input must be one of {_CLASS_INPUTS}, "
                             f"got {self.class_mode!r}")
        self.bound = float(options.get("latent_bound", 3.0))
        if self.bound <= 0:
            raise ValueError(f"latent space: latent_bound must be > 0, got {self.bound}")
        gen = load_generator(cfg, context.get("generator_file"))
        self.region = LATENT_REGIONS.get(gen.latent_region)
        if "latent_bound" in options and not self.region.uses_bound:
            raise ValueError(f"latent space: generator {cfg.name!r} searches {self.region.description}; "
                             "latent_bound does not apply to it")
        labels = context["labels"]
        class_map = options.get("class_map")
        if class_map is not None:
            if len(class_map) != int(context["num_classes"]) or not all(
                    0 <= int(k) < gen.num_classes for k in class_map):
                raise ValueError(f"latent space: class_map needs one generator class in 0.."
                                 f"{gen.num_classes - 1} per model class ({context['num_classes']})")
            labels = torch.as_tensor(class_map, dtype=torch.int64)[labels.cpu()]
        elif gen.num_classes and gen.num_classes != int(context["num_classes"]):
            raise ValueError(f"generator {cfg.name!r} has {gen.num_classes} classes but the attacked "
                             f"model {context['num_classes']}; train it on the task's dataset or "
                             "give options.class_map")
        # Not a submodule: the optimiser (which takes ``self.parameters()``) must not see G's weights.
        self.__dict__["generator"] = gen.to(context.get("device", "cpu"))
        self.shape = tuple(shape)
        self.z = nn.Parameter(torch.empty(shape[0], gen.latent_dim))
        c0 = gen.class_input(labels.cpu())
        self.register_buffer("c0", c0 if c0 is not None else torch.empty(0))
        optimize_c = c0 is not None and self.class_mode == "optimize"
        self.c = nn.Parameter(torch.empty_like(c0)) if optimize_c else None

    def reset(self, g: torch.Generator) -> None:
        with torch.no_grad():
            self.z.copy_(self.region.sample(tuple(self.z.shape), g, self.bound))
            if self.c is not None:
                self.c.copy_(self.c0)

    def forward(self) -> torch.Tensor:
        c = self.c if self.c is not None else (self.c0 if self.c0.numel() else None)
        x = (self.generator(self.z, c) + 1) / 2
        if tuple(x.shape[-2:]) != self.shape[-2:]:
            x = F.interpolate(x, size=self.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
        return x.clamp(0, 1)

    @torch.no_grad()
    def project(self) -> None:
        self.z.copy_(self.region.project(self.z, self.bound))
