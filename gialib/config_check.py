"""Cross-reference checks the JSON schema cannot express, run before any job starts.

The schema (config/schema.yaml) catches unknown keys and bad values; this module
catches names that point nowhere (an experiment's dataset, attack, model or
defence), sweeps that cannot be built, and a demanded LPIPS without its backbone.
Every error names the config key.
"""

from __future__ import annotations

from typing import Any

from gialib.attacks.spec import AttackSpec
from gialib.data.views import dataset_spec
from gialib.defenses import check_defense, uses_memory
from gialib.experiments import get_experiment
from gialib.metrics.igsa import IGSAConfig
from gialib.metrics.lpips_metric import lpips_status, require_lpips
from gialib.models.registry import check_model_spec


class ConfigError(ValueError):
    pass


def check_config(config: dict[str, Any], enforce_lpips: bool = True) -> None:
    """Raise ``ConfigError`` naming the key of the first problem found.

    ``enforce_lpips`` false (a dry run, which starts no job) only checks the policy value.
    """
    metrics = config.get("metrics", {})
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
    for target in config["experiments"]:
        where = f"experiments.{target}"
        try:
            cells = get_experiment(target, config).cells()
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        for dataset in sorted({c.dataset for c in cells}):
            try:
                dataset_spec(config["datasets"], dataset)
            except ValueError as exc:
                raise ConfigError(f"{where}.dataset: {exc}") from exc
        for field, table in (("attack", "attacks"),):
            for value in sorted({getattr(c, field) for c in cells}):
                if value not in config[table]:
                    raise ConfigError(f"{where}.{field}: {value!r} is not a key of `{table}` "
                                      f"(known: {', '.join(config[table])})")
        for model in sorted({c.model for c in cells}):
            try:
                check_model_spec(model)
            except ValueError as exc:
                raise ConfigError(f"{where}.model: {exc}") from exc
        for defense in sorted({c.defense for c in cells}):
            try:
                check_defense(defense)
            except ValueError as exc:
                raise ConfigError(f"{where}.defense: {exc}") from exc
            # The victim's unsent remainder after round 0 depends on its history, which the
            # defend stage does not replay: its update is exact only before any memory exists.
            later = uses_memory(defense) and sorted(
                {c.round for c in cells if c.defense == defense and c.round > 0})
            if later:
                raise ConfigError(f"{where}: defense {defense!r} keeps client memory; attacking it "
                                  f"at round(s) {later} is not supported (round 0 only)")
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
