"""Artifact files: atomic writes and safe loads.

Every ``.pt`` artifact is a dict of tensors and plain values, written atomically
(temporary file + rename, so a crash never leaves a file that looks complete) and
read back with ``torch.load(..., weights_only=True)``: no arbitrary unpickling.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def _atomic(path: str | os.PathLike, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_pt(obj: dict[str, Any], path: str | os.PathLike) -> None:
    _atomic(path, lambda tmp: torch.save(obj, tmp))


def load_pt(path: str | os.PathLike, *, kind: str = "artifact", required: tuple[str, ...] = (),
            mmap: bool = False) -> dict:
    """Load a ``.pt`` artifact safely; a missing, corrupt or incomplete file names itself.

    ``mmap``: map the file instead of reading it, so tensors are read when touched (one
    trial of a file of many).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as exc:  # corrupt zip, truncated file, pickled objects
        raise ValueError(f"{kind} file {path} is corrupt or not a safe torch file: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{kind} file {path} holds {type(obj).__name__}, expected a dict")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{kind} file {path} lacks key(s) {missing}")
    return obj


def save_trials(trials: list[dict[str, Any]], path: str | os.PathLike) -> None:
    """One artifact per trial, trials 0, 1, ... in one file (``load_trial`` reads one back)."""
    save_pt({"trials": list(trials)}, path)


def load_trial(path: str | os.PathLike, trial: int, *, kind: str = "artifact",
               required: tuple[str, ...] = ()) -> dict:
    """Trial ``trial`` of a file written by ``save_trials``, read without the other trials."""
    trials = load_pt(path, kind=kind, required=("trials",), mmap=True)["trials"]
    if not 0 <= trial < len(trials):
        raise ValueError(f"{kind} file {path} holds trials 0..{len(trials) - 1}, not trial {trial}")
    return _with_keys(trials[trial], required, f"{kind} file {path}, trial {trial}")


def load_trials(path: str | os.PathLike, *, kind: str = "artifact",
                required: tuple[str, ...] = ()) -> list[dict]:
    """Every trial of a file written by ``save_trials``, each holding the ``required`` keys."""
    trials = load_pt(path, kind=kind, required=("trials",))["trials"]
    return [_with_keys(obj, required, f"{kind} file {path}, trial {t}") for t, obj in enumerate(trials)]


def _with_keys(obj: dict, required: tuple[str, ...], where: str) -> dict:
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{where}, lacks key(s) {missing}")
    return obj


def save_json(obj: Any, path: str | os.PathLike) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w") as fh:
            json.dump(obj, fh, indent=1, sort_keys=True, allow_nan=True)
            fh.write("\n")

    _atomic(path, write)


def load_json(path: str | os.PathLike) -> Any:
    """A JSON file; a truncated or corrupt one raises ``ValueError`` naming the file."""
    with open(path) as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"JSON file {path} is truncated or corrupt: {exc}") from exc
