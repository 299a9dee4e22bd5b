rule score:
    input:
        attack=paths.ATTACK,
        truth=paths.TRUTH,
    output:
        paths.SCORE,
    log:
        paths.log_of("score", paths.SCORE),
    benchmark:
        paths.log_of("score", paths.SCORE).removesuffix(".log") + ".benchmark.tsv",
    params:
        metrics=config["metrics"],
        device=config["device"],
    resources:
        mem_mb=3000,
        runtime=10,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/score.py"
