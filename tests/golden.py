"""Digests of a miniature run's result files, for the before/after comparison of a refactoring.

``python -m tests.golden RESULTS_DIR...`` prints the digests as JSON (how
``tests/data/golden.json`` was made, at the commit named in that file). What a
digest covers:

- CSV tables (``results/tables/*.csv``): one sha256 per column (its values as CSV
  text, in row order), so a column that a refactoring removes or renames is
  compared by name through an explicit map, not hidden in one file hash.
- score JSONs and attack ``.pt`` records: one sha256 of the canonical content.

Left out everywhere, because they are not results: wall-clock times (keys and
columns named ``*seconds``) and the LPIPS status text (it names a path on the
machine that ran it).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

# Keys and columns that hold timings or machine paths, never results.
VOLATILE_KEYS = ("seconds", "attack_seconds", "igsa_seconds", "lpips_status")


def _volatile(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in VOLATILE_KEYS or last.endswith("_seconds")


def _canonical(obj: Any) -> Any:
    """JSON-able form with volatile keys dropped and tensors as (dtype, shape, sha256 of bytes)."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))
                if not _volatile(str(k))}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        return {"dtype": str(t.dtype), "shape": list(t.shape),
                "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest()}
    if isinstance(obj, float):
        return repr(obj)
    return obj


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def column_digests(csv: Path, translate: Callable[[str], str] = str) -> dict[str, str]:
    """sha256 per column of a CSV (values as pandas writes them back, each passed through
    ``translate``), volatile columns left out."""
    df = pd.read_csv(csv, dtype=str, keep_default_na=False).map(translate)
    out = {}
    for col in df.columns:
        if _volatile(col):
            continue
        buf = io.StringIO()
        df[col].to_csv(buf, index=False, header=False)
        out[col] = hashlib.sha256(buf.getvalue().encode()).hexdigest()
    return out


def digests(results: Path, translate: Callable[[str], str] = str) -> dict[str, Any]:
    """{"tables": {relpath: {column: sha}}, "files": {relpath: sha}} of one run's ``results/``.

    ``translate`` maps each path and CSV value before it is digested (a comparison with a
    recording made before a rename maps the new names back to the old ones).
    """
    # A target's provenance file (wall-clock times, machine paths; issue 16) holds no result.
    tables = {translate(str(p.relative_to(results))): column_digests(p, translate)
              for p in sorted((results / "tables").glob("*.csv")) if not p.name.endswith(".provenance.csv")}
    files: dict[str, str] = {}
    for p in sorted((results / "score").rglob("*.json")):
        files[translate(str(p.relative_to(results)))] = _sha(_canonical(json.loads(p.read_text())))
    for p in sorted((results / "attack").rglob("*.pt")):
        files[translate(str(p.relative_to(results)))] = _sha(_canonical(torch.load(p, weights_only=True)))
    return {"tables": tables, "files": files}


if __name__ == "__main__":
    print(json.dumps({Path(d).name: digests(Path(d) / "results") for d in sys.argv[1:]},
                     indent=1, sort_keys=True))
