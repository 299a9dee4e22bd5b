"""One FL run as one job: FedAvg rounds 1..R, resumable after the last complete round.

A killed ``train`` job (time limit, preemption) loses at most the round it was in:
each finished round is written, atomically, to a side folder next to the outputs
(``.rounds.partial/``, which Snakemake neither knows nor deletes when it reruns an
incomplete job), followed by a state file naming that round, the error-feedback memory of
a memory defence (every ``MEMORY_STATE_EVERY`` rounds only when it is large) and the global
random state. A rerun of the same run
(same model, defence, seed, training block, initial checkpoint and data file) starts
from there; the round files move to their outputs only when every round is done, so
no output looks complete before the job is.

Every draw of a round comes from generators seeded by (seed, round, client), so
the round checkpoint and the memory determine the rest of the run; the global
random state is restored as well, so a resumed job continues exactly where the
killed one stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from gialib import io
from gialib.data.imageset import ImageSet
from gialib.fl.server import MEMORY, TrainingConfig, load_checkpoint, saved, train_round
from gialib.runtime import to_cpu, to_device

log = logging.getLogger(__name__)

PARTIAL = ".rounds.partial"
STATE = "state.pt"
# A memory defence's state holds every client's unsent remainder (clients x model size: GBs
# for ResNet-34 and 100 clients); above this size it is saved every MEMORY_STATE_EVERY rounds
# only, so that writing it does not outlast the rounds (a kill then redoes up to that many).
MEMORY_STATE_BYTES = 2**30
MEMORY_STATE_EVERY = 10


def partial_dir(outputs: list[str]) -> Path:
    """The run's side folder: next to its round files (one FL run per folder)."""
    return Path(outputs[0]).parent / PARTIAL


def file_digest(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run_key(initial: str, data: str, defense: str, training: dict[str, Any], seed: int,
            rounds: int) -> dict[str, Any]:
    """What a resume state must match to be continued (anything else starts from round 1)."""
    return {"initial": file_digest(initial), "data": file_digest(data), "defense": defense,
            "training": json.dumps(training, sort_keys=True), "seed": int(seed), "rounds": int(rounds)}


def _nbytes(tensors: dict[int, dict[str, torch.Tensor]]) -> int:
    return sum(t.numel() * t.element_size() for per_client in tensors.values()
               for t in per_client.values())


def _rng_state() -> dict[str, Any]:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"cpu": torch.get_rng_state(), "cuda": list(cuda)}


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if state["cuda"] and torch.cuda.is_available():
        if len(state["cuda"]) != torch.cuda.device_count():
            raise ValueError(f"resume state was saved with {len(state['cuda'])} CUDA device(s), "
                             f"this job sees {torch.cuda.device_count()}")
        torch.cuda.set_rng_state_all(state["cuda"])


def _resume(folder: Path, key: dict[str, Any], device) -> tuple[int, dict[str, Any] | None]:
    """(last complete round, its checkpoint dict) of a matching resume state, else (0, None)."""
    state_file = folder / STATE
    if not state_file.is_file():
        return 0, None
    state = io.load_pt(state_file, kind="training resume state", required=("key", "round", "rng"))
    if state["key"] != key:
        log.warning("resume state %s belongs to another run (config, initial model or data "
                    "changed): starting from round 1", state_file)
        return 0, None
    done = int(state["round"])
    ckpt = io.load_pt(folder / f"round~{done}.pt", kind="checkpoint")
    if state.get(MEMORY) is not None:
        ckpt[MEMORY] = to_device(state[MEMORY], device)
    _set_rng_state(state["rng"])
    return done, ckpt


def train_rounds(outputs: list[str], initial: str, data_file: str, data: ImageSet,
                 norm: dict[str, Any], training: dict[str, Any], defense: str, seed: int,
                 device: torch.device | str = "cpu") -> None:
    """FedAvg rounds 1..len(outputs) from the round-0 checkpoint ``initial``, on ``device``;
    round r's checkpoint (on the CPU) to ``outputs[r - 1]``."""
    cfg = TrainingConfig.from_config(training)
    folder = partial_dir(outputs)
    key = run_key(initial, data_file, defense, training, seed, len(outputs))
    done, resumed = _resume(folder, key, device)
    ckpt: str | dict[str, Any] = initial if resumed is None else resumed
    if resumed is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        log.info("resuming %s after round %d of %d (%s)", folder.parent, done, len(outputs), folder)
    model, _ = load_checkpoint(ckpt, device)  # built and moved once; each round loads into it
    for rnd in range(done + 1, len(outputs) + 1):
        ckpt = train_round(ckpt, data, norm, cfg, defense, rnd, seed, device, model)
        # The round first, then the state naming it: a kill between the two redoes one round.
        io.save_pt(saved(ckpt), folder / f"round~{rnd}.pt")
        memory = ckpt.get(MEMORY)
        if memory is not None and _nbytes(memory) > MEMORY_STATE_BYTES and rnd % MEMORY_STATE_EVERY:
            continue
        io.save_pt({"key": key, "round": rnd, "rng": _rng_state(),
                    MEMORY: None if memory is None else to_cpu(memory)}, folder / STATE)
    # Linked, not moved: a kill while the outputs appear leaves every round in the side folder
    # (Snakemake deletes the outputs of the incomplete job; its rerun links them again).
    for rnd, output in enumerate(outputs, start=1):
        tmp = Path(output).with_name(f".{Path(output).name}.linking")
        tmp.unlink(missing_ok=True)
        os.link(folder / f"round~{rnd}.pt", tmp)
        os.replace(tmp, output)
    shutil.rmtree(folder)
