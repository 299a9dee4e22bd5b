"""How many victim images a dataset (or view) offers, read from the config alone, so that a cell's
N larger than its victims split is an error before any job (``config_check``), not in capture.

A ``datasets`` entry with ``victims_per_class`` has a ``victims`` split of that many images per
class, which no FL round trains on; views swap it (``views.py``). An entry without the key has
none: its victims come from the attacked client's shard of the private split, whose size the
capture stage checks (it depends on the partition).
"""

from __future__ import annotations

from typing import Any

from gialib.data import fashion_mnist
from gialib.data.views import dataset_spec

KEY = "victims_per_class"

# Sources whose classes are fixed (not listed in the entry's ``classes``): source -> class count.
FIXED_CLASSES = {"fashion-mnist": len(fashion_mnist.CLASSES)}


def num_classes(spec: dict[str, Any]) -> int | None:
    """The entry's class count, when the config tells it (None: only the data knows)."""
    if "classes" in spec:
        return len(spec["classes"])
    return FIXED_CLASSES.get(spec["source"])


def victims_size(datasets: dict[str, Any], name: str) -> tuple[int, str] | None:
    """(images in the victims split of dataset or view ``name``, the keys that size it), or None
    when it has no victims split or its size is known only from the data."""
    spec = dataset_spec(datasets, name)
    if "view" not in spec:
        if KEY not in spec or num_classes(spec) is None:
            return None
        n = num_classes(spec)
        return int(spec[KEY]) * n, f"datasets.{name}.{KEY} = {spec[KEY]} x {n} classes"
    view = spec["view"]
    base = view["base_spec"]
    if KEY not in base:
        return None
    if "victims" in view:  # one class of the base's victims
        return int(base[KEY]), f"datasets.{view['base']}.{KEY} = {base[KEY]} (one class)"
    if "style" in view:  # the base's victims, restyled
        return victims_size(datasets, view["base"])
    ood, ood_spec = str(view["ood"]), view["ood_spec"]  # the OOD entry's private images
    if "private_per_class" not in ood_spec or num_classes(ood_spec) is None:
        return None
    n = num_classes(ood_spec)
    return (int(ood_spec["private_per_class"]) * n,
            f"datasets.{ood}.private_per_class = {ood_spec['private_per_class']} x {n} classes")


def check_victims(datasets: dict[str, Any], name: str, num_examples: int) -> None:
    """Raise ``ValueError`` naming the sizing key when N exceeds the victims split of ``name``."""
    size = victims_size(datasets, name)
    if size is not None and num_examples > size[0]:
        raise ValueError(f"num_examples={num_examples} exceeds the {size[0]} images of dataset "
                         f"{name}'s victims split ({size[1]})")
