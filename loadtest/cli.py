"""loadtest: benchmark six web stacks behind one HTTP contract, on real databases.

Start with `loadtest list`, `loadtest sweep --quick --dry-run`, then `loadtest sweep --quick`.
`loadtest <command> --help` shows each command's options and their defaults."""

from __future__ import annotations

import argparse
import sys

from . import commands
from .errors import HarnessError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loadtest", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="command")
    commands.register_all(sub)
    return p


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def main() -> None:
    try:
        code = run()
    except HarnessError as e:  # every error the harness expects, reported in one place
        print(f"loadtest: error: {e}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
