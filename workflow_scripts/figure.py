"""Rule figure: Markdown table, seaborn figure and reconstruction grid of a target."""
from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.figure(snakemake.input.table, snakemake.output.summary, snakemake.output.figure,
                  snakemake.output.grid, snakemake.output.finding, snakemake.wildcards.target,
                  snakemake.params.config)
