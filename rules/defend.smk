rule defend:
    input:
        paths.CAPTURE,
    output:
        paths.DEFEND,
    log:
        paths.log_of("defend", paths.DEFEND),
    benchmark:
        paths.log_of("defend", paths.DEFEND).removesuffix(".log") + ".benchmark.tsv",
    params:
        seed=config["seed"],
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/defend.py"
