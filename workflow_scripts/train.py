"""Rules initialize (round 0: the seeded initial model) and train (FedAvg rounds 1..R)."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    runtime.setup(snakemake.threads)
    stages.train(list(snakemake.output), snakemake.input.data, snakemake.input.get("initial"),
                 w.model, w.defense, dict(snakemake.params.get("training", {})),
                 snakemake.params.seed)
