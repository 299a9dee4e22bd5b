"""Rules initialize (round 0: the seeded initial model) and train (FedAvg rounds 1..R)."""
from gialib import runtime, stages

w = snakemake.wildcards
with runtime.logging_to(snakemake.log[0]):
    runtime.setup(snakemake.threads)
    stages.train(outputs=list(snakemake.output), data=snakemake.input.data,
                 initial=snakemake.input.get("initial"), model=w.model, defense=w.defense,
                 training=dict(snakemake.params.get("training", {})), seed=snakemake.params.seed)
