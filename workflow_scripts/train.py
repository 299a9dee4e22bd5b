"""Rule train: the global model after FL round ``round`` (round 0: seeded initialisation)."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    runtime.setup(snakemake.threads)
    stages.train(snakemake.output[0], snakemake.input.data, snakemake.input.get("previous"),
                 w.model, w.defense, int(w.round), dict(snakemake.params.training),
                 snakemake.params.seed)
