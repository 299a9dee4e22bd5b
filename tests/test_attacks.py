import pytest
import torch

from gialib.attacks.engine import invert
from gialib.attacks.labels import idlg, infer_labels, restore_batch_labels
from gialib.attacks.params import PixelParam
from gialib.attacks.problem import InversionProblem
from gialib.attacks.run import run_attack
from gialib.attacks.spec import AttackSpec, ThreatSpec
from gialib.data import Split
from gialib.fl.client import client_update
from gialib.fl.server import initial_checkpoint, load_checkpoint
from gialib.fl.update import ClientUpdate
from gialib.io import save_pt
from gialib.metrics import psnr
from gialib.models import classifier_layer
from tests.conftest import make_model


def test_gia_o_recovers_default_image_from_fedsgd_gradient(default_set, tmp_path):
    """GIA-O with TV on a 32x32 embedded image, FedSGD gradient of a small ConvNet."""
    norm = {"mean": [0.45, 0.37, 0.34], "std": [0.32, 0.26, 0.27]}
    ckpt = initial_checkpoint("convnet", default_set, norm, 0, "none")
    save_pt(ckpt, tmp_path / "ck.pt")
    model, _ = load_checkpoint(tmp_path / "ck.pt")  # the victim's model = the attacker's
    spec = AttackSpec.from_dict({"priors": {"tv": 0.05}, "iterations": 300, "lr": 0.1, "log_every": 300})
    scores = []
    for i in (0, 37, 74):  # three victims from different photographs
        idx = default_set.indices(Split.private)[i: i + 1]
        x, y = default_set.floats(idx), default_set.labels[idx]
        update, _ = client_update(model, x, y, protocol="fedsgd", batch_size=1, local_updates=1,
                                  lr=0.1, seed=0)
        update.model, update.round = ckpt["model"], 0
        ClientUpdate.save_trials([update], tmp_path / "u.pt")
        out = run_attack(str(tmp_path / "u.pt"), 0, str(tmp_path / "ck.pt"), spec, seed=0,
                         device=torch.device("cpu"))
        assert out["labels"].tolist() == y.tolist()  # iDLG
        scores.append(float(psnr(out["images"], x)))
    assert min(scores) > 20 and sum(scores) / 3 > 25, scores


def test_idlg_exact_for_one_sample(small_set):
    model = make_model()
    weight, bias = classifier_layer(model)
    for i in range(6):
        idx = small_set.indices(Split.private)[i * 7: i * 7 + 1]
        x, y = small_set.floats(idx), small_set.labels[idx]
        for protocol in ("fedsgd", "fedavg"):
            u, _ = client_update(model, x, y, protocol=protocol, batch_size=1, local_updates=1,
                                 lr=0.1, seed=0)
            assert infer_labels(u, weight, None).tolist() == y.tolist()  # weight rows only
            assert infer_labels(u, weight, bias).tolist() == y.tolist()


def test_batch_label_restoration_exact_for_distinct_labels(small_set):
    """Untrained model (p ~ uniform), distinct labels: present classes are exactly the negative ones."""
    model = make_model()
    weight, bias = classifier_layer(model)
    private = small_set.indices(Split.private)
    labels = small_set.labels[private]
    idx = torch.stack([private[labels == c][0] for c in (0, 2, 3)])
    x, y = small_set.floats(idx), small_set.labels[idx]
    u, _ = client_update(model, x, y, protocol="fedsgd", batch_size=3, local_updates=1, lr=0.1, seed=0)
    assert infer_labels(u, weight, bias).tolist() == sorted(y.tolist())


def test_batch_label_counts_with_repeats():
    """LLG-style counts: a class with twice the signal gets two slots."""
    signal = torch.tensor([-0.2, 0.1, -0.4, 0.05], dtype=torch.float64)
    assert restore_batch_labels(signal, 3).tolist() == [0, 2, 2]
    assert idlg(signal).tolist() == [2]


def test_attack_spec_validation():
    with pytest.raises(ValueError, match="unknown attack key"):
        AttackSpec.from_dict({"iterationz": 3})
    with pytest.raises(ValueError, match="bn prior needs threat.bn_statistics"):
        AttackSpec.from_dict({"priors": {"bn": 0.1}})
    with pytest.raises(ValueError, match="threat.labels"):
        ThreatSpec(labels="guess")


def test_restarts_keep_the_best_and_are_seeded(small_set):
    model = make_model()
    idx = small_set.indices(Split.private)[:1]
    x, y = small_set.floats(idx), small_set.labels[idx]
    u, _ = client_update(model, x, y, protocol="fedsgd", batch_size=1, local_updates=1, lr=0.1, seed=0)
    spec = AttackSpec(iterations=20, restarts=3, log_every=10)
    runs = []
    for _ in range(2):
        problem = InversionProblem(model, u, spec.threat)
        runs.append(invert(problem, PixelParam(tuple(x.shape), {}, {}), y, spec, seed=1))
    assert torch.equal(runs[0].images, runs[1].images)
    assert len(runs[0].history) == 3 * 2
    assert runs[0].images.min() >= 0 and runs[0].images.max() <= 1  # box constraint


def test_cosine_objective_matches_the_plain_formula_in_value_and_gradient():
    """The hand-written backward of the cosine objective is the gradient of 1 - cos."""
    from gialib.attacks.objectives import CosineObjective

    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3, 3, 3), (4,), (10, 16)]
    target = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    simulated = [torch.randn(s, generator=gen, dtype=torch.float64, requires_grad=True) for s in shapes]
    fused = CosineObjective(target)(simulated)
    fused_grads = torch.autograd.grad(fused, simulated)

    flat_s = torch.cat([s.reshape(-1) for s in simulated])
    flat_t = torch.cat([t.reshape(-1) for t in target])
    plain = 1 - torch.nn.functional.cosine_similarity(flat_s, flat_t, dim=0, eps=0.0)
    plain_grads = torch.autograd.grad(plain, simulated)
    assert torch.allclose(fused, plain, rtol=0, atol=1e-12)
    for f, p in zip(fused_grads, plain_grads, strict=True):
        assert torch.allclose(f, p, rtol=1e-9, atol=1e-12)
    # and it feeds a second-order graph, as the attack's simulated gradients need
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad((x * w).sum() ** 2, [w], create_graph=True)
    loss = CosineObjective([torch.ones(3, dtype=torch.float64)])([g])
    (gx,) = torch.autograd.grad(loss, [x])
    assert torch.isfinite(gx).all() and gx.abs().sum() > 0
