# One named rule per paper target: `snakemake tab1` rebuilds Table I and nothing else.


rule tab1:
    input:
        target_outputs("tab1"),


rule tab2:
    input:
        target_outputs("tab2"),


rule fig4:
    input:
        target_outputs("fig4"),


rule fig7:
    input:
        target_outputs("fig7"),


rule fig8:
    input:
        target_outputs("fig8"),


rule fig15:
    input:
        target_outputs("fig15"),


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
