rule score:
    input:
        attacks=lambda w: score_inputs(w.target)[0],
        truths=lambda w: score_inputs(w.target)[1],
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
        runtime=score_runtime,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/score.py"
