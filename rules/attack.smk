rule attack:
    input:
        shared=paths.DEFEND,
        checkpoint=paths.CHECKPOINT,
    output:
        paths.ATTACK,
    log:
        paths.log_of("attack", paths.ATTACK),
    benchmark:
        paths.log_of("attack", paths.ATTACK).removesuffix(".log") + ".benchmark.tsv"
    params:
        spec=lambda w: config["attacks"][w.attack],
        seed=config["seed"],
        device=config["device"],
    threads: THREADS
    group:
        "cell"
    resources:
        mem_mb=4000,
        runtime=attack_runtime,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/attack.py"
