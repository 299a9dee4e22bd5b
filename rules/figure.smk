rule figure:
    input:
        table=paths.TABLE,
        grid=grid_inputs,
    output:
        summary=report(
            paths.SUMMARY,
            caption="captions/summary.rst",
            category="{target}",
            labels={"target": "{target}", "kind": "table"},
        ),
        figure=report(
            paths.FIGURE,
            caption="captions/figure.rst",
            category="{target}",
            labels={"target": "{target}", "kind": "figure"},
        ),
        grid=report(
            paths.GRID,
            caption="captions/grid.rst",
            category="{target}",
            labels={"target": "{target}", "kind": "reconstructions"},
        ),
        finding=paths.FINDING,
        claims=paths.CLAIMS,
    log:
        paths.log_of("figure", paths.FIGURE),
    benchmark:
        paths.log_of("figure", paths.FIGURE).removesuffix(".log") + ".benchmark.tsv",
    params:
        config=config,
        title=lambda w: experiment(w.target).title,
        claim=lambda w: experiment(w.target).claim,
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/gialib.yaml"
    script:
        "../workflow_scripts/figure.py"
