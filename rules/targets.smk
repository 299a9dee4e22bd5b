# One named rule per registered paper target (gialib/experiments/<target>.py):
# `snakemake fig13` builds Fig. 13's table, figure and grid and nothing else.
from gialib.experiments import EXPERIMENTS

for _target in EXPERIMENTS.names():

    rule:
        name:
            _target
        input:
            target_outputs(_target),
