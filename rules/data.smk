rule prepare_data:
    output:
        paths.DATA,
    log:
        paths.log_of("data", paths.DATA),
    benchmark:
        paths.log_of("data", paths.DATA).removesuffix(".log") + ".benchmark.tsv",
    params:
        spec=lambda w: dataset_spec(config["datasets"], w.dataset),
        seed=config["seed"],
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/prepare_data.py"
