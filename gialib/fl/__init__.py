"""Federated learning simulation (Sec. 2.1): local training, the shared update, FedAvg server."""

from gialib.fl.aggregate import fedavg
from gialib.fl.local import batch_schedule, gradient, local_training
from gialib.fl.update import ClientUpdate

__all__ = ["ClientUpdate", "batch_schedule", "fedavg", "gradient", "local_training"]
