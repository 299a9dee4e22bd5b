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
