rule ledger:
    input:
        claims=expand(paths.CLAIMS, target=TARGETS),
    output:
        ledger=report(
            paths.LEDGER,
            caption="captions/ledger.rst",
            category="Claims ledger",
            labels={"file": "ledger"},
        ),
        table=paths.LEDGER_TABLE,
    log:
        paths.log_of("ledger", paths.LEDGER),
    benchmark:
        paths.log_of("ledger", paths.LEDGER).removesuffix(".log") + ".benchmark.tsv",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/ledger.py"
