# One named rule per paper target: `snakemake tab1` rebuilds Table I and nothing else.


rule all:
    default_target: True
    input:
        [f for t in TARGETS for f in target_outputs(t)],


rule tab1:
    input:
        target_outputs("tab1"),


rule fig10:
    input:
        target_outputs("fig10"),


rule fig13:
    input:
        target_outputs("fig13"),


rule fig14:
    input:
        target_outputs("fig14"),


rule tab3:
    input:
        target_outputs("tab3"),


rule tab4:
    input:
        target_outputs("tab4"),
