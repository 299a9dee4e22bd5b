"""A real single-node SLURM for tests: munge + slurmctld + slurmd, started without systemd.

Daemons run as root from a private directory (own munge key and socket, own
ports, no cgroups, no accounting database), so nothing on the machine is
reconfigured except /etc/slurm/slurm.conf, which SLURM clients inside jobs read
(the executor plugin strips SLURM_CONF from job steps). It is written only if
absent and removed again on stop.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by gialib tests/slurm_cluster.py"


def unavailable_reason() -> str | None:
    """Why SLURM cannot run here (a skip reason), or None."""
    if os.geteuid() != 0:
        return "not root: the test starts munged, slurmctld and slurmd as root"
    missing = [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    if missing:
        return (f"SLURM packages missing ({', '.join(missing)}); install Debian's slurm-wlm and "
                "munge (.ci/run does)")
    if SYSTEM_CONF.exists() and MARK not in SYSTEM_CONF.read_text():
        return f"{SYSTEM_CONF} already configures a SLURM on this machine; not touching it"
    return None


def _which(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin") / name)


class SingleNodeSlurm:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gialib-slurm-"))
        self.dir.chmod(0o711)
        self.conf = self.dir / "slurm.conf"
        self.procs: list[subprocess.Popen] = []
        self.wrote_system_conf = False

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _write_config(self) -> None:
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        mem_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 - 1024
        munge = self.dir / "munge"
        text = f"""{MARK}
ClusterName=gialibtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge}/munge.socket
CredType=cred/munge
StateSaveLocation={self.dir}/state
SlurmdSpoolDir={self.dir}/spool
SlurmctldPidFile={self.dir}/slurmctld.pid
SlurmdPidFile={self.dir}/slurmd.pid
SlurmctldLogFile={self.dir}/slurmctld.log
SlurmdLogFile={self.dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
        self.conf.write_text(text)
        if not SYSTEM_CONF.exists():
            SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
            SYSTEM_CONF.write_text(text)
            self.wrote_system_conf = True

    def _start_munge(self) -> None:
        munge = self.dir / "munge"
        munge.mkdir()
        munge.chmod(0o711)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        subprocess.run([_which("munged"), f"--socket={munge}/munge.socket", f"--key-file={key}",
                        f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log",
                        f"--seed-file={munge}/seed"], check=True, capture_output=True, text=True)

    def start(self, timeout: float = 60) -> None:
        for sub in ("state", "spool"):
            (self.dir / sub).mkdir()
        self._write_config()
        self._start_munge()
        for daemon in ("slurmctld", "slurmd"):
            log = open(self.dir / f"{daemon}.out", "w")  # noqa: SIM115 - closed with the process
            self.procs.append(subprocess.Popen([_which(daemon), "-D", "-f", str(self.conf)],
                                               stdout=log, stderr=subprocess.STDOUT, env=self.env))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip() == "idle":
                return
            time.sleep(1)
        raise RuntimeError(f"SLURM node did not become idle in {timeout}s:\n{self.logs()}")

    def jobs(self) -> list[dict[str, str]]:
        """All jobs the controller still knows (MinJobAge keeps finished ones an hour)."""
        out = subprocess.run(["squeue", "--states=all", "-h", "-o", "%i|%j|%T|%C|%m"], env=self.env,
                             capture_output=True, text=True, check=True).stdout
        keys = ("id", "name", "state", "cpus", "memory")
        return [dict(zip(keys, line.split("|"), strict=True)) for line in out.splitlines() if line]

    def controller_log(self) -> str:
        path = self.dir / "slurmctld.log"
        return path.read_text() if path.exists() else ""

    def started_jobs(self) -> int:
        """Jobs the controller started: its main scheduler logs "sched: Allocate JobId=", its
        backfill scheduler "sched/backfill: _start_job: Started JobId=" (either may start one)."""
        log = self.controller_log()
        return log.count("sched: Allocate JobId=") + log.count("_start_job: Started JobId=")

    def diagnostics(self, workdir: Path) -> str:
        """What a failed SLURM run leaves for its reader: each job's own log (its stderr, where
        a job that fails before its rule's log opens writes why) and the daemons' logs."""
        parts = [f"== {p.relative_to(workdir)}\n{p.read_text()[-2000:]}"
                 for p in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))]
        for name in ("slurmctld.log", "slurmd.log"):
            path = self.dir / name
            if path.exists():
                parts.append(f"== {name}\n{path.read_text()[-3000:]}")
        return "\n".join(parts)

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.dir.glob("*.out")))

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        munged = self._munged_pid()
        if munged is not None:
            try:
                os.kill(munged, 15)
            except ProcessLookupError:
                pass
            # munged daemonised, so it is not our child: wait for it to exit on its own.
            deadline = time.monotonic() + 20
            while _alive(munged) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(munged):
                os.kill(munged, 9)
        if self.wrote_system_conf:
            SYSTEM_CONF.unlink(missing_ok=True)

    def _munged_pid(self) -> int | None:
        pid = self.dir / "munge" / "munged.pid"
        return int(pid.read_text().strip()) if pid.exists() else None

    def running(self) -> list[int]:
        """PIDs of the daemons this cluster started that are still alive."""
        alive = [p.pid for p in self.procs if p.poll() is None]
        munged = self._munged_pid()
        if munged is not None and _alive(munged):
            alive.append(munged)
        return alive


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped by init) counts as gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return fields[0] != "Z"
