"""Is every dataset a run reads on disk? Checked before any job starts (the Snakefile's preflight).

A source whose files must be fetched at set-up registers a check here; the check
raises ``FileNotFoundError`` naming the expected path and the command that fetches
it. Views (``base+ood=<key>`` ...) are checked through the entries they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gialib.data import fashion_mnist
from gialib.data.views import dataset_spec
from gialib.registry import Registry

# source -> check(name, spec): raises FileNotFoundError when the entry's files are missing
PRESENCE: Registry = Registry("dataset presence check")
PRESENCE.register("fashion-mnist")(fashion_mnist.require_files)


def entries(datasets: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """The ``datasets`` entries that dataset (or view) ``name`` reads, by key."""
    spec = dataset_spec(datasets, name)
    if "view" not in spec:
        return {name: spec}
    view = spec["view"]
    out = {view["base"]: view["base_spec"]}
    if "ood" in view:
        out[str(view["ood"])] = view["ood_spec"]
    return out


def require_datasets(datasets: dict[str, Any], names: Iterable[str] | None = None) -> None:
    """Raise ``FileNotFoundError`` for the first dataset (of ``names``; default: every entry of the
    config's ``datasets``) whose files are not on disk, naming the path and how to fetch them."""
    needed: dict[str, dict[str, Any]] = {}
    for name in sorted(datasets if names is None else set(names)):
        needed.update(entries(datasets, name))
    for key, spec in sorted(needed.items()):
        if spec["source"] in PRESENCE:
            PRESENCE.get(spec["source"])(key, spec)
