"""Data: labelled image sets (embedded offline set, torchvision datasets) and client partitions."""

from gialib.data.imageset import ImageSet, Split, load_imageset, prepare_imageset
from gialib.data.partition import partition

__all__ = ["ImageSet", "Split", "load_imageset", "partition", "prepare_imageset"]
