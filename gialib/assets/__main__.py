"""``python -m gialib.assets [--config FILE] [--only data|lpips]``: fetch what the config needs."""

from __future__ import annotations

import argparse
import logging

import yaml

from gialib.assets import ASSETS, setup


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gialib.assets", description=__doc__)
    parser.add_argument("--config", default="config/config.yaml", help="config whose paths are filled")
    parser.add_argument("--only", action="append", choices=sorted(ASSETS), help="one step (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with open(args.config) as fh:
        config = yaml.safe_load(fh)
    setup(config, args.only)


if __name__ == "__main__":
    main()
