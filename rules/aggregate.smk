rule aggregate:
    input:
        table_inputs,
    output:
        table=paths.TABLE,
        provenance=paths.TABLE_PROVENANCE,
    log:
        paths.log_of("aggregate", paths.TABLE),
    benchmark:
        paths.log_of("aggregate", paths.TABLE).removesuffix(".log") + ".benchmark.tsv",
    params:
        config=config,
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/aggregate.py"
