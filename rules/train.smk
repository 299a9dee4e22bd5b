rule train:
    input:
        data=paths.DATA,
        previous=previous_checkpoint,
    output:
        paths.CHECKPOINT,
    log:
        paths.log_of("train", paths.CHECKPOINT),
    params:
        training=config["training"],
        seed=config["seed"],
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/train.py"
