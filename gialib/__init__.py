"""gialib: gradient inversion attacks against practical federated learning.

The importable library behind the SoK reproducibility pipeline ("SoK: Gradient
Leakage in Federated Learning"). Everything the Snakemake workflow computes is a
call into this package, so each stage can be run and tested without Snakemake:

- ``gialib.data``: the embedded offline image set, torchvision datasets, client partitions.
- ``gialib.models``: model registry (ConvNet, CIFAR-style ResNets, ...).
- ``gialib.fl``: local training (FedSGD / FedAvg), the shared update, server aggregation.
- ``gialib.defenses``: post-processing of the shared update.
- ``gialib.attacks``: GIA-O (Definition 1) and its priors, label inference.
- ``gialib.metrics``: PSNR, SSIM, LPIPS with optimal matching of a batch.
- ``gialib.experiments``: which cells (sweep points) each paper target needs.
- ``gialib.plots``: tables, figures and reconstruction grids.
"""

__version__ = "0.1.0"
