"""loadtest: benchmark six web stacks behind one HTTP contract, on real databases.

Start with `loadtest list`, `loadtest sweep --quick --dry-run`, then `loadtest sweep --quick`.
`loadtest <command> --help` shows each command's options and their defaults. Every list option
is a repeatable flag that also takes a comma-separated value (--scenario fib,users); --out is
always a folder; every command that measures takes --dry-run."""

from __future__ import annotations

import argparse
import sys
import textwrap

from . import commands
from .core import errors
from .core.errors import HarnessError
from .core.version import VersionAction


def epilog() -> str:
    lines = [textwrap.fill(text, 96, initial_indent=f"  {code:<4} ",
                           subsequent_indent=" " * 7, break_on_hyphens=False)
             for code, text in errors.EXIT_CODES]
    return "exit status (the same for every command):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loadtest", description=__doc__, epilog=epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action=VersionAction,
                   help="print the harness's version (and its git commit in a checkout), then exit")
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
        code = errors.exit_code(e)
    except KeyboardInterrupt:
        code = errors.INTERRUPTED
    sys.exit(code)
