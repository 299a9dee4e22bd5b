"""Table II's known-B adversary is granted B, U and lr: not which images or labels share a
mini-batch, nor the client's order. Two clients holding the same images in different orders
share different updates, but the adversary's mini-batches (of labels) must be the same for both."""

import torch

import gialib.attacks.run as run_module
from gialib.attacks.problem import InversionProblem, adversary_batch_order
from gialib.attacks.run import run_attack
from gialib.attacks.spec import AttackSpec
from gialib.data import Split
from gialib.fl.client import client_update
from gialib.fl.server import initial_checkpoint, load_checkpoint
from gialib.fl.update import ClientUpdate
from gialib.io import save_pt

N, B = 6, 2


class _Spy(InversionProblem):
    """Records the label mini-batches the adversary's simulation deals (first call)."""

    seen: list[list[list[int]]] = []

    def simulate(self, x, y, record_bn=False):
        if len(_Spy.seen) < _Spy.calls:
            order = self.batch_order if self.batch_order is not None else torch.arange(len(y))
            _Spy.seen.append([sorted(b.tolist()) for b in torch.split(y[order], B)])
        return super().simulate(x, y, record_bn)


def _adversary_batches(small_set, tmp_path, monkeypatch, permutation):
    """The label batches of the known-B adversary attacking a client whose N images come in
    ``permutation``'s order (and the client's own label batches)."""
    norm = {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
    ckpt = initial_checkpoint("convnet+width=4", small_set, norm, 0, "none")
    save_pt(ckpt, tmp_path / "ck.pt")
    model, _ = load_checkpoint(tmp_path / "ck.pt")
    idx = small_set.indices(Split.private)[::8][:N][permutation]
    x, y = small_set.floats(idx), small_set.labels[idx]
    update, _ = client_update(model, x, y, protocol="fedavg", batch_size=B, local_updates=N // B,
                              lr=0.1, seed=0)
    update.model, update.round = ckpt["model"], 0
    ClientUpdate.save_trials([update], tmp_path / "u.pt")
    spec = AttackSpec.from_dict({"iterations": 1, "log_every": 1,
                                 "threat": {"labels": "given", "knows_batch_size": True}})
    _Spy.seen, _Spy.calls = [], 1
    monkeypatch.setattr(run_module, "InversionProblem", _Spy)
    run_attack(str(tmp_path / "u.pt"), 0, str(tmp_path / "ck.pt"), spec, seed=7,
               device=torch.device("cpu"))
    client = [sorted(b.tolist()) for b in torch.split(y, B)]
    return _Spy.seen[0], client, update


def test_client_order_does_not_reach_the_known_b_adversary(small_set, tmp_path, monkeypatch):
    first = _adversary_batches(small_set, tmp_path, monkeypatch, torch.arange(N))
    second = _adversary_batches(small_set, tmp_path, monkeypatch, torch.tensor([5, 3, 1, 4, 0, 2]))
    (adv_a, client_a, update_a), (adv_b, client_b, update_b) = first, second
    # The clients' batches differ (so a leak of their order would show) and so do their updates ...
    assert client_a != client_b
    weight = "net.features.0.weight"
    assert not torch.allclose(update_a.tensors[weight], update_b.tensors[weight])
    # ... but the adversary deals the same label batches for both: its own order, its given labels
    # as a multiset, nothing of the client's order.
    assert adv_a == adv_b
    assert sorted(sum(adv_a, [])) == sorted(sum(client_a, []))  # the same labels, dealt its own way


def test_adversary_batch_order_is_seeded_and_checked():
    assert torch.equal(adversary_batch_order(10, 3), adversary_batch_order(10, 3))
    assert not torch.equal(adversary_batch_order(10, 3), adversary_batch_order(10, 4))
    assert sorted(adversary_batch_order(10, 3).tolist()) == list(range(10))
