rule capture:
    input:
        checkpoint=paths.CHECKPOINT,
        data=paths.DATA,
    output:
        shared=paths.CAPTURE,
        truth=paths.TRUTH,
    log:
        paths.log_of("capture", paths.CAPTURE),
    benchmark:
        paths.log_of("capture", paths.CAPTURE).removesuffix(".log") + ".benchmark.tsv",
    params:
        trials=capture_trials,
        client=config["client"],
        training=config["training"],
        seed=config["seed"],
        device=config["device"],
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=10,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/capture.py"
