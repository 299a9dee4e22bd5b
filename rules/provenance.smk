rule provenance:
    output:
        config=report(
            paths.RUN_CONFIG,
            caption="captions/config.rst",
            category="Provenance",
            labels={"file": "config"},
        ),
        versions=report(
            paths.RUN_VERSIONS,
            caption="captions/versions.rst",
            category="Provenance",
            labels={"file": "versions"},
        ),
    log:
        paths.log_of("provenance", paths.RUN_CONFIG),
    benchmark:
        paths.log_of("provenance", paths.RUN_CONFIG).removesuffix(".log") + ".benchmark.tsv",
    params:
        config=config,
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/provenance.py"
