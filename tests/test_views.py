"""Dataset views (Figs. 7-8): victims swapped, the task (classes, public/test splits, model) kept."""

import pytest
import torch

from gialib.data import Split
from gialib.data.views import dataset_spec, prepare_dataset
from tests.conftest import SMALL_SPEC

DATASETS = {
    "small": SMALL_SPEC,
    "textures": {"source": "packaged", "classes": ["brick", "grass", "gravel"], "private_per_class": 6,
                 "public_per_class": 0, "test_per_class": 1},
    "objects": {"source": "packaged", "classes": ["camera", "coins", "moon", "horse"],
                "private_per_class": 4, "public_per_class": 0, "test_per_class": 1},
    "content": {"source": "content", "classes": ["face", "clock", "text", "page", "ruler"],
                "private_per_class": 6, "public_per_class": 10, "test_per_class": 2, "grid": 2},
}


def build(name, resolution=16):
    return prepare_dataset(name, dataset_spec(DATASETS, name), resolution, seed=0)


def _flat(data, split):
    return data.images[data.indices(split)].flatten(1).float()


@pytest.mark.parametrize("view", ["small+ood=textures", "small+ood=objects", "small+style=sketch",
                                  "small+style=cartoon"])
def test_ood_sets_load_and_are_disjoint_from_the_public_split(view):
    base, ood = build("small"), build(view)
    assert ood.classes == base.classes and ood.name == view
    assert torch.equal(_flat(ood, Split.public), _flat(base, Split.public))  # the generator's data
    assert torch.equal(_flat(ood, Split.test), _flat(base, Split.test))
    assert ood.channel_stats() == base.channel_stats()  # same normalisation: same initial model
    victims = _flat(ood, Split.private)
    assert len(victims) >= 12
    assert torch.cdist(victims, _flat(base, Split.public)).min() > 0  # no victim is a public image
    assert torch.cdist(victims, _flat(base, Split.private)).min() > 0  # and none is an ID victim
    labels = ood.labels[ood.indices(Split.private)]
    assert labels.min() >= 0 and labels.max() < base.num_classes


def test_ood_relabelling_covers_every_class():
    labels = build("small+ood=textures").labels
    assert set(labels.tolist()) == set(range(4))


def test_style_view_keeps_labels_and_changes_pixels():
    base, styled = build("small"), build("small+style=sketch")
    idx = base.indices(Split.private)
    assert torch.equal(styled.labels[styled.indices(Split.private)], base.labels[idx])
    gray = styled.images[styled.indices(Split.private)].float()
    assert (gray[:, 0] == gray[:, 1]).all()  # a pencil sketch has no colour
    assert (gray.mean() > base.images[idx].float().mean())  # strokes on white paper


def test_content_victims_view_and_faces():
    full, faces = build("content"), build("content+victims=face")
    assert set(faces.labels[faces.indices(Split.private)].tolist()) == {0}
    assert faces.channel_stats() == full.channel_stats()
    pub = _flat(full, Split.public)[full.labels[full.indices(Split.public)] == 0]
    assert torch.cdist(_flat(faces, Split.private), pub).min() > 0  # a face is in one split only
    gray = faces.images[faces.indices(Split.private)]
    assert torch.equal(gray[:, 0], gray[:, 2])  # lfw_subset is grayscale, replicated to RGB


@pytest.mark.parametrize("name,match", [
    ("small+ood=nope", "ood='nope' must be another key"),
    ("small+victims=clock+ood=textures", "exactly one of"),
    ("small+colour=red", "exactly one of"),
    ("small+style=oil", "unknown style 'oil'"),
    ("nope+ood=textures", "'nope' is not a key of `datasets`"),
])
def test_bad_views_are_named(name, match):
    with pytest.raises(ValueError, match=match):
        dataset_spec(DATASETS, name)


def test_victims_must_be_a_class():
    with pytest.raises(ValueError, match="victims='clock' is not a class of small"):
        dataset_spec(DATASETS, "small+victims=clock")
