"""The private victims split (``victims_per_class``): disjoint from the clients', public and test
images; capture draws its victims there, paired across sweeps; views swap it; a config whose N
does not fit is an error naming the key; without the key nothing changes. Synthetic idx files."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from gialib.data import Split, prepare_imageset
from gialib.data.victims import check_victims
from gialib.data.views import dataset_spec, prepare_dataset
from gialib.fl.capture import victim_indices
from gialib.fl.server import TrainingConfig, client_shards
from gialib.runtime import generator
from tests.test_fashion_mnist import SPEC, _flat, _write_raw

TRAINING = TrainingConfig.from_config({"rounds": 1, "num_clients": 4, "clients_per_round": 4, "epochs": 1,
                                       "batch_size": 4, "lr": 0.1})


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("fm")
    _write_raw(path)
    return path


def _spec(root, **extra):
    return {**SPEC, "root": str(root), **extra}


def test_four_splits_are_disjoint_and_sized(root):
    data = prepare_imageset("fm", _spec(root, victims_per_class=3), 28, seed=0)
    sizes = {s: torch.bincount(data.labels[data.indices(s)], minlength=10).tolist() for s in Split}
    assert sizes == {Split.private: [10] * 10, Split.victims: [3] * 10, Split.public: [12] * 10,
                     Split.test: [4] * 10}
    sets = {s: _flat(data, s) for s in Split}
    for a in Split:
        for b in Split:
            if a < b:
                assert not sets[a] & sets[b], (a, b)
    # the clients train on the private split only: no shard holds a victim
    shards = torch.cat(client_shards(data, TRAINING, seed=0))
    assert set(shards.tolist()) == set(data.indices(Split.private).tolist())
    # the key adds a split, it does not redraw the clients' images
    before = prepare_imageset("fm", _spec(root), 28, seed=0)
    assert _flat(before, Split.private) == sets[Split.private]


def test_a_victim_never_copies_a_private_image(tmp_path):
    _write_raw(tmp_path, duplicate=True)  # class 0: every train image is one picture
    with pytest.raises(ValueError, match="victims_per_class = 3: class tshirt_top has only 0"):
        prepare_imageset("fm", _spec(tmp_path, victims_per_class=3), 28, seed=0)


def test_capture_draws_from_the_victims_split_paired_across_n_and_trials(root):
    data = prepare_imageset("fm", _spec(root, victims_per_class=3), 28, seed=0)
    pool = set(data.indices(Split.victims).tolist())
    for trial in range(3):
        idx = victim_indices(data, TRAINING, 8, trial, seed=0)
        assert set(idx.tolist()) <= pool and len(set(idx.tolist())) == 8
        # the same images whatever the training block (sweeps over U, B, rounds stay paired),
        # and trial t's first N images are the same for every N
        other = replace(TRAINING, num_clients=2, batch_size=1, epochs=3)
        assert torch.equal(victim_indices(data, other, 8, trial, seed=0), idx)
        assert torch.equal(victim_indices(data, TRAINING, 2, trial, seed=0), idx[:2])
    assert not torch.equal(victim_indices(data, TRAINING, 8, 0, 0), victim_indices(data, TRAINING, 8, 1, 0))
    with pytest.raises(ValueError, match="victims_per_class"):
        victim_indices(data, TRAINING, 31, 0, seed=0)


def test_without_the_key_victims_come_from_the_attacked_clients_shard(root):
    data = prepare_imageset("fm", _spec(root), 28, seed=0)
    assert data.victims_split() == Split.private and len(data.indices(Split.victims)) == 0
    shards = client_shards(data, TRAINING, seed=0)
    for trial in range(5):  # exactly the draw made before the victims split existed
        shard = shards[trial % len(shards)]
        expected = shard[torch.randperm(len(shard), generator=generator(0, trial, 5))[:3]]
        assert torch.equal(victim_indices(data, TRAINING, 3, trial, seed=0), expected)
    with pytest.raises(ValueError, match="exceeds the victim client's 25 images"):
        victim_indices(data, TRAINING, 26, 0, seed=0)


def test_views_swap_the_victims_split_and_keep_the_clients(root):
    datasets = {"fm": _spec(root, victims_per_class=3),
                "tex": {"source": "packaged", "classes": ["brick", "grass"], "private_per_class": 4,
                        "public_per_class": 0, "test_per_class": 1}}
    base = prepare_imageset("fm", datasets["fm"], 28, seed=0)
    for name, n_victims in (("fm+style=sketch", 30), ("fm+ood=tex", 8), ("fm+victims=trouser", 3)):
        view = prepare_dataset(name, dataset_spec(datasets, name), 28, seed=0)
        for split in (Split.private, Split.public, Split.test):  # the task and its clients: the base's
            assert _flat(view, split) == _flat(base, split), (name, split)
        assert len(view.indices(Split.victims)) == n_victims, name
        assert not _flat(view, Split.victims) & _flat(base, Split.private), name
        assert set(victim_indices(view, TRAINING, 2, 0, seed=0).tolist()) <= set(
            view.indices(Split.victims).tolist())
    trousers = prepare_dataset("fm+victims=trouser", dataset_spec(datasets, "fm+victims=trouser"), 28, 0)
    assert set(trousers.labels[trousers.indices(Split.victims)].tolist()) == {1}


def test_n_beyond_the_victims_split_is_a_config_error_naming_the_key():
    datasets = {"fm": {**SPEC, "victims_per_class": 2},
                "tex": {"source": "packaged", "classes": ["brick", "grass"], "private_per_class": 4,
                        "public_per_class": 0, "test_per_class": 1},
                "plain": {**SPEC}}
    check_victims(datasets, "fm", 20)
    with pytest.raises(ValueError, match=r"num_examples=21 exceeds the 20 .*fm.victims_per_class = 2 x 10"):
        check_victims(datasets, "fm", 21)
    with pytest.raises(ValueError, match=r"fm.victims_per_class = 2 \(one class\)"):
        check_victims(datasets, "fm+victims=trouser", 3)
    with pytest.raises(ValueError, match=r"tex.private_per_class = 4 x 2"):
        check_victims(datasets, "fm+ood=tex", 9)
    check_victims(datasets, "plain", 1000)  # no victims split: the capture stage checks the shard


def test_default_config_error_before_any_job():
    from gialib.config_check import ConfigError, check_config
    from tests.test_config import load

    cfg = load()
    check_config(cfg, enforce_lpips=False)
    cfg["experiments"]["tab2"]["num_examples"] = 120
    with pytest.raises(ConfigError, match="experiments.tab2.num_examples: .*victims_per_class"):
        check_config(cfg, enforce_lpips=False)
