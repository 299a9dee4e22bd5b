"""Digests of a miniature run's result files, for the before/after comparison of a refactoring.

``python -m tests.golden RESULTS_DIR...`` prints the digests as JSON (how
``tests/data/golden.json`` was made, at the commit named in that file). What a
digest covers:

- CSV tables (``results/tables/*.csv``): one sha256 per column (its values as CSV
  text, in row order), so a column that a refactoring removes or renames is
  compared by name through an explicit map, not hidden in one file hash.
- score JSONs and attack ``.pt`` records: one sha256 of the canonical content. A target's
  score file (``score/{target}.json``) holds each attack file's scores; each is digested
  under the per-cell name a score file had before (``score/<client>/{attack}/trials~T.json``,
  the attack file's path there). An attack
  job's file holds every trial of its cell (``.../{attack}/trials~T.pt``, issue 15); each
  trial's record is digested under the per-trial name it had before
  (``.../{attack}/trial~t.pt``), so a record that changed shows as that trial's.

Left out everywhere, because they are not results: wall-clock times (keys and
columns named ``*seconds``) and the LPIPS status text (it names a path on the
machine that ran it).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
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

    def add(name: str, record: Any, what: str) -> None:
        digest = _sha(_canonical(record))
        # Two targets' files may hold one record (trials~3 and trials~4 of a cell; one attack
        # file scored by two targets): they must hold it alike.
        if files.setdefault(translate(name), digest) != digest:
            raise ValueError(f"{name} differs between the {what} files that hold it")

    for p in sorted((results / "score").rglob("*.json")):
        for name, record in score_records(p.relative_to(results), json.loads(p.read_text())):
            add(name, record, "score")
    for p in sorted((results / "attack").rglob("*.pt")):
        for name, record in attack_records(p.relative_to(results), torch.load(p, weights_only=True)):
            add(name, record, "attack")
    return {"tables": tables, "files": files}


def score_records(path: Path, obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(per-cell name, record) of a score file: itself in the layout of one score file per
    cell; each attack file's entry of a target's file (``{"attacks": {path: record}}``) under
    the name its cell's own score file had (``results/attack/X.pt`` -> ``score/X.json``)."""
    if "attacks" not in obj:
        return [(str(path), obj)]
    out = []
    for attack, record in obj["attacks"].items():
        rel = Path(attack).relative_to("results/attack")
        out.append((str(Path("score") / rel.with_suffix(".json")), record))
    return out


_TRIALS_FILE = re.compile(r"^(?P<dir>.*)/trials~(?P<trials>\d+)\.pt$")


def attack_records(path: Path, obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(per-trial name, record) of an attack file: one record per file in the layout of one
    job per trial, every trial of ``trials~T.pt`` under ``trial~t.pt`` in the layout of one
    job per cell (trial t of a T-trial file equals the old file of trial t)."""
    m = _TRIALS_FILE.match(str(path))
    if m is None:
        return [(str(path), obj)]
    records = obj["trials"]
    if len(records) != int(m["trials"]):
        raise ValueError(f"{path} holds {len(records)} trial(s), not {m['trials']}")
    return [(f"{m['dir']}/trial~{t}.pt", record) for t, record in enumerate(records)]


if __name__ == "__main__":
    print(json.dumps({Path(d).name: digests(Path(d) / "results") for d in sys.argv[1:]},
                     indent=1, sort_keys=True))
