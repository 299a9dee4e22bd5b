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


def load_pt(path: str | os.PathLike, *, kind: str = "artifact", required: tuple[str, ...] = ()) -> dict:
    """Load a ``.pt`` artifact safely; a missing, corrupt or incomplete file names itself."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip, truncated file, pickled objects
        raise ValueError(f"{kind} file {path} is corrupt or not a safe torch file: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{kind} file {path} holds {type(obj).__name__}, expected a dict")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{kind} file {path} lacks key(s) {missing}")
    return obj


def save_json(obj: Any, path: str | os.PathLike) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w") as fh:
            json.dump(obj, fh, indent=1, sort_keys=True, allow_nan=True)
            fh.write("\n")

    _atomic(path, write)


def load_json(path: str | os.PathLike) -> Any:
    with open(path) as fh:
        return json.load(fh)
