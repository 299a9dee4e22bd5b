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
# The slurm plugin first asks for job states this many seconds after a submission, then adds
# 10 s to its interval after every check that finds no job finished (hard-coded). A miniature
# job ends 15-20 s after its submission here (the job's own Snakemake start-up and 3-5 s of
# work): from 2 s the checks at 2, 14 and 36 s caught each at 36 s (the run took 226 s), from
# 20 s each was caught at 20 s (140 s; 2026-12-02, 2-core AMD EPYC).
FIRST_STATUS_CHECK = "20"


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
                    str(tmp_path), "--slurm-init-seconds-before-status-checks", FIRST_STATUS_CHECK, cwd=REPO,
                    env=cluster.env, check=False)
    elapsed = time.monotonic() - start
    text = out.stdout + out.stderr
    assert out.returncode == 0, f"{text[-4000:]}\n{cluster.diagnostics(tmp_path)}"
    assert "Using profiles slurm" in text
    jobs = [j for j in cluster.jobs() if j["name"] != "wrap"]
    # data, train round 0 and 1, one grouped job for the two cells, the target's score job;
    # aggregate, figure and provenance are local rules on the submitting host
    assert len(jobs) == 5, jobs
    assert all(j["state"] == "COMPLETED" for j in jobs), jobs
    assert cluster.started_jobs() >= len(jobs)
    grouped = [line for line in text.splitlines() if "group_cell" in line and "SLURM jobid" in line]
    assert len(grouped) == 1, "the two cells should run as one grouped SLURM job"
    local = pd.read_csv(mini_runs[0] / "results/tables/tab1.csv")
    remote = pd.read_csv(tmp_path / "results/tables/tab1.csv")
    pd.testing.assert_frame_equal(local[METRICS], remote[METRICS])
    print(f"SLURM run of the miniature config: {elapsed:.0f}s, {len(jobs)} SLURM jobs")


def test_attack_signalled_before_its_time_limit_resumes_to_the_uninterrupted_result(cluster, tmp_path):
    """The profile's warning signal (SIGUSR1, as `--signal=USR1@120` sends it before the time
    limit), sent by hand in the second trial of an attack job: the attack saves its state
    (the first trial's record with it) and stops, Snakemake submits the job again (profile
    `retries`), and the retry resumes that trial to the uninterrupted result."""
    import re
    import shutil
    import signal
    import subprocess
    import sys

    import torch
    import yaml

    cfg = yaml.safe_load(MINI.read_text())
    cfg["attacks"]["G_TV"].update(iterations=1500, log_every=20)
    cfg["experiments"]["tab1"].update(local_updates=1, trials=2)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    cell = ("mini/resolution~16/convnet+width=4/none/round~1/fedavg/num_examples~2/batch_size~2/"
            "local_updates~1/G_TV/trials~2")
    attack, log = f"results/attack/{cell}.pt", f"results/logs/attack/{cell}.log"
    local, remote = tmp_path / "local", tmp_path / "slurm"
    snakemake("--cores", "1", attack, "--configfile", str(config), "--directory", str(local))
    # the attack's inputs, as the local run made them: the SLURM run has the attack job only
    shutil.copytree(local / "results", remote / "results", copy_function=shutil.copy2,
                    ignore=lambda d, names: [n for n in names if n in ("attack", "logs")])
    before = {j["id"] for j in cluster.jobs()}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), attack,
                             "--profile", "slurm", "--configfile", str(config), "--directory", str(remote),
                             "--slurm-init-seconds-before-status-checks", "2"],
                            cwd=REPO, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.monotonic() + 900
    while not ((remote / log).is_file()
               and "trial 1 (2 of 2): restart 0 iteration 60/1500" in (remote / log).read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()[-3000:]
        time.sleep(0.5)
    running = [j for j in cluster.jobs() if j["state"] == "RUNNING"]
    assert len(running) == 1, running
    subprocess.run(["scancel", f"--signal={signal.SIGUSR1.name.removeprefix('SIG')}", running[0]["id"]],
                   env=cluster.env, check=True)
    out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
    assert proc.returncode == 0, f"{out[-3000:]}\n{cluster.diagnostics(remote)}"
    text = (remote / log).read_text()
    resumed = re.search(r"trial 1 \(2 of 2\): resuming from \S+: restart 0, iteration (\d+)", text)
    assert resumed and "1 of 2 trial(s) done" in text, "the retry started from zero"
    a = torch.load(local / attack, weights_only=True)["trials"]
    b = torch.load(remote / attack, weights_only=True)["trials"]
    assert len(a) == len(b) == 2
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x["images"], y["images"]) and x["loss"] == y["loss"]
    jobs = [j for j in cluster.jobs() if j["id"] not in before and j["name"] != "wrap"]
    assert len(jobs) == 2, jobs  # the cut job and its retry
    print(f"SLURM attack signalled in trial 1, resumed at iteration {resumed[1]} of 1500 by its retry: "
          f"{time.monotonic() - start:.0f}s for both jobs; result equal to the local run's")
