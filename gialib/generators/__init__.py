"""Generative models of the adversary's "data distribution" knowledge (Level 2), used by GIA-L.

GIA-L (the paper's Definition 2) optimises a generator's latent input instead of
pixels. The generator either trains in the pipeline on the public split of a
dataset (``train.train_generator``: a conditional DCGAN architecture, trained by the
DCGAN game or by GLO, and named after which) or is a pretrained
module + weights named in the config (``load.load_pretrained``, e.g. BigGAN).
Every generator, trained or pretrained, follows ``base.Generator``: images in
[-1, 1] from a latent ``z`` and (if conditional) a class input, and names the latent
region its training used (``base.LATENT_REGIONS``), where GIA-L's search stays.
"""

from gialib.generators.base import GENERATORS, LATENT_REGIONS, Generator
from gialib.generators.config import GeneratorConfig, generator_file

__all__ = ["GENERATORS", "LATENT_REGIONS", "Generator", "GeneratorConfig", "generator_file"]

# Register the trainable architectures (import for side effects).
from gialib.generators import dcgan as _dcgan  # noqa: E402,F401
