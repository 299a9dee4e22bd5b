"""The timing table: built from Snakemake's benchmark files, and every job leaves one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from snakemake.benchmark import BenchmarkRecord, write_benchmark_records

from gialib.timing import END, START, collect, markdown, replace_section, stage_table

REPO = Path(__file__).resolve().parents[1]


def _record(path: Path, seconds: float, rss: float | None = None, cpu: float | None = None) -> None:
    """A benchmark file as Snakemake writes it (``rss=None``: a job too short to sample)."""
    rec = BenchmarkRecord(running_time=seconds, max_rss=rss, cpu_time=cpu)
    rec.data_collected = rss is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_benchmark_records([rec], str(path), extended_fmt=False)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    logs = tmp_path / "results" / "logs"
    _record(logs / "attack/packaged/a/trials~2.benchmark.tsv", 30.0, rss=500.0, cpu=29.0)
    _record(logs / "attack/packaged/b/trials~2.benchmark.tsv", 50.0, rss=700.0, cpu=48.0)
    _record(logs / "score/packaged/a/trials~2.benchmark.tsv", 4.0, rss=300.0, cpu=3.5)
    _record(logs / "provenance/run/config.benchmark.tsv", 0.5)  # not sampled: NA columns
    (logs / "attack/packaged/a/trials~2.log").write_text("not a benchmark file\n")
    return logs


def test_stage_table_sums_per_stage_longest_first(logs: Path) -> None:
    rows = stage_table(collect(logs))
    assert [r.stage for r in rows] == ["attack", "score", "provenance"]
    attack, score, prov = rows
    assert (attack.jobs, attack.seconds, attack.mean_seconds, attack.max_seconds) == (2, 80.0, 40.0, 50.0)
    assert attack.cpu_seconds == pytest.approx(77.0) and attack.max_rss_mb == pytest.approx(700.0)
    assert score.jobs == 1 and score.seconds == pytest.approx(4.0)
    assert prov.max_rss_mb is None and prov.cpu_seconds == 0.0  # NA is missing, not zero memory


def test_markdown_has_a_row_per_stage_and_a_total(logs: Path) -> None:
    table = markdown(stage_table(collect(logs)))
    lines = table.strip().splitlines()
    assert len(lines) == 2 + 3 + 1
    assert lines[2].startswith("| attack | 2 | 80.0 | 40.00 | 50.00 | 77.0 | 700 |")
    assert "| provenance | 1 | 0.5 |" in table and "| n/a |" in table
    assert lines[-1] == "| **all** | 4 | 84.5 | 21.12 | 50.00 | 80.5 | 700 |"


def test_replace_section_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{START}\nold table\n{END}\nafter\n")
    replace_section(readme, "| new |\n")
    assert readme.read_text() == f"# title\n\nbefore\n{START}\n| new |\n{END}\nafter\n"
    replace_section(readme, "| newer |\n")  # idempotent shape: markers stay
    assert readme.read_text().count(START) == 1 and "| new |" not in readme.read_text()


def test_replace_section_needs_both_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"no end marker\n{START}\n")
    with pytest.raises(ValueError, match="timing-table:end"):
        replace_section(readme, "| t |\n")
    assert readme.read_text() == f"no end marker\n{START}\n"


def test_bad_benchmark_files_are_named(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    with pytest.raises(FileNotFoundError, match="run the workflow first"):
        collect(logs)
    logs.mkdir()
    with pytest.raises(FileNotFoundError, match="benchmark.tsv"):
        collect(logs)
    bad = logs / "attack" / "x.benchmark.tsv"
    bad.parent.mkdir()
    bad.write_text("h:m:s\tmax_rss\n0:00:01\t3\n")
    with pytest.raises(ValueError, match=r"x\.benchmark\.tsv lacks column\(s\) \['s', 'cpu_time'\]"):
        collect(logs)
    bad.write_text("s\tmax_rss\tcpu_time\nslow\t3\t1\n")
    with pytest.raises(ValueError, match="column 's' holds 'slow'"):
        collect(logs)


def _rule_blocks() -> dict[str, str]:
    blocks = {}
    for smk in sorted((REPO / "rules").glob("*.smk")):
        parts = re.split(r"^\s*rule (\w+):\s*$", smk.read_text(), flags=re.M)
        blocks.update(dict(zip(parts[1::2], parts[2::2], strict=True)))
    return blocks


def _directive(block: str, name: str) -> str | None:
    match = re.search(rf"^(\s+){name}:\n\1\s+(.+?),?\s*$", block, flags=re.M)
    return match.group(2) if match else None


def test_every_job_rule_leaves_a_benchmark_file_next_to_its_log() -> None:
    blocks = _rule_blocks()
    jobs = {name: b for name, b in blocks.items() if "script:" in b}
    assert {"attack", "score", "train", "initialize", "prepare_data"} <= set(jobs)
    for name, block in jobs.items():
        log, bench = _directive(block, "log"), _directive(block, "benchmark")
        assert bench is not None, f"rule {name} has no benchmark: directive"
        assert bench == f'{log}.removesuffix(".log") + ".benchmark.tsv"', f"rule {name}: {bench}"
