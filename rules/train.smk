# One FL run (dataset, resolution, model, defense): the seeded initial model, then every
# FedAvg round as one job that writes a checkpoint per round. Round 0 is its own job so a
# target that attacks only the initial model (tab1, fig4, ...) trains nothing.
ROUNDS = config["training"]["rounds"]
INITIAL = paths.CHECKPOINT.replace("{round}", "0")


rule initialize:
    input:
        data=paths.DATA,
    output:
        INITIAL,
    log:
        paths.log_of("train", INITIAL),
    benchmark:
        paths.log_of("train", INITIAL).removesuffix(".log") + ".benchmark.tsv",
    params:
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
        "../workflow_scripts/train.py"


if ROUNDS > 0:

    rule train:
        input:
            data=paths.DATA,
            initial=INITIAL,
        output:
            [paths.CHECKPOINT.replace("{round}", str(r)) for r in range(1, ROUNDS + 1)],
        log:
            paths.log_of("train", paths.CHECKPOINT.replace("round~{round}", "rounds")),
        benchmark:
            paths.log_of("train", paths.CHECKPOINT.replace("round~{round}", "rounds")).removesuffix(".log") + ".benchmark.tsv",
        params:
            training=config["training"],
            seed=config["seed"],
            device=config["device"],
        threads: THREADS
        resources:
            mem_mb=4000,
            # Minutes for the whole run; override per cluster with `set-resources: train:runtime=...`.
            runtime=30 + 10 * ROUNDS,
            gpu=GPUS,
        conda:
            "../envs/gialib.yaml"
        script:
            "../workflow_scripts/train.py"
