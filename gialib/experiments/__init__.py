"""Paper targets: one module per target (``tab1.py`` ... ``fig15.py``), each registering its
``Experiment`` subclass (its sweep, extra inputs, joins, and choice of table, figure and finding).

A target's config entry (``experiments.<target>``) gives every cell field a value
or a list of values; the cells are their product. ``base.py`` holds what every
target shares; ``variants.py`` and ``content.py`` the bases of the architecture
and content targets. Importing this package registers every target in
``EXPERIMENTS`` (the Snakefile generates one rule per registered target).
"""

from gialib.experiments import (  # noqa: F401  (imported to register each target)
    fig4,
    fig7,
    fig8,
    fig10,
    fig13,
    fig14,
    fig15,
    tab1,
    tab2,
    tab3,
    tab4,
)
from gialib.experiments.base import (
    CELL_FIELDS,
    EXPERIMENTS,
    Cell,
    Experiment,
    get_experiment,
    trials_per_client,
)

__all__ = ["CELL_FIELDS", "EXPERIMENTS", "Cell", "Experiment", "get_experiment", "trials_per_client"]
