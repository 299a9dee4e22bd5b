"""Dataset views: the victims' images swapped, everything else of the base task kept.

A dataset name in an experiment may be a spec string ``base+key=value`` (the
same syntax as models): the base dataset's task (classes, public and test
splits, input normalisation, so the same initial model) with the split its
victims are drawn from replaced: its ``victims`` split when it has one (then the
clients' private split stays the base's), else its *private* split:

- ``victims=<class>``: only the base's victim (or private) images of one class (Fig. 7: one
  kind of content at a time: faces, clocks, text ...).
- ``ood=<dataset>``: the private images of another ``datasets`` entry
  (out-of-distribution for the base task: textures, other objects, Places365,
  DTD ...), relabelled into the base's classes in turn (Fig. 8 pairs an ID and an
  OOD image under the same label).
- ``style=<name>``: the base's victim (or private) images restyled (``styles.STYLES``:
  sketch, cartoon; Fig. 8's "Styles"), labels kept.

The public split stays the base's, so GIA-L's generator (trained on the base's
public split) is the in-distribution one, and the victims never overlap it.
"""

from __future__ import annotations

from typing import Any

import torch

from gialib.data.imageset import ImageSet, Split, prepare_imageset
from gialib.spec import parse_spec

VIEW_KEYS = ("victims", "ood", "style")


def dataset_spec(datasets: dict[str, Any], name: str) -> dict[str, Any]:
    """Config entry of ``name``; for a view, ``{"view": {...}}`` with the entries it needs inlined."""
    spec = parse_spec(name)
    if spec.name not in datasets:
        raise ValueError(f"{spec.name!r} is not a key of `datasets` (known: {', '.join(datasets)})")
    if not spec.kwargs:
        return datasets[name] if name in datasets else datasets[spec.name]
    unknown = sorted(set(spec.kwargs) - set(VIEW_KEYS))
    if unknown or len(spec.kwargs) != 1:
        raise ValueError(f"dataset view {name!r}: give exactly one of {', '.join(VIEW_KEYS)} "
                         f"(got {sorted(spec.kwargs)})")
    view: dict[str, Any] = {"base": spec.name, "base_spec": datasets[spec.name], **spec.kwargs}
    if "ood" in spec.kwargs:
        ood = str(spec.kwargs["ood"])
        if ood not in datasets or ood == spec.name:
            raise ValueError(f"dataset view {name!r}: ood={ood!r} must be another key of `datasets`")
        view["ood_spec"] = datasets[ood]
    classes = datasets[spec.name].get("classes")
    if "victims" in spec.kwargs and classes is not None and spec.kwargs["victims"] not in classes:
        raise ValueError(f"dataset view {name!r}: victims={spec.kwargs['victims']!r} is not a class of "
                         f"{spec.name} ({', '.join(classes)})")
    if "style" in spec.kwargs:
        from gialib.data.styles import STYLES

        STYLES.get(str(spec.kwargs["style"]))
    return {"view": view}


def _with_victims(base: ImageSet, name: str, images: torch.Tensor, labels: torch.Tensor) -> ImageSet:
    """``base`` with the split its victims come from (``ImageSet.victims_split``) replaced by
    (images, labels) and its normalisation kept."""
    code = int(base.victims_split())
    keep = base.split != code
    return ImageSet(torch.cat([images, base.images[keep]]), torch.cat([labels, base.labels[keep]]),
                    torch.cat([torch.full((len(images),), code, dtype=torch.uint8), base.split[keep]]),
                    base.classes, name, norm=base.channel_stats())


def build_view(name: str, view: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    base = prepare_imageset(view["base"], view["base_spec"], resolution, seed)
    victims = base.indices(base.victims_split())
    if "victims" in view:
        cls = str(view["victims"])
        if cls not in base.classes:
            raise ValueError(f"dataset view {name!r}: victims={cls!r} is not a class of {view['base']} "
                             f"({', '.join(base.classes)})")
        idx = victims[base.labels[victims] == base.classes.index(cls)]
        return _with_victims(base, name, base.images[idx], base.labels[idx])
    if "style" in view:
        from gialib.data.styles import restyle

        return _with_victims(base, name, restyle(str(view["style"]), base.images[victims]),
                             base.labels[victims])
    ood = prepare_imageset(str(view["ood"]), view["ood_spec"], resolution, seed)
    idx = ood.indices(Split.private)
    # Relabel in turn over the base's classes (a seeded order), so every label gets OOD images.
    order = torch.randperm(base.num_classes, generator=torch.Generator().manual_seed(seed))
    labels = order[torch.arange(len(idx)) % base.num_classes]
    return _with_victims(base, name, ood.images[idx], labels)


def prepare_dataset(name: str, spec: dict[str, Any], resolution: int, seed: int) -> ImageSet:
    """A dataset entry (``prepare_imageset``) or a view resolved by ``dataset_spec``."""
    if "view" in spec:
        return build_view(name, spec["view"], resolution, seed)
    return prepare_imageset(name, spec, resolution, seed)
