"""Train the adversary's generator on the public split (Level 2 "data distribution" knowledge).

Two objectives (config ``generators.<name>.objective``) for the same DCGAN architecture; the
config names the generator after its objective (``config.OBJECTIVE_NAMES``):

- ``gan``: the DCGAN objective (non-saturating logistic loss against a
  projection discriminator, Adam with beta1 = 0.5), as the paper's "pretrained
  DcGAN"; it needs many iterations and tends to drop modes on small data.
- ``glo``: Generative Latent Optimization (Bojanowski et al., 2018): every public
  image (and its mirror image) owns a latent code, learned jointly with the
  generator by reconstruction (L1 over a 3-level pyramid). No mode is dropped,
  so the generator's range covers the public data after a few hundred CPU
  steps; codes are kept on the sphere of radius sqrt(d), where N(0, I) draws lie.

Each objective names its latent region (``base.LATENT_REGIONS``: ``normal`` for the GAN
game, ``sphere`` for GLO); the checkpoint records it, and GIA-L starts and keeps its search
there. The public split must not hold any image of the private split (where victims are
drawn): the generator never trains on a victim's image.

Every random draw (initialisation, batches, latents, flips) comes from the config
seed. Progress is tracked by the objective's losses and by a sample-quality
distance that should fall: the kernel MMD between generator samples for random
latents (eval mode, as GIA-L uses it) and public images, both average-pooled to
8x8 (a cheap, seeded stand-in for FID at this scale).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
import torch.nn.functional as F

from gialib.data.imageset import ImageSet, Split
from gialib.generators.base import LATENT_REGIONS, Generator
from gialib.generators.config import GeneratorConfig
from gialib.generators.load import build_architecture
from gialib.registry import Registry
from gialib.runtime import derive_seed, generator, to_cpu

log = logging.getLogger(__name__)

_MMD_SIDE = 8
_MMD_SAMPLES = 256


def _features(x: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, _MMD_SIDE).flatten(1)


def mmd(a: torch.Tensor, b: torch.Tensor, bandwidth: float) -> float:
    """Squared MMD (biased, Gaussian kernel) between two image batches in [-1, 1], on 8x8 features."""
    fa, fb = _features(a).double(), _features(b).double()

    def k(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.cdist(u, v).pow(2) / (2 * bandwidth**2)).mean()

    return float(k(fa, fa) + k(fb, fb) - 2 * k(fa, fb))


def median_bandwidth(x: torch.Tensor) -> float:
    """Median pairwise distance of the features (the usual kernel bandwidth heuristic)."""
    d = torch.cdist(_features(x).double(), _features(x).double())
    return float(d[d > 0].median())


def shared_with_victims(data: ImageSet) -> int:
    """How many public images are pixel-identical to a private or victims-split one (a victim's image)."""
    idx = torch.cat([data.indices(Split.private), data.indices(Split.victims)])
    private = {bytes(x.numpy().tobytes()) for x in data.images[idx]}
    return sum(bytes(x.numpy().tobytes()) in private for x in data.images[data.indices(Split.public)])


def public_images(data: ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
    """The public split in [-1, 1] and its labels; an empty split, or one holding a private image,
    is an error naming the dataset."""
    idx = data.indices(Split.public)
    if len(idx) == 0:
        raise ValueError(f"dataset {data.name!r} has an empty public split: the generator has nothing "
                         "to train on (raise public_per_class / num_public)")
    shared = shared_with_victims(data)
    if shared:
        raise ValueError(f"dataset {data.name!r}: {shared} public image(s) equal private ones; the "
                         "generator would train on victims' images (the splits must be disjoint)")
    return data.floats(idx) * 2 - 1, data.labels[idx]


@torch.no_grad()
def sample(gen, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] for latents ``z`` and ``labels``, in eval mode (as the attack uses it)."""
    was = gen.training
    gen.eval()
    out = gen(z, gen.class_input(labels))
    gen.train(was)
    return out


class GANObjective:
    """The DCGAN game; ``step`` returns the window statistics of one iteration."""

    latent_region = "normal"  # z ~ N(0, I) in every step

    def __init__(self, gen: Generator, real: torch.Tensor, lr: float) -> None:
        self.gen, self.disc = gen, gen.make_discriminator().to(real.device)
        self.opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=lr, betas=(0.5, 0.999))

    def step(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
             g: torch.Generator) -> dict[str, float]:
        z = torch.randn(len(x), self.gen.latent_dim, generator=g).to(x.device)
        fake = self.gen(z, self.gen.class_input(y))
        d_real, d_fake = self.disc(x, y), self.disc(fake.detach(), y)
        loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = F.softplus(-self.disc(fake, y)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(),
                "d_real": torch.sigmoid(d_real).mean().item(), "d_fake": torch.sigmoid(d_fake).mean().item()}


def pyramid_l1(a: torch.Tensor, b: torch.Tensor, levels: int = 3) -> torch.Tensor:
    """L1 distance at full, half and quarter resolution (a cheap Laplacian-pyramid loss)."""
    loss = (a - b).abs().mean()
    for _ in range(levels - 1):
        a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
        loss = loss + (a - b).abs().mean()
    return loss


class GLOObjective:
    """Generative Latent Optimization: a learned code per (image, mirror), reconstruction loss."""

    latent_region = "sphere"  # every code is projected back to radius sqrt(d) after each step

    def __init__(self, gen: Generator, real: torch.Tensor, lr: float) -> None:
        self.gen = gen
        self.radius = gen.latent_dim**0.5
        codes = torch.randn(2 * len(real), gen.latent_dim,
                            generator=torch.Generator().manual_seed(0)).to(real.device)
        self.codes = torch.nn.Parameter(F.normalize(codes, dim=1) * self.radius)
        self.opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))
        self.opt_z = torch.optim.Adam([self.codes], lr=10 * lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
             g: torch.Generator) -> dict[str, float]:
        fake = self.gen(self.codes[idx], self.gen.class_input(y))
        loss = pyramid_l1(fake, x)
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_z.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.opt_z.step()
        with torch.no_grad():
            self.codes.copy_(F.normalize(self.codes, dim=1) * self.radius)
        return {"loss_rec": loss.item()}


OBJECTIVES: Registry[type] = Registry("generator objective")
OBJECTIVES.register("gan")(GANObjective)
OBJECTIVES.register("glo")(GLOObjective)


def train_generator(data: ImageSet, cfg: GeneratorConfig, seed: int,
                    device: torch.device | str = "cpu") -> dict[str, Any]:
    """Train ``cfg``'s generator on ``data``'s public split, on ``device``; returns its
    checkpoint dict (CPU tensors). Random draws come from CPU generators, so they are the
    same on every device.

    The checkpoint (``weights_only``-loadable) holds the architecture, the
    generator's state dict, the config, the training curve and fixed-latent samples.
    """
    real, labels = public_images(data)
    real, labels = real.to(device), labels.to(device)  # the public split, moved once
    g = generator(seed, 41)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, 42))
        gen = build_architecture(cfg.architecture, data.resolution, data.num_classes).to(device)
        objective = OBJECTIVES.get(cfg.objective)(gen, real, cfg.lr)
    gen.latent_region = objective.latent_region
    # Samples and probes come from the region GIA-L will search (its default bound, 3).
    region = LATENT_REGIONS.get(gen.latent_region)
    ref = real[torch.randperm(len(real), generator=g)[:_MMD_SAMPLES]]
    bandwidth = median_bandwidth(ref)
    fixed_z = region.sample((64, gen.latent_dim), g, 3.0).to(device)
    fixed_y = (torch.arange(64) % data.num_classes).to(device)
    probe_z = region.sample((len(ref), gen.latent_dim), g, 3.0).to(device)
    probe_y = labels[torch.randint(0, len(labels), (len(ref),), generator=g)]
    noise_mmd = mmd(torch.rand(ref.shape, generator=g).to(device) * 2 - 1, ref, bandwidth)
    log.info("generator %s (%s; latents: %s) on %d public images of %s at %dpx: %d iterations, batch %d; "
             "MMD of uniform noise %.4f", cfg.name, cfg.method(), region.description, len(real),
             data.name, data.resolution, cfg.iterations, cfg.batch_size, noise_mmd)
    curve: list[dict[str, float]] = []
    window: list[dict[str, float]] = []
    t0 = time.perf_counter()
    for it in range(1, cfg.iterations + 1):
        # An index in [0, 2M): image i mod M, mirrored when i >= M (GLO gives each its own code).
        idx = torch.randint(0, 2 * len(real), (cfg.batch_size,), generator=g).to(device)
        x, y = real[idx % len(real)], labels[idx % len(real)]
        x = torch.where((idx >= len(real))[:, None, None, None], x.flip(-1), x)
        window.append(objective.step(x, y, idx, g))
        if it % cfg.log_every == 0 or it == cfg.iterations or it == 1:
            row = {"iteration": it, **{k: sum(w[k] for w in window) / len(window) for k in window[0]},
                   "mmd": mmd(sample(gen, probe_z, probe_y), ref, bandwidth),
                   "seconds": time.perf_counter() - t0}
            window = []
            curve.append(row)
            log.info("iteration %d/%d %s (%.1fs)", it, cfg.iterations,
                     " ".join(f"{k} {v:.4f}" for k, v in row.items() if k not in ("iteration", "seconds")),
                     row["seconds"])
    return {"kind": "generator", "architecture": cfg.architecture, "resolution": data.resolution,
            "num_classes": data.num_classes, "classes": list(data.classes), "dataset": data.name,
            "method": cfg.method(), "latent_region": gen.latent_region,
            "state_dict": to_cpu(gen.state_dict()), "config": cfg.to_dict(), "seed": seed,
            "curve": curve, "noise_mmd": noise_mmd,
            "samples": ((sample(gen, fixed_z, fixed_y) + 1) / 2).cpu(),
            "samples_labels": fixed_y.cpu(), "public_examples": ((ref[:64] + 1) / 2).cpu()}
