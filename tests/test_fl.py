import pytest
import torch

from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import ThreatSpec
from gialib.data import Split
from gialib.fl import batch_schedule, fedavg
from gialib.fl.client import client_update
from gialib.fl.local import gradient, split_state
from gialib.fl.server import TrainingConfig, initial_checkpoint, load_checkpoint, train_round
from gialib.fl.update import ClientUpdate
from gialib.io import save_pt
from tests.conftest import make_model


def _batch(data, n, start=0):
    idx = data.indices(Split.private)[start: start + n]
    return data.floats(idx), data.labels[idx]


def test_batch_schedule_epochs_and_truncation():
    steps = batch_schedule(5, 2, 7)
    assert [s.tolist() for s in steps] == [[0, 1], [2, 3], [4], [0, 1], [2, 3], [4], [0, 1]]
    with pytest.raises(ValueError, match="batch_size=6"):
        batch_schedule(5, 6, 1)


def test_fedavg_one_update_is_minus_lr_times_gradient(small_set):
    model = make_model()
    x, y = _batch(small_set, 4)
    lr = 0.05
    avg, _ = client_update(model, x, y, protocol="fedavg", batch_size=4, local_updates=1, lr=lr, seed=0)
    sgd, _ = client_update(model, x, y, protocol="fedsgd", batch_size=4, local_updates=1, lr=lr, seed=0)
    assert avg.kind == "model_update" and sgd.kind == "gradient"
    for name, g in sgd.tensors.items():
        torch.testing.assert_close(avg.tensors[name], -lr * g, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("spec", ["convnet+width=8", "convnet+width=8+bn=true"])
def test_known_batch_size_simulation_reproduces_update(small_set, spec):
    """The adversary's unrolled simulation at the true data equals the shared update (1e-5)."""
    model = make_model(spec)
    x, y = _batch(small_set, 6)
    update, _ = client_update(model, x, y, protocol="fedavg", batch_size=2, local_updates=5,
                              lr=0.1, seed=0)
    problem = InversionProblem(model, update, ThreatSpec(knows_batch_size=True))
    simulated, _ = problem.simulate(x, y)
    for s, t in zip(simulated, problem.target, strict=True):
        torch.testing.assert_close(s.detach(), t, rtol=1e-5, atol=1e-5)


def test_unknown_batch_size_is_one_full_batch_step(small_set):
    model = make_model()
    x, y = _batch(small_set, 4)
    update, _ = client_update(model, x, y, protocol="fedavg", batch_size=2, local_updates=4, lr=0.1, seed=0)
    problem = InversionProblem(model, update, ThreatSpec(knows_batch_size=False))
    simulated, _ = problem.simulate(x, y)
    params, buffers = split_state(model)
    g = gradient(model, params, buffers, x, y)
    for name, s in zip(problem.names, simulated, strict=True):
        torch.testing.assert_close(s.detach(), -0.1 * g[name], rtol=1e-5, atol=1e-7)


def test_fedsgd_attacker_gradient_and_bn_statistics_match_at_truth(small_set):
    model = make_model("convnet+width=8+bn=true")
    x, y = _batch(small_set, 3)
    update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=3, local_updates=1, lr=0.1, seed=0)
    assert len(update.bn_statistics) == 4
    problem = InversionProblem(model, update, ThreatSpec(bn_statistics=True))
    simulated, stats = problem.simulate(x, y, record_bn=True)
    for s, t in zip(simulated, problem.target, strict=True):
        torch.testing.assert_close(s.detach(), t)
    for (m, v), (mc, vc) in zip(stats, update.bn_statistics, strict=True):
        torch.testing.assert_close(m.detach(), mc)
        torch.testing.assert_close(v.detach(), vc)


def test_fedsgd_rejects_minibatches(small_set):
    x, y = _batch(small_set, 4)
    with pytest.raises(ValueError, match="fedsgd shares one full-batch gradient"):
        client_update(make_model(), x, y, protocol="fedsgd", batch_size=2, local_updates=1, lr=0.1, seed=0)


def test_fedavg_aggregation_is_weighted_mean():
    a = {"w": torch.tensor([1.0, 2.0])}
    b = {"w": torch.tensor([3.0, 6.0])}
    out = fedavg([a, b], [1, 3])
    torch.testing.assert_close(out["w"], torch.tensor([2.5, 5.0]))
    with pytest.raises(ValueError, match="different tensor names"):
        fedavg([a, {"v": torch.zeros(2)}], [1, 1])


def test_update_file_roundtrip_and_corruption(tmp_path, small_set):
    """A capture file holds every trial; each reads back alone, an absent trial is named."""
    updates = []
    for n in (1, 2):
        x, y = _batch(small_set, n)
        updates.append(client_update(make_model(), x, y, protocol="fedsgd", batch_size=n,
                                     local_updates=1, lr=0.1, seed=0)[0])
    ClientUpdate.save_trials(updates, tmp_path / "u.pt")
    back = ClientUpdate.load(tmp_path / "u.pt", 1)
    assert back.num_examples == 2 and torch.equal(back.labels, y)
    for k, v in updates[1].tensors.items():
        assert torch.equal(back.tensors[k], v), k
    assert [u.num_examples for u in ClientUpdate.load_trials(tmp_path / "u.pt")] == [1, 2]
    with pytest.raises(ValueError, match=r"u.pt holds trials 0..1, not trial 2"):
        ClientUpdate.load(tmp_path / "u.pt", 2)
    (tmp_path / "bad.pt").write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match="bad.pt is corrupt"):
        ClientUpdate.load(tmp_path / "bad.pt", 0)


def test_training_rounds_are_deterministic_and_learn(tmp_path, small_set):
    norm = {"mean": [0.5] * 3, "std": [0.25] * 3}
    cfg = TrainingConfig(rounds=3, num_clients=4, clients_per_round=2, epochs=2, batch_size=4, lr=0.1)
    save_pt(initial_checkpoint("convnet+width=8", small_set, norm, 0, "none"), tmp_path / "r0.pt")
    accs = []
    for r in (1, 2, 3):
        ck = train_round(str(tmp_path / f"r{r - 1}.pt"), small_set, norm, cfg, "none", r, 0)
        save_pt(ck, tmp_path / f"r{r}.pt")
        accs.append(ck["metrics"]["test_accuracy"])
    again = train_round(str(tmp_path / "r0.pt"), small_set, norm, cfg, "none", 1, 0)
    first, _ = load_checkpoint(tmp_path / "r1.pt")
    for k, v in first.state_dict().items():
        assert torch.equal(v, again["state_dict"][k])
    assert accs[-1] > 0.25  # better than chance on 4 classes
    # The train rule chains rounds in memory: the same models as through the files.
    chained = str(tmp_path / "r0.pt")
    for r in (1, 2, 3):
        chained = train_round(chained, small_set, norm, cfg, "none", r, 0)
    last, _ = load_checkpoint(tmp_path / "r3.pt")
    for k, v in last.state_dict().items():
        assert torch.equal(v, chained["state_dict"][k]), k
    with pytest.raises(ValueError, match="previous round is round 3, expected 2"):
        train_round(chained, small_set, norm, cfg, "none", 3, 0)
    with pytest.raises(ValueError, match="is round 0, expected 1"):
        train_round(str(tmp_path / "r0.pt"), small_set, norm, cfg, "none", 2, 0)


def test_error_feedback_keeps_client_memory_within_the_run(tmp_path, small_set):
    norm = {"mean": [0.5] * 3, "std": [0.25] * 3}
    cfg = TrainingConfig(rounds=2, num_clients=4, clients_per_round=2, epochs=1, batch_size=4, lr=0.1)
    spec = "topk+ratio=0.05+memory=true"
    r0 = initial_checkpoint("convnet+width=8", small_set, norm, 0, spec)
    r1 = train_round(r0, small_set, norm, cfg, spec, 1, 0)
    assert sorted(r1["memory"]) == r1["clients"] and all(
        any(v.abs().sum() > 0 for v in res.values()) for res in r1["memory"].values())
    plain = train_round(r0, small_set, norm, cfg, "topk+ratio=0.05", 1, 0)
    for k, v in plain["state_dict"].items():  # round 1: no memory yet, the same model
        assert torch.equal(v, r1["state_dict"][k]), k
    r2 = train_round(r1, small_set, norm, cfg, spec, 2, 0)
    assert set(r2["memory"]) >= set(r2["clients"])
    save_pt({k: v for k, v in r1.items() if k != "memory"}, tmp_path / "r1.pt")
    with pytest.raises(ValueError, match="must follow round 1 in the same process"):
        train_round(str(tmp_path / "r1.pt"), small_set, norm, cfg, spec, 2, 0)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    p = tmp_path / "round~1.pt"
    p.write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"checkpoint file .*round~1.pt is corrupt"):
        load_checkpoint(p)


def test_checkpoint_with_arbitrary_pickle_is_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    p = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, p, pickle_module=pickle)
    with pytest.raises(ValueError, match="not a safe torch file"):
        load_checkpoint(p)
