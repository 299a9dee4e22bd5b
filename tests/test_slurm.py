"""`snakemake --profile slurm` on a real single-node SLURM, against a local run.

Skipped, with the reason, where SLURM cannot run (not root, packages missing, a
SLURM already configured); .ci/run installs Debian's slurm-wlm and munge first.
"""

import time

import pandas as pd
import pytest

from tests.conftest import MINI, REPO, snakemake
from tests.slurm_cluster import SingleNodeSlurm, unavailable_reason

METRICS = ["psnr", "ssim", "mse", "label_accuracy"]


@pytest.fixture(scope="module")
def cluster():
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    slurm = SingleNodeSlurm()
    try:
        slurm.start()
        yield slurm
    finally:
        slurm.stop()
        assert not slurm.running(), "SLURM daemons survived stop()"


def test_profile_runs_jobs_through_sbatch_and_matches_local(cluster, mini_runs, tmp_path):
    start = time.monotonic()
    out = snakemake("tab1", "--profile", "slurm", "--configfile", str(MINI), "--directory",
                    str(tmp_path), "--slurm-init-seconds-before-status-checks", "2", cwd=REPO,
                    env=cluster.env)
    elapsed = time.monotonic() - start
    text = out.stdout + out.stderr
    assert "Using profiles slurm" in text
    jobs = [j for j in cluster.jobs() if j["name"] != "wrap"]
    # data, train round 0 and 1, one grouped job for the two cells; aggregate,
    # figure and provenance are local rules on the submitting host
    assert len(jobs) == 4, jobs
    assert all(j["state"] == "COMPLETED" for j in jobs), jobs
    assert cluster.controller_log().count("sched: Allocate JobId=") >= len(jobs)
    grouped = [line for line in text.splitlines() if "group_cell" in line and "SLURM jobid" in line]
    assert len(grouped) == 1, "the two cells should run as one grouped SLURM job"
    local = pd.read_csv(mini_runs[0] / "results/tables/tab1.csv")
    remote = pd.read_csv(tmp_path / "results/tables/tab1.csv")
    pd.testing.assert_frame_equal(local[METRICS], remote[METRICS])
    print(f"SLURM run of the miniature config: {elapsed:.0f}s, {len(jobs)} SLURM jobs")
