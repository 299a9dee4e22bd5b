"""The attacked client's BatchNorm mode: batch statistics (train) or running statistics (eval)."""

import pytest
import torch

from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import ThreatSpec
from gialib.data import Split
from gialib.fl.client import client_update
from gialib.fl.local import set_bn_mode
from tests.conftest import make_model


def _bn_model():
    """A ConvNet with BatchNorm and dropout whose running statistics are not the init's."""
    model = make_model("convnet+width=4+bn=true+dropout=0.5")
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model


def _batch(data, n):
    idx = data.indices(Split.private)[:n]
    return data.floats(idx), data.labels[idx]


@pytest.mark.parametrize("protocol,batch_size,updates", [("fedsgd", 3, 1), ("fedavg", 1, 3)])
def test_eval_mode_simulation_reproduces_update(small_set, protocol, batch_size, updates):
    model = _bn_model()
    x, y = _batch(small_set, 3)
    update, buffers = client_update(model, x, y, protocol=protocol, batch_size=batch_size,
                                    local_updates=updates, lr=0.1, seed=0, bn_mode="eval")
    assert update.bn_mode == "eval"
    # running statistics are read, not updated
    state = model.state_dict()
    assert all(torch.equal(buffers[k], state[k]) for k in buffers if "running" in k)
    problem = InversionProblem(model, update, ThreatSpec(knows_batch_size=True))
    torch.manual_seed(0)  # the client's dropout masks (client_update seeds them with 0)
    simulated, _ = problem.simulate(x, y)
    for s, t in zip(simulated, problem.target, strict=True):
        torch.testing.assert_close(s.detach(), t, rtol=1e-5, atol=1e-6)


def test_batch_statistics_hide_contrast(small_set):
    """With batch statistics the gradient is blind to a contrast change around the model's input
    mean (0.5 here), x -> 0.5 + a (x - 0.5); with running statistics it is not."""
    model = _bn_model()
    x, y = _batch(small_set, 1)
    grads = {}
    for mode in ("train", "eval"):
        for name, inp in (("x", x), ("ax+c", 0.5 + 0.3 * (x - 0.5))):
            u, _ = client_update(model, inp, y, protocol="fedsgd", batch_size=1, local_updates=1,
                                 lr=0.1, seed=0, bn_mode=mode)
            grads[mode, name] = torch.cat([t.flatten() for t in u.tensors.values()])
    rel = {m: float((grads[m, "x"] - grads[m, "ax+c"]).norm() / grads[m, "x"].norm())
           for m in ("train", "eval")}
    assert rel["train"] < 1e-3 and rel["eval"] > 0.05, rel  # (BatchNorm's eps: not exactly 0)


def test_set_bn_mode_keeps_dropout_active():
    model = set_bn_mode(_bn_model(), "eval")
    kinds = {type(m).__name__: m.training for m in model.modules()}
    assert kinds["Dropout"] and not kinds["BatchNorm2d"]
    with pytest.raises(ValueError, match="bn_mode"):
        set_bn_mode(model, "frozen")



@pytest.mark.parametrize("bn_mode", ["train", "eval"])
def test_attacked_client_differs_from_the_run_only_by_bn_mode(small_set, bn_mode):
    """The FL run's clients train with batch statistics (``server.RUN_BN_MODE``); the attacked
    client with ``client.bn_mode``. Set up so that every other convention coincides (one client
    holding the whole private split, one full batch per epoch so the victim's draw order cannot
    matter, no dropout, client lr = training lr): with ``train`` the captured update is the one
    that client sent in round 1 of the run; with ``eval`` it is not, so the named setting is the
    only difference."""
    from gialib.fl.capture import capture
    from gialib.fl.server import RUN_BN_MODE, TrainingConfig, client_shards, initial_checkpoint, train_round
    from gialib.fl.update import ClientConfig

    norm = {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
    training = TrainingConfig(rounds=1, num_clients=1, clients_per_round=1, epochs=2, batch_size=48,
                              lr=0.05, shuffle=False)
    (shard,) = client_shards(small_set, training, 0)
    n = len(shard)
    assert n == training.batch_size == 48 and RUN_BN_MODE == "train"
    r0 = initial_checkpoint("convnet+bn=true+width=4", small_set, norm, 0, "none")
    r1 = train_round(r0, small_set, norm, training, "none", 1, 0)  # the one client's delta, averaged alone
    update, _ = capture(r0, small_set, training, protocol="fedavg", num_examples=n, batch_size=n,
                        local_updates=training.epochs, trial=0, seed=0,
                        client=ClientConfig(lr=training.lr, shuffle=False, bn_mode=bn_mode))
    names = list(update.tensors)
    mine = torch.cat([update.tensors[k].flatten() for k in names])
    sent = torch.cat([(r1["state_dict"][k] - r0["state_dict"][k]).flatten() for k in names])
    gap = float((mine - sent).norm() / sent.norm())
    if bn_mode == "train":
        assert gap < 1e-4, gap  # float summation order only (1.8e-5): the victim's images come permuted
    else:
        assert gap > 0.05, gap  # (0.99 here)
