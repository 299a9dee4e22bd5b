# One named rule per paper target: `snakemake tab1` rebuilds Table I and nothing else.


rule all:
    default_target: True
    input:
        [f for t in TARGETS for f in target_outputs(t)],


rule tab1:
    input:
        target_outputs("tab1"),


rule fig15:
    input:
        target_outputs("fig15"),
