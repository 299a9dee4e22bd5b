"""Capture: the victim client's shared update at a given round, and (apart) its ground truth."""

from __future__ import annotations

import logging
from typing import Any

import torch

from gialib.data.imageset import ImageSet, Split
from gialib.fl.client import client_update
from gialib.fl.server import TrainingConfig, client_shards, load_checkpoint, model_device
from gialib.fl.update import ClientConfig, ClientUpdate
from gialib.models import Classifier
from gialib.runtime import derive_seed, generator, to_cpu

log = logging.getLogger(__name__)


def victim_indices(data: ImageSet, training: TrainingConfig, num_examples: int, trial: int,
                   seed: int) -> torch.Tensor:
    """Trial t's N victim images, drawn from the seed and t.

    From the set's ``victims`` split when it has one (images no FL round trains on, a
    ``datasets`` entry's ``victims_per_class``); otherwise from the private shard of client
    ``t mod num_clients``. The draw depends on neither the round nor the local training
    settings, so a sweep over U, B or rounds attacks the same images (paired comparisons);
    from the victims split, trial t's first N images are the same for every N.
    """
    if data.victims_split() == Split.victims:
        pool = data.indices(Split.victims)
        if num_examples > len(pool):
            raise ValueError(f"num_examples={num_examples} exceeds the {len(pool)} images of dataset "
                             f"{data.name}'s victims split; raise its victims_per_class")
        return pool[torch.randperm(len(pool), generator=generator(seed, trial, 7))[:num_examples]]
    shards = client_shards(data, training, seed)
    shard = shards[trial % len(shards)]
    if num_examples > len(shard):
        raise ValueError(f"num_examples={num_examples} exceeds the victim client's "
                         f"{len(shard)} images; lower it or training.num_clients")
    pick = torch.randperm(len(shard), generator=generator(seed, trial, 5))[:num_examples]
    return shard[pick]


def capture(checkpoint: str, data: ImageSet, training: TrainingConfig, *, protocol: str,
            num_examples: int, batch_size: int, local_updates: int, client: ClientConfig,
            trial: int, seed: int, device: torch.device | str = "cpu",
            loaded: tuple[Classifier, dict[str, Any]] | None = None,
            ) -> tuple[ClientUpdate, dict[str, Any]]:
    """The update the victim shares at the checkpoint's round, and the truth for scoring.

    The client's training runs on ``device`` (or where ``loaded``, the checkpoint's model and
    metadata as ``load_checkpoint`` returned them, lives: one load for every trial); the update
    and the truth are returned on the CPU.
    """
    model, ckpt = loaded if loaded is not None else load_checkpoint(checkpoint, device)
    dev = model_device(model)
    idx = victim_indices(data, training, num_examples, trial, seed)
    x, y = data.floats(idx), data.labels[idx]
    update, _ = client_update(model, x.to(dev), y.to(dev), protocol=protocol, batch_size=batch_size,
                              local_updates=local_updates, lr=client.lr, shuffle=client.shuffle,
                              seed=derive_seed(seed, trial, 6), bn_mode=client.bn_mode)
    update.tensors = to_cpu(update.tensors)
    update.labels = update.labels.cpu()
    update.bn_statistics = to_cpu(update.bn_statistics)
    update.model = ckpt["model"]
    update.round = int(ckpt["round"])
    update.meta = {"checkpoint": str(checkpoint), "trial": trial, "dataset": data.name,
                   "resolution": data.resolution, "num_classes": data.num_classes}
    log.info("captured %s update of %d images (B=%d, U=%d, lr=%g) at round %d, labels %s",
             protocol, num_examples, batch_size, local_updates, client.lr, update.round, y.tolist())
    truth = {"images": x, "labels": y, "indices": idx}
    return update, truth
