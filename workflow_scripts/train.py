"""Rules initialize (round 0: the seeded initial model) and train (FedAvg rounds 1..R)."""
from gialib.startup import frozen_imports

with frozen_imports():  # start-up: see gialib.startup
    from gialib import runtime, stages

w, p = snakemake.wildcards, snakemake.params
with runtime.logging_to(snakemake.log[0]):
    stages.train(outputs=list(snakemake.output), data=snakemake.input.data,
                 initial=snakemake.input.get("initial"), model=w.model, defense=w.defense,
                 training=dict(p.get("training", {})), seed=p.seed, device=p.device,
                 threads=snakemake.threads)
