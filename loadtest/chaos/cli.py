"""`loadtest chaos`: arguments, and the guard that keeps it off the shared servers."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..config import ROOT, port_offset
from ..errors import UsageError
from ..help import Formatter
from . import runner, table
from .context import PROFILES
from .faults import FAULTS

# Chaos stops and starts servers: by default it gets its own set (own data, ports + 300).
OWN_SERVERS = {"BENCH_RUN_DIR": str(ROOT / ".bench-chaos"), "BENCH_PORT_OFFSET": "300"}


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("chaos", help="faults, overload and a kill under load; check nothing is lost",
                       formatter_class=Formatter)
    c.add_argument("services", nargs="*", help="services to test (default: every manifest)")
    c.add_argument("--faults", nargs="+", choices=list(FAULTS), default=list(FAULTS),
                   help="which faults, in this order")
    c.add_argument("--profile", choices=list(PROFILES), default="full",
                   help="full (documented durations) or quick (CI's shorter subset)")
    c.add_argument("--out", type=Path, help="results directory (default: results/chaos-<UTC time>)")
    c.add_argument("--docs", type=Path, help="also write the table here (e.g. docs/reliability.md)")
    c.set_defaults(func=cmd_chaos)


def cmd_chaos(args: argparse.Namespace) -> int:
    if "BENCH_PORT_OFFSET" not in os.environ and "BENCH_RUN_DIR" not in os.environ:
        os.environ.update(OWN_SERVERS)  # read when the servers start, not at import
    if port_offset() == 0:
        raise UsageError("chaos stops servers: give it its own set, e.g. BENCH_RUN_DIR=.bench-chaos "
                         "BENCH_PORT_OFFSET=300 (the default when both are unset)")
    command = "uv run loadtest " + shlex.join(sys.argv[1:])
    doc, directory = runner.run(args.services, args.faults, PROFILES[args.profile], args.out, command)
    if args.docs:
        args.docs.write_text(table.markdown(doc))
    print(f"results: {directory / 'results.json'}\ntable:   {directory / 'reliability.md'}"
          + (f"\n         {args.docs}" if args.docs else ""))
    failed = [f"{s}/{f}" for s, e in doc["services"].items() for f, r in e.get("faults", {}).items()
              if not r["passed"]] + [s for s, e in doc["services"].items() if e["status"] == "not started"]
    return 1 if failed else 0
