"""Paper targets (tab1, fig4, ...): which cells each needs, and how its results are summarised.

A target's config entry (``experiments.<target>``) gives every cell field a value
or a list of values; the cells are their product. Each cell is one trial of one
attacked update, i.e. one entry of a score file (``paths.SCORE``, all trials of the
cell). Experiments that need a different
sweep shape register their own ``Experiment`` subclass.
"""

# Register the paper's targets (import for side effects).
from gialib.experiments import targets as _targets  # noqa: E402,F401,I001
from gialib.experiments import post_processing as _post_processing  # noqa: E402,F401,I001
from gialib.experiments import training_stage as _training_stage, architecture as _architecture  # noqa: E402,F401,I001
from gialib.experiments.plan import (CELL_FIELDS, EXPERIMENTS, Cell, Experiment, get_experiment,
                                     trials_per_client)

__all__ = ["CELL_FIELDS", "EXPERIMENTS", "Cell", "Experiment", "get_experiment", "trials_per_client"]
from gialib.experiments import local_training as _local_training  # noqa: E402,F401
from gialib.experiments import training_data as _training_data  # noqa: E402,F401
