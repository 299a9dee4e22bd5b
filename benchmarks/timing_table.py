"""The README's timing table: time and memory per stage, from the run's benchmark files.

Every rule's ``benchmark:`` directive leaves ``results/logs/<stage>/....benchmark.tsv``;
this prints their per-stage sums as a Markdown table (``gialib.timing``), and with
``--readme README.md`` writes it between the README's timing-table marker lines.

    python benchmarks/timing_table.py [--logs results/logs] [--readme README.md]
"""

from __future__ import annotations

import argparse

from gialib.timing import LOGS, collect, markdown, replace_section, stage_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", default=LOGS, help="a run's log folder")
    ap.add_argument("--readme", default=None, help="file whose timing-table section to replace")
    args = ap.parse_args()
    table = markdown(stage_table(collect(args.logs)))
    print(table, end="")
    if args.readme:
        replace_section(args.readme, table)


if __name__ == "__main__":
    main()
