"""Config ``generators``: which generator a GIA-L attack uses, and where its file lives.

An attack entry with ``space: latent`` names a generator in ``options.generator``.
A generator entry either trains in the pipeline (``dataset`` + ``architecture`` +
training settings; its checkpoint is ``paths.GENERATOR``, a rule of its own) or
names a pretrained module + weights (``pretrained``), loaded by the attack job.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from gialib import paths
from gialib.spec import canonical

# Training objective -> the words that name it and how it is described. A generator is named
# after how it is trained: a GLO-trained DCGAN architecture is not "a DCGAN" (issue 14).
OBJECTIVE_NAMES = {
    "gan": ({"gan", "dcgan"}, "the DCGAN game (adversarial, Radford et al. 2016)"),
    "glo": ({"glo"}, "Generative Latent Optimization (Bojanowski et al. 2018)"),
}


@dataclass(frozen=True)
class GeneratorConfig:
    """One entry of config ``generators``."""

    name: str
    dataset: str | None = None  # trained on this dataset's public split; None: the attacked cell's
    architecture: str = "dcgan"  # spec string of a GENERATORS entry, e.g. dcgan+width=32
    # Native side in pixels; None: the attacked cell's. A fixed one (like BigGAN's 256) is
    # trained once and resized to each cell's resolution by the attack.
    resolution: int | None = None
    objective: str = "gan"  # gan (DCGAN game) | glo (Generative Latent Optimization)
    iterations: int = 1000
    batch_size: int = 64
    lr: float = 2e-4
    log_every: int = 100
    pretrained: dict[str, Any] | None = None  # {builder: "module:callable", kwargs: {}, weights: path}
    trained_on: str = ""  # a pretrained generator's data (documentation only)

    def __post_init__(self) -> None:
        where = f"generators.{self.name}"
        if self.objective not in OBJECTIVE_NAMES:
            raise ValueError(f"{where}.objective must be one of {sorted(OBJECTIVE_NAMES)}, "
                             f"got {self.objective!r}")
        if self.pretrained is None:
            words = set(re.split(r"[^a-z0-9]+", self.name.lower()))
            other = {w for obj, (names, _) in OBJECTIVE_NAMES.items() if obj != self.objective for w in names}
            if words & other:
                raise ValueError(f"{where}: the name says {sorted(words & other)[0]!r} but it is trained by "
                                 f"objective {self.objective!r} ({OBJECTIVE_NAMES[self.objective][1]}); "
                                 "name a generator after how it is trained")
            if self.resolution is not None and int(self.resolution) < 8:
                raise ValueError(f"{where}.resolution must be >= 8, got {self.resolution}")
            for key in ("iterations", "batch_size", "log_every"):
                if int(getattr(self, key)) < 1:
                    raise ValueError(f"{where}.{key} must be >= 1, got {getattr(self, key)}")
            if self.lr <= 0:
                raise ValueError(f"{where}.lr must be > 0, got {self.lr}")
        else:
            missing = [k for k in ("builder", "weights") if k not in self.pretrained]
            if missing:
                raise ValueError(f"{where}.pretrained lacks {missing}")
            module, colon, attr = str(self.pretrained["builder"]).partition(":")
            if not (module and colon and attr):
                raise ValueError(f"{where}.pretrained.builder must read 'package.module:callable', "
                                 f"got {self.pretrained['builder']!r}")

    @classmethod
    def from_config(cls, config: dict[str, Any], name: str) -> GeneratorConfig:
        table = config.get("generators", {})
        if name not in table:
            raise ValueError(f"generator {name!r} is not a key of `generators` "
                             f"(known: {', '.join(table) or 'none'})")
        cfg = dict(table[name])
        known = {f.name for f in fields(cls)} - {"name"}
        unknown = set(cfg) - known
        if unknown:
            raise ValueError(f"generators.{name}: unknown key(s) {sorted(unknown)}")
        if "architecture" in cfg:
            cfg["architecture"] = canonical(cfg["architecture"])
        return cls(name=name, **cfg)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def method(self) -> str:
        """How the generator was made, in words (logs, checkpoints, captions)."""
        if self.pretrained is not None:
            data = f" on {self.trained_on}" if self.trained_on else ""
            return f"pretrained {self.pretrained['builder']}{data}"
        return f"{self.architecture} architecture trained by {OBJECTIVE_NAMES[self.objective][1]}"


def attack_generator(config: dict[str, Any], attack: str) -> GeneratorConfig | None:
    """The generator attack ``attack`` optimises over (None for a pixel-space attack)."""
    spec = config["attacks"][attack]
    if spec.get("space", "pixel") != "latent":
        return None
    name = spec.get("options", {}).get("generator")
    if not isinstance(name, str):
        raise ValueError(f"attacks.{attack}: space latent needs options.generator, "
                         "the name of a `generators` entry")
    return GeneratorConfig.from_config(config, name)


def generator_dataset(gen: GeneratorConfig, dataset: str) -> str:
    """The dataset whose public split ``gen`` trains on when it attacks a cell of ``dataset``.

    A generator without ``dataset`` trains on the attacked task's data: the base of
    a dataset view (``packaged+ood=textures`` -> ``packaged``), so GIA-L against OOD
    victims uses the generator of the in-distribution task (the paper's Fig. 8).
    """
    from gialib.spec import parse_spec

    return gen.dataset or parse_spec(dataset).name


def generator_file(config: dict[str, Any], attack: str, dataset: str, resolution: int | str) -> list[str]:
    """The trained generator file attack ``attack`` reads for a cell (none: pixel or pretrained)."""
    gen = attack_generator(config, attack)
    if gen is None or gen.pretrained is not None:
        return []
    return [paths.GENERATOR.format(dataset=generator_dataset(gen, dataset),
                                   resolution=gen.resolution or resolution, generator=gen.name)]


def attack_config(config: dict[str, Any], attack: str) -> dict[str, Any]:
    """Attack entry ``attack`` with its generator's whole config in ``options.generator``.

    The attack record (and so every CSV row) then carries the generator's settings.
    """
    spec = copy.deepcopy(config["attacks"][attack])
    gen = attack_generator(config, attack)
    if gen is not None:
        spec["options"]["generator"] = gen.to_dict()
    return spec
