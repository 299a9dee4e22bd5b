"""Train the adversary's generator on the public split (Level 2 "data distribution" knowledge).

A class-conditional GAN (DCGAN objective: non-saturating logistic loss, Adam
with beta1 = 0.5) on the public split of a dataset at one resolution, with
random horizontal flips of the real images. Every random draw (initialisation,
batches, latents, flips) comes from the config seed. Progress is tracked by the
two losses and by a sample-quality distance that should fall: the kernel MMD
between generator samples (eval mode, as GIA-L uses it) and public images,
both average-pooled to 8x8 (a cheap, seeded stand-in for FID at this scale).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
import torch.nn.functional as F

from gialib.data.imageset import ImageSet, Split
from gialib.generators.config import GeneratorConfig
from gialib.generators.load import build_architecture
from gialib.runtime import derive_seed, generator

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


def public_images(data: ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
    """The public split in [-1, 1] and its labels; an empty split is an error naming the dataset."""
    idx = data.indices(Split.public)
    if len(idx) == 0:
        raise ValueError(f"dataset {data.name!r} has an empty public split: the generator has nothing "
                         "to train on (raise public_per_class / num_public)")
    return data.floats(idx) * 2 - 1, data.labels[idx]


@torch.no_grad()
def sample(gen, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] for latents ``z`` and ``labels``, in eval mode (as the attack uses it)."""
    was = gen.training
    gen.eval()
    out = gen(z, gen.class_input(labels))
    gen.train(was)
    return out


def train_generator(data: ImageSet, cfg: GeneratorConfig, seed: int) -> dict[str, Any]:
    """Train ``cfg``'s generator on ``data``'s public split; returns its checkpoint dict.

    The checkpoint (``weights_only``-loadable) holds the architecture, the
    generator's state dict, the config, the training curve and fixed-latent samples.
    """
    real, labels = public_images(data)
    g = generator(seed, 41)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, 42))
        gen = build_architecture(cfg.architecture, data.resolution, data.num_classes)
        disc = gen.make_discriminator()
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    ref = real[torch.randperm(len(real), generator=g)[:_MMD_SAMPLES]]
    bandwidth = median_bandwidth(ref)
    fixed_z = torch.randn(64, gen.latent_dim, generator=g)
    fixed_y = torch.arange(64) % data.num_classes
    probe_z = torch.randn(len(ref), gen.latent_dim, generator=g)
    probe_y = labels[torch.randint(0, len(labels), (len(ref),), generator=g)]
    noise_mmd = mmd(torch.rand(ref.shape, generator=g) * 2 - 1, ref, bandwidth)
    log.info("generator %s (%s) on %d public images of %s at %dpx: %d iterations, batch %d; "
             "MMD of uniform noise %.4f", cfg.name, cfg.architecture, len(real), data.name,
             data.resolution, cfg.iterations, cfg.batch_size, noise_mmd)
    curve: list[dict[str, float]] = []
    window: list[list[float]] = []
    t0 = time.perf_counter()
    for it in range(1, cfg.iterations + 1):
        idx = torch.randint(0, len(real), (cfg.batch_size,), generator=g)
        x, y = real[idx], labels[idx]
        flip = torch.rand(len(x), generator=g) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        z = torch.randn(len(x), gen.latent_dim, generator=g)
        fake = gen(z, gen.class_input(y))
        d_real, d_fake = disc(x, y), disc(fake.detach(), y)
        loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-disc(fake, y)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        window.append([loss_d.item(), loss_g.item(), torch.sigmoid(d_real).mean().item(),
                       torch.sigmoid(d_fake).mean().item()])
        if it % cfg.log_every == 0 or it == cfg.iterations or it == 1:
            means = torch.tensor(window).mean(0).tolist()
            window = []
            row = {"iteration": it, "loss_d": means[0], "loss_g": means[1], "d_real": means[2],
                   "d_fake": means[3], "mmd": mmd(sample(gen, probe_z, probe_y), ref, bandwidth),
                   "seconds": time.perf_counter() - t0}
            curve.append(row)
            log.info("iteration %d/%d loss_d %.4f loss_g %.4f D(real) %.3f D(fake) %.3f MMD %.4f (%.1fs)",
                     it, cfg.iterations, row["loss_d"], row["loss_g"], row["d_real"], row["d_fake"],
                     row["mmd"], row["seconds"])
    return {"kind": "generator", "architecture": cfg.architecture, "resolution": data.resolution,
            "num_classes": data.num_classes, "classes": list(data.classes), "dataset": data.name,
            "state_dict": gen.state_dict(), "config": cfg.to_dict(), "seed": seed, "curve": curve,
            "noise_mmd": noise_mmd, "samples": (sample(gen, fixed_z, fixed_y) + 1) / 2,
            "samples_labels": fixed_y, "public_examples": (ref[:64] + 1) / 2}
