"""The aggregate stage: one CSV row per cell with its scores and full provenance."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

from gialib import io
from gialib.data.views import dataset_spec
from gialib.experiments.plan import Experiment

METRICS = ("lpips", "psnr", "ssim", "mse", "label_accuracy")


def flatten(prefix: str, obj: Any) -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'prefix.a.b': 1}; lists become JSON strings (one CSV cell)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    if isinstance(obj, list | tuple):
        return {prefix: json.dumps(obj)}
    return {prefix: obj}


def config_digest(config: dict[str, Any]) -> str:
    """Short hash of the whole (validated) config: rows with equal digests share every setting."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def collect(exp: Experiment, config: dict[str, Any]) -> pd.DataFrame:
    rows = []
    digest = config_digest(config)
    files: dict[str, list[dict[str, Any]]] = {}
    for cell in exp.cells():
        path = exp.score_path(cell)
        if path not in files:
            files[path] = io.load_json(path)["trials"]
        score = files[path][cell.trial]
        row: dict[str, Any] = {"target": exp.name, **cell.wildcards()}
        row.update({m: score[m] for m in METRICS})
        row["lpips_status"] = score["lpips_status"]
        row["attack_seconds"] = score["provenance"]["attack_seconds"]
        row["config_seed"] = config["seed"]
        row["config_digest"] = digest
        row.update(flatten("", {"provenance": score["provenance"]}))
        row.update(flatten("training", config["training"]))
        row.update(flatten("client", config["client"]))
        row.update(flatten("dataset_spec", dataset_spec(config["datasets"], cell.dataset)))
        row.update(flatten("metrics", config["metrics"]))
        rows.append(row)
    return pd.DataFrame(rows)
