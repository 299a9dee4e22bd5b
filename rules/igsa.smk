rule igsa:
    input:
        checkpoint=paths.CHECKPOINT,
        data=paths.DATA,
    output:
        paths.IGSA,
    log:
        paths.log_of("igsa", paths.IGSA),
    benchmark:
        paths.log_of("igsa", paths.IGSA).removesuffix(".log") + ".benchmark.tsv"
    params:
        igsa=config.get("igsa", {}),
        bn_mode=config["client"]["bn_mode"],
        seed=config["seed"],
        device=config["device"],
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/igsa.py"
