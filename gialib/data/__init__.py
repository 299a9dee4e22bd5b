"""Data: labelled image sets (embedded offline set, Fashion-MNIST, torchvision datasets) and client
partitions. ``require_datasets`` checks, before any job, that a run's data is on disk."""

from gialib.data.availability import require_datasets
from gialib.data.imageset import ImageSet, Split, load_imageset, prepare_imageset
from gialib.data.partition import partition

__all__ = ["ImageSet", "Split", "load_imageset", "partition", "prepare_imageset", "require_datasets"]
