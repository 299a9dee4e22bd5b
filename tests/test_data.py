import pytest
import torch

from gialib.data import Split
from gialib.data.imageset import ImageSet, load_imageset, prepare_imageset, save_imageset
from gialib.data.packaged import PHOTOS, load_photo
from gialib.data.partition import partition
from tests.conftest import SMALL_SPEC


def test_packaged_set_shapes_and_splits(small_set):
    assert small_set.images.shape == (4 * 24, 3, 32, 32)
    assert small_set.images.dtype == torch.uint8
    counts = {s: int((small_set.split == int(s)).sum()) for s in Split}
    # no victims split without victims_per_class: victims come from the private split
    assert counts == {Split.private: 48, Split.public: 24, Split.test: 24, Split.victims: 0}
    assert small_set.victims_split() == Split.private
    for c in range(4):  # every class in every split
        for s in (Split.private, Split.public, Split.test):
            assert ((small_set.labels == c) & (small_set.split == int(s))).any()


def test_packaged_set_is_deterministic_and_seeded():
    a = prepare_imageset("x", SMALL_SPEC, 16, seed=3)
    b = prepare_imageset("x", SMALL_SPEC, 16, seed=3)
    c = prepare_imageset("x", SMALL_SPEC, 16, seed=4)
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, c.images)


def test_public_split_shares_no_pixels_with_private(monkeypatch):
    """Tiles dealt to the public split never overlap the private tiles: crops differ."""
    a = prepare_imageset("x", {**SMALL_SPEC, "classes": ["astronaut", "coffee"]}, 16, seed=0)
    priv = a.images[a.indices(Split.private)].flatten(1).float()
    pub = a.images[a.indices(Split.public)].flatten(1).float()
    assert torch.cdist(pub, priv).min() > 0


def test_all_packaged_photos_load():
    for name in PHOTOS:
        photo = load_photo(name)
        assert photo.dtype == torch.uint8 and photo.shape[0] == 3 and min(photo.shape[1:]) >= 100


def test_unknown_photo_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown packaged photograph 'nope'"):
        prepare_imageset("x", {**SMALL_SPEC, "classes": ["astronaut", "nope"]}, 16, seed=0)


def test_save_load_roundtrip(tmp_path, small_set):
    save_imageset(small_set, tmp_path / "d.pt")
    loaded, norm = load_imageset(tmp_path / "d.pt")
    assert torch.equal(loaded.images, small_set.images)
    assert loaded.classes == small_set.classes
    assert len(norm["mean"]) == 3 and all(s > 0 for s in norm["std"])


def test_corrupt_data_file_names_itself(tmp_path):
    bad = tmp_path / "d.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match=f"dataset file {bad} is corrupt"):
        load_imageset(bad)


def test_imageset_rejects_bad_labels():
    with pytest.raises(ValueError, match="labels outside"):
        ImageSet(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 5]),
                 torch.zeros(2, dtype=torch.uint8), ("a", "b"), "x")


@pytest.mark.parametrize("kind,alpha", [("iid", None), ("dirichlet", 0.5)])
def test_partition_covers_private_split_disjointly(small_set, kind, alpha):
    private = small_set.indices(Split.private)
    shards = partition(small_set.labels, private, 4, kind, alpha, seed=0)
    joined = torch.cat(shards).sort().values
    assert torch.equal(joined, private.sort().values)
    again = partition(small_set.labels, private, 4, kind, alpha, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(shards, again, strict=True))


def test_dirichlet_small_alpha_skews_labels(small_set):
    private = small_set.indices(Split.private)
    skewed = partition(small_set.labels, private, 4, "dirichlet", 0.3, seed=1)
    iid = partition(small_set.labels, private, 4, "iid", None, seed=1)
    classes = [len(small_set.labels[s].unique()) for s in skewed]
    assert sum(classes) < sum(len(small_set.labels[s].unique()) for s in iid)
    assert min(classes) <= 2


def test_partition_errors(small_set):
    private = small_set.indices(Split.private)
    with pytest.raises(ValueError, match="unknown training.partition.kind 'pathological'"):
        partition(small_set.labels, private, 4, "pathological", None, 0)
    with pytest.raises(ValueError, match="num_clients=1000"):
        partition(small_set.labels, private, 1000, "iid", None, 0)


def test_packaged_crops_are_never_upsampled(monkeypatch):
    """Every crop is at least the resolution on a side (only ever resized down), and a tile
    smaller than the resolution is an error naming the photograph, not a blurred image."""
    import torchvision.transforms.v2.functional as TF

    from gialib.data import packaged

    sides = []
    real = TF.resized_crop

    def recording(img, top, left, height, width, size, **kw):
        sides.append((height, width))
        return real(img, top, left, height, width, size, **kw)

    monkeypatch.setattr(TF, "resized_crop", recording)
    photo = torch.randint(0, 256, (3, 80, 80), dtype=torch.uint8)
    crops = packaged.random_crops(photo, [0, 1, 2, 3], 2, 50, 32, torch.Generator().manual_seed(0))
    assert crops.shape == (50, 3, 32, 32)
    assert min(h for h, _ in sides) >= 32 and max(h for h, _ in sides) <= 40  # tile: 40 px
    with pytest.raises(ValueError, match=r"photograph p: .*below the resolution 48.*`grid`"):
        packaged.photo_splits(photo, "p", {s: 1 for s in packaged._TILE_SHARE} | {
            packaged.Split.private: 1}, 2, 48, torch.Generator().manual_seed(0))
