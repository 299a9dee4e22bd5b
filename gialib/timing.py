"""Per-stage time and memory of a run, from the files Snakemake's ``benchmark:`` directive writes.

Every rule writes ``<log path without .log>.benchmark.tsv`` next to its log under
``results/logs/<stage>/`` (one header line, then one row per run of the job: wall seconds
``s``, peak resident memory ``max_rss`` in MB, ``cpu_time`` in seconds, ...; ``NA`` or ``-``
where psutil could not sample a job that ended too fast). ``stage_table`` sums them per
stage; ``markdown`` renders the README's timing table; ``replace_section`` writes it
between two marker lines of a text file.
"""

from __future__ import annotations

import csv
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gialib import paths

SUFFIX = ".benchmark.tsv"
LOGS = paths.ROOT + "/logs"
REQUIRED = ("s", "max_rss", "cpu_time")
MISSING = ("NA", "-", "")
START, END = "<!-- timing-table:start -->", "<!-- timing-table:end -->"


@dataclass(frozen=True)
class JobTiming:
    stage: str
    path: str
    seconds: float
    cpu_seconds: float | None  # None: not sampled (job too short)
    max_rss_mb: float | None


@dataclass(frozen=True)
class StageTiming:
    stage: str
    jobs: int
    seconds: float  # summed wall time of the jobs
    mean_seconds: float
    max_seconds: float
    cpu_seconds: float  # summed over the jobs that were sampled
    max_rss_mb: float | None


def _number(value: str, column: str, where: Path) -> float | None:
    if value.strip() in MISSING:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"benchmark file {where}: column {column!r} holds {value!r}, not a number") from exc


def read_benchmark(path: Path, logs: Path) -> JobTiming:
    """One job's timing; with several rows (``--benchmark-repeats``), their means."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise ValueError(f"benchmark file {path} has no rows")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise ValueError(f"benchmark file {path} lacks column(s) {missing}; has {list(rows[0])}")

    def mean(column: str) -> float | None:
        values = [_number(r[column], column, path) for r in rows]
        values = [v for v in values if v is not None]
        return statistics.fmean(values) if values else None

    seconds = mean("s")
    if seconds is None:
        raise ValueError(f"benchmark file {path} has no wall time (column 's')")
    stage = path.relative_to(logs).parts[0]
    return JobTiming(stage, str(path), seconds, mean("cpu_time"), mean("max_rss"))


def collect(logs: str | Path = LOGS) -> list[JobTiming]:
    """Every job's timing under ``logs`` (a run's ``results/logs``), in path order."""
    logs = Path(logs)
    if not logs.is_dir():
        raise FileNotFoundError(f"no log folder {logs}: run the workflow first")
    files = sorted(logs.rglob("*" + SUFFIX))
    if not files:
        raise FileNotFoundError(f"no *{SUFFIX} file under {logs}: run the workflow first")
    return [read_benchmark(f, logs) for f in files]


def stage_table(jobs: list[JobTiming]) -> list[StageTiming]:
    """Per stage, the jobs' count, summed / mean / longest wall time, CPU time, peak memory;
    the stages that took longest first."""
    by_stage: dict[str, list[JobTiming]] = {}
    for job in jobs:
        by_stage.setdefault(job.stage, []).append(job)
    rows = []
    for stage, group in by_stage.items():
        wall = [j.seconds for j in group]
        rss = [j.max_rss_mb for j in group if j.max_rss_mb is not None]
        rows.append(StageTiming(stage, len(group), sum(wall), statistics.fmean(wall), max(wall),
                                sum(j.cpu_seconds for j in group if j.cpu_seconds is not None),
                                max(rss) if rss else None))
    return sorted(rows, key=lambda r: (-r.seconds, r.stage))


def markdown(rows: list[StageTiming]) -> str:
    """The timing table, with a total row (summed job time; with several cores the run's
    wall time is shorter)."""
    lines = ["| stage | jobs | job time, summed (s) | mean (s) | longest (s) | CPU time (s) "
             "| peak memory (MB) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rss = f"{r.max_rss_mb:,.0f}" if r.max_rss_mb is not None else "n/a"
        lines.append(f"| {r.stage} | {r.jobs} | {r.seconds:,.1f} | {r.mean_seconds:.2f} | "
                     f"{r.max_seconds:.2f} | {r.cpu_seconds:,.1f} | {rss} |")
    jobs = sum(r.jobs for r in rows)
    total = sum(r.seconds for r in rows)
    cpu = sum(r.cpu_seconds for r in rows)
    rss_all = [r.max_rss_mb for r in rows if r.max_rss_mb is not None]
    peak = f"{max(rss_all):,.0f}" if rss_all else "n/a"
    lines.append(f"| **all** | {jobs} | {total:,.1f} | {total / jobs:.2f} | "
                 f"{max(r.max_seconds for r in rows):.2f} | {cpu:,.1f} | {peak} |")
    return "\n".join(lines) + "\n"


def replace_section(path: str | Path, table: str) -> None:
    """Put ``table`` between the START and END marker lines of ``path`` (atomically)."""
    path = Path(path)
    text = path.read_text()
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{path} needs one {START!r} line followed by one {END!r} line")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{head}{START}\n{table}{END}{tail}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
