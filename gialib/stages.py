"""File-level entry points of the pipeline stages: inputs in, outputs out, one library call.

Each ``workflow_scripts/*.py`` calls exactly one of these with the paths and the
config slice its rule passes. They are plain functions, so a stage can be rerun
by hand (``python -c "from gialib import stages; stages.attack(...)"``). Each
imports what it needs on use: a job pays only for its own stage's imports
(pandas, matplotlib or torchvision cost seconds per job otherwise).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from gialib import io, runtime

log = logging.getLogger(__name__)


def prepare_data(output: str, name: str, spec: dict[str, Any], resolution: int, seed: int) -> None:
    """Dataset ``name`` at ``resolution``; ``spec`` from ``views.dataset_spec`` (an entry or a view)."""
    from gialib.data.imageset import save_imageset
    from gialib.data.views import prepare_dataset

    save_imageset(prepare_dataset(name, spec, resolution, seed), output)


def train(outputs: list[str], data: str, initial: str | None, model: str, defense: str,
          training: dict[str, Any], seed: int, device: str = "cpu", threads: int = 1) -> None:
    """The FL run's global model per round, computed on ``device``. Without ``initial``: round 0,
    the seeded initial model (``outputs`` is its one file). With it: FedAvg rounds 1, 2, ...
    from that round-0 checkpoint, one file per round in ``outputs``, resumed after the last
    complete round if a previous job of the same run was killed (``fl.run.train_rounds``)."""
    from gialib.data.imageset import load_imageset
    from gialib.fl.run import train_rounds
    from gialib.fl.server import initial_checkpoint

    dev = runtime.setup(threads, device)
    images, norm = load_imageset(data)
    if initial is None:
        if len(outputs) != 1:
            raise ValueError(f"the initial model is one checkpoint, got {len(outputs)} outputs")
        io.save_pt(initial_checkpoint(model, images, norm, seed, defense, dev), outputs[0])
        return
    train_rounds(outputs, initial, data, images, norm, training, defense, seed, dev)


def igsa(output: str, checkpoint: str, data: str, cfg: dict[str, Any], bn_mode: str, seed: int,
         device: str, threads: int) -> None:
    """IGSA (Sec. 5.1.1) of a round's global model at a few private images (the same every round),
    with BatchNorm as in the attacked client's forward (``bn_mode``)."""
    import time

    import torch

    from gialib.data.imageset import Split, load_imageset
    from gialib.fl.server import load_checkpoint
    from gialib.metrics.igsa import IGSAConfig, igsa

    dev = runtime.setup(threads, device)
    conf = IGSAConfig.from_dict(cfg)
    images, _ = load_imageset(data)
    model, ckpt = load_checkpoint(checkpoint, dev)
    pool = images.indices(Split.private)
    if conf.num_inputs > len(pool):
        raise ValueError(f"igsa.num_inputs={conf.num_inputs} exceeds the {len(pool)} private images")
    idx = pool[torch.randperm(len(pool), generator=runtime.generator(seed, 41))[: conf.num_inputs]]
    start = time.perf_counter()
    out = igsa(model, images.floats(idx).to(dev), images.labels[idx].to(dev), conf,
               runtime.generator(seed, 42), bn_mode)
    out.update(seconds=time.perf_counter() - start, round=int(ckpt["round"]), model=ckpt["model"],
               indices=idx.tolist(), checkpoint=str(checkpoint), versions=runtime.versions())
    log.info("IGSA %.4g (sd %.3g over %d inputs) of %s round %d in %.1fs", out["igsa"],
             out["igsa_std"], conf.num_inputs, ckpt["model"], ckpt["round"], out["seconds"])
    io.save_json(out, output)


def capture(update_out: str, truth_out: str, checkpoint: str, data: str, protocol: str,
            num_examples: int, batch_size: int, local_updates: int, trials: int,
            client: dict[str, Any], training: dict[str, Any], seed: int, device: str = "cpu",
            threads: int = 1) -> None:
    """The victim's shared update and, apart, its ground truth, for trials 0 .. ``trials``-1;
    the client's training runs on ``device``, the files hold CPU tensors."""
    from gialib.data.imageset import load_imageset
    from gialib.fl.capture import capture as capture_update
    from gialib.fl.server import TrainingConfig, load_checkpoint
    from gialib.fl.update import ClientConfig, ClientUpdate

    if trials < 1:
        raise ValueError(f"capture needs at least one trial, got {trials}")
    dev = runtime.setup(threads, device)
    images, _ = load_imageset(data)
    cfg = TrainingConfig.from_config(training)
    loaded = load_checkpoint(checkpoint, dev)  # one model on the device for every trial
    updates, truths = [], []
    for trial in range(trials):
        update, truth = capture_update(checkpoint, images, cfg, protocol=protocol,
                                       num_examples=num_examples, batch_size=batch_size,
                                       local_updates=local_updates,
                                       client=ClientConfig.from_config(client), trial=trial, seed=seed,
                                       loaded=loaded)
        updates.append(update)
        truths.append(truth)
    log.info("captured %d trial(s) of %s round %d, %s N=%d B=%d U=%d", trials, updates[0].model,
             updates[0].round, protocol, num_examples, batch_size, local_updates)
    ClientUpdate.save_trials(updates, update_out)
    io.save_trials(truths, truth_out)


def defend(output: str, update: str, defense: str, seed: int) -> None:
    """Post-process every trial's captured update with ``defense`` (seeded per trial)."""
    from gialib.defenses import apply_defense, privacy_guarantee
    from gialib.defenses.base import global_norm
    from gialib.fl.update import ClientUpdate

    updates = ClientUpdate.load_trials(update)
    for trial, u in enumerate(updates):
        before = u.tensors
        u.tensors = apply_defense(defense, before, runtime.generator(seed, trial, 21))
        u.defense = defense
        nonzero = [sum(int((t != 0).sum()) for t in ts.values()) for ts in (before, u.tensors)]
        log.info("defend %s, trial %d: norm %.4g -> %.4g, nonzero entries %d -> %d", defense, trial,
                 global_norm(before), global_norm(u.tensors), *nonzero)
    log.info("privacy of %s: %s", defense, privacy_guarantee(defense))
    ClientUpdate.save_trials(updates, output)


def attack(output: str, update: str, checkpoint: str, spec: dict[str, Any], trials: int, seed: int,
           device: str, threads: int, generator: str | None = None) -> None:
    """Trials 0 .. ``trials``-1, in one process: reconstruct each trial's victim images from
    that trial's update in ``update``; ``output`` holds the records in trial order. Trial t is
    seeded as it always was, so each record does not depend on how many trials a job runs.
    ``generator``: the trained generator file a GIA-L attack (space latent) optimises over.

    A killed job resumes from ``<output>.state`` (its finished trials and the running trial's
    state), which is removed only after ``output`` is written."""
    from pathlib import Path

    from gialib.attacks.run import run_trials
    from gialib.attacks.spec import AttackSpec

    if trials < 1:
        raise ValueError(f"an attack job needs at least one trial, got {trials}")
    dev = runtime.setup(threads, device)
    state = f"{output}.state"
    records = run_trials(update, checkpoint, AttackSpec.from_dict(spec),
                         [runtime.derive_seed(seed, t, 31) for t in range(trials)], dev,
                         context={"generator_file": generator}, state_file=state)
    io.save_trials(records, output)
    Path(state).unlink(missing_ok=True)


def train_generator(output: str, curve_csv: str, curve_png: str, samples_png: str, data: str,
                    name: str, generators: dict[str, Any], seed: int, threads: int,
                    device: str = "cpu") -> None:
    """GIA-L's generator, trained on ``device`` on the public split of ``data`` (config
    ``generators.<name>``); its checkpoint holds CPU tensors."""
    import pandas as pd

    from gialib.data.imageset import load_imageset
    from gialib.generators.config import GeneratorConfig
    from gialib.generators.train import train_generator as train
    from gialib.plots.generator import curve_figure, samples_figure

    dev = runtime.setup(threads, device)
    cfg = GeneratorConfig.from_config({"generators": generators}, name)
    if cfg.pretrained is not None:
        raise ValueError(f"generators.{name} is pretrained: it is loaded by the attack, not trained")
    images, _ = load_imageset(data)
    if cfg.resolution is not None and images.resolution != cfg.resolution:
        raise ValueError(f"generators.{name} trains at {cfg.resolution} px, got {images.resolution} px data")
    if cfg.dataset is not None and images.name != cfg.dataset:
        raise ValueError(f"generators.{name} trains on dataset {cfg.dataset!r}, got {images.name!r}")
    ckpt = train(images, cfg, seed, dev)
    pd.DataFrame(ckpt["curve"]).to_csv(curve_csv, index=False)
    curve_figure(ckpt["curve"], ckpt["noise_mmd"], f"generator {name} on {images.name} "
                 f"(public split, {images.resolution}px)", curve_png)
    samples_figure(ckpt["public_examples"], ckpt["samples"], f"generator {name} ({cfg.architecture}) "
                   f"after {cfg.iterations} iterations", samples_png)
    io.save_pt(ckpt, output)


def score(output: str, attacks: list[str], truths: list[str], metrics: dict[str, Any],
          device: str = "cpu", threads: int = 1) -> None:
    """PSNR / SSIM / LPIPS of every trial's reconstruction in each attack file (an attack job's
    file, trials 0, 1, ...) against the trial-wise truth of its client cell (``truths``,
    pairwise); each trial's provenance is its attack record's. One file holds them all, keyed
    by attack file. LPIPS's network runs on ``device``; PSNR and SSIM on the CPU (a few images:
    not worth a copy)."""
    from gialib.metrics.lpips_metric import LPIPS, lpips_status
    from gialib.metrics.score import DeviceLPIPS, score_reconstruction

    if len(attacks) != len(truths):
        raise ValueError(f"score: {len(attacks)} attack file(s) but {len(truths)} truth file(s)")
    dev = runtime.setup(threads, device)
    available, status = lpips_status(metrics["lpips"], metrics["lpips_net"], metrics.get("lpips_weights"))
    lpips = (DeviceLPIPS(LPIPS(metrics["lpips_net"], metrics.get("lpips_weights")), dev)
             if available else None)
    if not available:
        log.warning(status)
    versions = runtime.versions()
    scores: dict[str, dict[str, list[dict[str, Any]]]] = {}
    start = time.perf_counter()
    for done, (attack, truth) in enumerate(zip(attacks, truths, strict=True), 1):
        out = []
        # the attack file is read once; the truth file (a capture's, which may hold more trials)
        # trial by trial
        records = io.load_trials(attack, kind="attack", required=("images", "labels", "spec", "update"))
        for trial, rec in enumerate(records):
            gt = io.load_trial(truth, trial, kind="truth", required=("images", "labels"))
            row = score_reconstruction(rec["images"], gt["images"], rec["labels"], gt["labels"], lpips,
                                       status)
            row["provenance"] = {
                "attack": rec["spec"], "attack_seed": rec["seed"], "attack_seconds": rec["seconds"],
                "attack_loss": rec["loss"], "update": rec["update"], "versions": versions}
            out.append(row)
        scores[attack] = {"trials": out}
        log.info("score %d/%d (%.1fs) %s: %s", done, len(attacks), time.perf_counter() - start, attack,
                 "; ".join(f"trial {t} PSNR {r['psnr']:.2f} dB, SSIM {r['ssim']:.3f}, LPIPS "
                           + (f"{r['lpips']:.4f}" if available else "n/a") for t, r in enumerate(out)))
    io.save_json({"attacks": scores}, output)


def aggregate(output: str, provenance_out: str, target: str, config: dict[str, Any]) -> None:
    """The target's table (results only: the same config gives the same bytes) and, apart, its
    run provenance (wall-clock times, machine paths) row by row."""
    from gialib.experiments import get_experiment
    from gialib.experiments.base import split_run_columns

    df, run = split_run_columns(get_experiment(target, config).collect(config))
    df.to_csv(output, index=False)
    run.to_csv(provenance_out, index=False)
    log.info("%s: %d rows -> %s (run provenance: %s)", target, len(df), output, provenance_out)


def figure(table: str, summary_out: str, figure_out: str, grid_out: str, finding_out: str,
           claims_out: str, target: str, config: dict[str, Any]) -> None:
    import pandas as pd

    from gialib.experiments import get_experiment

    exp = get_experiment(target, config)
    df = pd.read_csv(table)
    with open(summary_out, "w") as fh:
        fh.write(exp.summarize(df))
    exp.plot(df, figure_out)
    exp.grid(grid_out)
    with open(finding_out, "w") as fh:
        fh.write(exp.finding(df))
    exp.ledger(df).to_csv(claims_out, index=False)


def ledger(claims: list[str], markdown_out: str, table_out: str) -> None:
    """Every target's claims in one table (CSV) and as the report's opening Markdown page."""
    import pandas as pd

    from gialib.ledger import ledger_markdown, summary_counts

    frames = [pd.read_csv(path) for path in claims]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table.to_csv(table_out, index=False)
    with open(markdown_out, "w") as fh:
        fh.write("# Claims ledger\n\n" + summary_counts(table) + "\n" + ledger_markdown(table))
    log.info("ledger: %d claim(s) of %d target(s) -> %s", len(table), len(claims), markdown_out)


def provenance(config_out: str, versions_out: str, config: dict[str, Any]) -> None:
    """The validated config (defaults filled in) and the software versions of this run."""
    import yaml

    for path, obj in ((config_out, config), (versions_out, runtime.versions())):
        with open(path, "w") as fh:
            yaml.safe_dump(obj, fh, sort_keys=False)
