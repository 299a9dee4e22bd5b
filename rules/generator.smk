rule train_generator:
    input:
        data=paths.DATA,
    output:
        checkpoint=paths.GENERATOR,
        curve=paths.GENERATOR_CURVE,
        curve_plot=report(
            paths.GENERATOR_CURVE_PLOT,
            caption="captions/generator_curve.rst",
            category="generators",
            labels={"generator": "{generator}", "resolution": "{resolution}", "kind": "curve"},
        ),
        samples=report(
            paths.GENERATOR_SAMPLES,
            caption="captions/generator_samples.rst",
            category="generators",
            labels={"generator": "{generator}", "resolution": "{resolution}", "kind": "samples"},
        ),
    log:
        paths.log_of("generator", paths.GENERATOR),
    benchmark:
        paths.log_of("generator", paths.GENERATOR).removesuffix(".log") + ".benchmark.tsv"
    params:
        generators=config.get("generators", {}),
        seed=config["seed"],
        device=config["device"],
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=GPUS,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/train_generator.py"
