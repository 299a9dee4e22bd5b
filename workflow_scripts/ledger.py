"""Rule ledger: every target's claims, with effect, interval and verdict, in one table."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

with runtime.logging_to(snakemake.log[0]):
    stages.ledger(claims=list(snakemake.input.claims), markdown_out=snakemake.output.ledger,
                  table_out=snakemake.output.table)
