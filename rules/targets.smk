# One named rule per paper target: `snakemake tab1` rebuilds Table I and nothing else.


rule tab1:
    input:
        target_outputs("tab1"),


rule fig15:
    input:
        target_outputs("fig15"),
