"""Checks the JSON schema cannot express, run before any job starts.

The schema (config/schema.yaml) catches unknown keys and bad values; ``check_config``
(at parse time, so also in a dry run) catches names that point nowhere (an
experiment's dataset, attack, model or defence), names outside a safe alphabet,
non-finite numbers, spec values of the wrong type, sweeps that cannot be built and
two cells that would write one file. ``preflight`` (Snakemake's ``onstart``: a real
run, before its first job) checks what the machine must provide: data on disk, an
LPIPS backbone that loads, CUDA, and models that build. Every error names the
config key or the file.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from gialib import paths
from gialib.attacks.spec import AttackSpec
from gialib.data.victims import check_victims
from gialib.data.views import dataset_spec
from gialib.defenses import check_defense, uses_memory
from gialib.experiments import get_experiment
from gialib.metrics.igsa import IGSAConfig
from gialib.metrics.lpips_metric import lpips_status, require_lpips
from gialib.models.registry import MODELS, check_model_spec
from gialib.spec import check_values, parse_spec


class ConfigError(ValueError):
    pass


def check_config(config: dict[str, Any], enforce_lpips: bool = True) -> None:
    """Raise ``ConfigError`` naming the key of the first problem found.

    ``enforce_lpips`` false (a dry run, which starts no job) only checks the policy value.
    """
    metrics = config.get("metrics", {})
    if metrics.get("lpips") is False:
        # YAML 1.1 reads the documented bare `off` as false: it is the policy "off".
        metrics["lpips"] = "off"
    check_names(config)
    check_finite(config)
    try:
        if enforce_lpips:
            require_lpips(metrics.get("lpips", "auto"), metrics.get("lpips_net", "alex"),
                          metrics.get("lpips_weights"))
        else:
            lpips_status(metrics.get("lpips", "auto"), metrics.get("lpips_net", "alex"),
                         metrics.get("lpips_weights"))
    except (FileNotFoundError, ValueError) as exc:
        raise ConfigError(f"metrics: {exc}") from exc
    for name, spec in config["attacks"].items():
        try:
            AttackSpec.from_dict(spec)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"attacks.{name}: {exc}") from exc
    check_generators(config)
    try:
        IGSAConfig.from_dict(config.get("igsa", {}))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"igsa: {exc}") from exc
    training = config["training"]
    if training["clients_per_round"] > training["num_clients"]:
        raise ConfigError("training.clients_per_round exceeds training.num_clients")
    written: dict[tuple[str, int], tuple[str, Any]] = {}
    for target in config["experiments"]:
        where = f"experiments.{target}"
        try:
            cells = get_experiment(target, config).cells()
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        check_unique_paths(where, cells, written)
        for dataset in sorted({c.dataset for c in cells}):
            try:
                dataset_spec(config["datasets"], dataset)
            except ValueError as exc:
                raise ConfigError(f"{where}.dataset: {exc}") from exc
        for dataset, n in sorted({(c.dataset, c.num_examples) for c in cells}):
            try:
                check_victims(config["datasets"], dataset, n)
            except ValueError as exc:
                raise ConfigError(f"{where}.num_examples: {exc}") from exc
        for field, table in (("attack", "attacks"),):
            for value in sorted({getattr(c, field) for c in cells}):
                if value not in config[table]:
                    raise ConfigError(f"{where}.{field}: {value!r} is not a key of `{table}` "
                                      f"(known: {', '.join(config[table])})")
        for model in sorted({c.model for c in cells}):
            try:
                check_model_spec(model)
                check_values(MODELS.get(parse_spec(model).name), model)
            except ValueError as exc:
                raise ConfigError(f"{where}.model: {exc}") from exc
        for defense in sorted({c.defense for c in cells}):
            try:
                check_defense(defense)
            except ValueError as exc:
                raise ConfigError(f"{where}.defense: {exc}") from exc
            # The victim's unsent remainder after round 0 depends on its history, which the
            # defend stage does not replay: its update is exact only before any memory exists,
            # where it equals the memoryless defence's (so fig15 rejects it at round 0 too and
            # takes it under utility_only: gialib/experiments/fig15.py).
            later = uses_memory(defense) and sorted(
                {c.round for c in cells if c.defense == defense and c.round > 0})
            if later:
                raise ConfigError(f"{where}: defense {defense!r} keeps client memory; attacking it "
                                  f"at round(s) {later} is not supported: the defend stage does not "
                                  "replay a client's memory (at round 0 it is empty, and the update "
                                  "is the memoryless defence's)")
        for rnd in sorted({c.round for c in cells}):
            if rnd > training["rounds"]:
                raise ConfigError(f"{where}.round: {rnd} exceeds training.rounds={training['rounds']}")


def check_generators(config: dict[str, Any]) -> None:
    """Every GIA-L attack names a generator entry; a trained one's dataset exists."""
    from gialib.generators.config import GeneratorConfig, attack_generator
    from gialib.generators.load import build_architecture

    for name in config.get("generators", {}):
        try:
            gen = GeneratorConfig.from_config(config, name)
            if gen.pretrained is None:
                build_architecture(gen.architecture, 8, 2)  # names and arguments exist
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"generators.{name}: {exc}") from exc
        if gen.dataset is not None and gen.dataset not in config["datasets"]:
            raise ConfigError(f"generators.{name}.dataset: {gen.dataset!r} is not a key of `datasets`")
    for attack in config["attacks"]:
        try:
            attack_generator(config, attack)
        except ValueError as exc:
            raise ConfigError(f"attacks.{attack}: {exc}") from exc


# Names become path segments and wildcard values: a letter or digit first, then letters,
# digits and _ + = @ - (no dot, so no "." or ".." segment; no slash, so no other folder).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+=@-]*")
# Dataset and generator keys are also the first part of view specs (name+key=value).
SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# An attack's path segment sits beside spec strings (convnet+width=8, mini+ood=texture):
# an attack name joins its parts with "_" (G_TV, GIA-O_knownB), never with the spec grammar's
# "+" or "=", so that one segment reads one way.
SPEC_SEPARATORS = ("+", "=")
ATTACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_@-]*")
_NAMED = {"attacks": ATTACK_NAME, "experiments": SAFE_NAME, "datasets": SAFE_KEY, "generators": SAFE_KEY}


def check_names(config: dict[str, Any]) -> None:
    """Every key of ``attacks``, ``experiments``, ``datasets`` and ``generators`` is a safe
    name; an attack name holds no spec separator."""
    for name in config.get("attacks") or {}:
        used = [c for c in SPEC_SEPARATORS if isinstance(name, str) and c in name]
        if used:
            suggestion = "".join("_" if c in SPEC_SEPARATORS else c for c in name)
            which = " or ".join(map(repr, used))
            raise ConfigError(f"attacks.{name}: an attack name may not contain {which}, "
                              f"the separator of spec strings (convnet+width=8) that share its path; "
                              f"join its parts with '_', e.g. {suggestion!r}")
    for table, pattern in _NAMED.items():
        for name in config.get(table) or {}:
            if not isinstance(name, str) or not pattern.fullmatch(name):
                raise ConfigError(f"{table}: the name {name!r} is not allowed; names become path "
                                  f"segments: use {pattern.pattern} (no dots, slashes or spaces)")


def _numbers(obj: Any, where: str):
    """(key path, value) of every number in ``obj``, including those inside spec strings."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{where}[{i}]")
    elif isinstance(obj, float):
        yield where, obj
    elif isinstance(obj, str) and "+" in obj and "=" in obj:
        try:
            kwargs = parse_spec(obj).kwargs
        except ValueError:
            return  # not a spec string (or a bad one: its own check names it)
        yield from _numbers(kwargs, f"{where} ({obj!r})")


def check_finite(config: dict[str, Any]) -> None:
    """No NaN or infinity anywhere: a NaN learning rate trains NaN models, and a NaN loss
    compares false with everything (a NaN restart would beat every other)."""
    for where, value in _numbers(config, ""):
        if not math.isfinite(value):
            raise ConfigError(f"{where}: {value} is not a finite number")


def check_unique_paths(where: str, cells: list, written: dict[tuple[str, int], tuple[str, Any]]) -> None:
    """Distinct cells write distinct trials of distinct files, as the paths they name (no "."
    or ".." parts); an attack file holds trials 0..T-1 of one cell, for any T."""
    for cell in cells:
        path = cell.path(paths.ATTACK, trials="T")
        norm = os.path.normpath(path)
        if norm != path or path.count("/") != paths.ATTACK.count("/"):
            raise ConfigError(f"{where}: cell {cell} writes {path!r}, which is not a plain path")
        seen = written.setdefault((norm, cell.trial), (where, cell))
        if seen[1] != cell:
            raise ConfigError(f"{where}: cell {cell} and {seen[0]}'s cell {seen[1]} both write trial "
                              f"{cell.trial} of {path}")


def preflight(config: dict[str, Any], local: bool = True) -> None:
    """What a real run needs from the machine, checked before its first job (not in a dry
    run, which needs none of it): the LPIPS backbone loads, the data sets are on disk (or
    may be downloaded), the models build, and (``local``: jobs run on this machine, not a
    cluster's nodes) the configured CUDA device is visible."""
    check_config(config, enforce_lpips=True)
    check_lpips_weights(config)
    check_data(config)
    check_models(config)
    if local:
        from gialib.runtime import resolve_device

        try:
            resolve_device(config["device"])
        except RuntimeError as exc:
            raise ConfigError(f"device: {exc}") from exc


def check_lpips_weights(config: dict[str, Any]) -> None:
    """Build the scorer once, exactly as the score jobs will, if they are to use it: a
    truncated or foreign backbone file fails here instead of in every score job."""
    from gialib.metrics.lpips_metric import LPIPS

    metrics = config["metrics"]
    available, _ = lpips_status(metrics["lpips"], metrics["lpips_net"], metrics.get("lpips_weights"))
    if not available:
        return
    try:
        LPIPS(metrics["lpips_net"], metrics.get("lpips_weights"))
    except Exception as exc:  # truncated zip (EOFError, RuntimeError), wrong keys (ValueError)
        raise ConfigError(f"metrics.lpips_weights: the {metrics['lpips_net']} backbone does not load: "
                          f"{type(exc).__name__}: {exc}") from exc


def _torchvision_probe(class_name: str, **kwargs):
    def probe(root: Path) -> None:
        import torchvision.datasets

        cls = getattr(torchvision.datasets, class_name)
        for extra in kwargs.get("each", ({},)):
            cls(str(root), download=False, **extra)

    return probe


def _folders_probe(root: Path) -> None:
    for sub in ("train", "val"):
        if not (root / sub).is_dir() or not any((root / sub).iterdir()):
            raise FileNotFoundError(f"folder {root / sub} is missing or empty")


# Per data source read from disk: a cheap look that raises if the data is not there. Sources
# not listed (packaged, content) ship with Python packages.
DATA_PROBES = {
    "cifar10": _torchvision_probe("CIFAR10", each=({"train": True}, {"train": False})),
    "cifar100": _torchvision_probe("CIFAR100", each=({"train": True}, {"train": False})),
    "imagefolder": _folders_probe,
    "places365": _torchvision_probe("Places365", each=({"split": "val", "small": True},)),
    "dtd": _torchvision_probe("DTD", each=({"split": "test"},)),
}


def used_datasets(config: dict[str, Any]) -> list[str]:
    """Keys of ``datasets`` that a job will read: every cell's dataset (and a view's ood
    set) and every trained generator's."""
    names = set()
    for target in config["experiments"]:
        for dataset in {c.dataset for c in get_experiment(target, config).cells()}:
            spec = parse_spec(dataset)
            names.add(spec.name)
            if "ood" in spec.kwargs:
                names.add(str(spec.kwargs["ood"]))
    names |= {g["dataset"] for g in (config.get("generators") or {}).values() if g.get("dataset")}
    return sorted(names)


def check_data(config: dict[str, Any]) -> None:
    """Every data set a job reads is on disk, or ``download: true`` lets its job fetch it."""
    from gialib.data.availability import PRESENCE

    for name in used_datasets(config):
        spec = config["datasets"][name]
        if spec["source"] in PRESENCE:
            # Sources fetched at set-up (make setup) check their own files and name the fix.
            try:
                PRESENCE.get(spec["source"])(name, spec)
            except FileNotFoundError as exc:
                raise ConfigError(str(exc)) from exc
            continue
        probe = DATA_PROBES.get(spec["source"])
        if probe is None or spec.get("download", False):
            continue
        root = Path(spec.get("root", "data"))
        try:
            probe(root)
        except (RuntimeError, FileNotFoundError, OSError) as exc:
            raise ConfigError(f"datasets.{name}: {spec['source']} data not found under {root} ({exc}); "
                              f"put it there or set datasets.{name}.download: true") from exc


def check_models(config: dict[str, Any]) -> None:
    """Build every model spec once at each resolution it runs at and run it on a probe
    input, on the meta device (shapes only, no memory, no arithmetic): an argument the
    builder rejects (a skip to cut that does not exist, a kernel that leaves no pixels)
    fails here."""
    import torch

    from gialib.models import build_model

    seen = set()
    for target in config["experiments"]:
        for cell in get_experiment(target, config).cells():
            if (cell.model, cell.resolution) in seen:
                continue
            seen.add((cell.model, cell.resolution))
            try:
                with torch.device("meta"):
                    net = build_model(cell.model, 2, cell.resolution, [0.5] * 3, [0.5] * 3, 0)
                    net.eval()(torch.zeros(1, 3, cell.resolution, cell.resolution))
            except (TypeError, ValueError, RuntimeError, IndexError) as exc:
                raise ConfigError(f"experiments.{target}.model: {cell.model!r} at resolution "
                                  f"{cell.resolution} does not build: {exc}") from exc
