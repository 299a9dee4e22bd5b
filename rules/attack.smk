rule attack:
    input:
        shared=shared_update,
        checkpoint=paths.CHECKPOINT,
        generator=attack_generator_file,
    output:
        paths.ATTACK,
    log:
        paths.log_of("attack", paths.ATTACK),
    benchmark:
        paths.log_of("attack", paths.ATTACK).removesuffix(".log") + ".benchmark.tsv"
    params:
        spec=lambda w: ATTACK_SPECS[w.attack],
        seed=config["seed"],
        device=config["device"],
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=attack_runtime,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/attack.py"
