"""Rule figure: Markdown table, seaborn figure and reconstruction grid of a target."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

out = snakemake.output
with runtime.logging_to(snakemake.log[0]):
    stages.figure(table=snakemake.input.table, summary_out=out.summary, figure_out=out.figure,
                  grid_out=out.grid, finding_out=out.finding,
                  claims_out=out.claims, target=snakemake.wildcards.target,
                  config=snakemake.params.config)
