"""`loadtest chaos`: arguments, the plan --dry-run prints, and the guard that keeps it off the
shared servers."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..commands import options
from ..core.config import ROOT, port_offset
from ..core.errors import FINDING, OK, UsageError
from ..core.help import Formatter
from ..measurement.plan import human
from ..servers import manifest
from . import runner, table
from .context import PROFILES, Profile
from .faults import FAULTS

# Chaos stops and starts servers: by default it gets its own set (own data, ports + 300).
OWN_SERVERS = {"BENCH_RUN_DIR": str(ROOT / ".bench-chaos"), "BENCH_PORT_OFFSET": "300"}


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("chaos", help="faults, overload and a kill under load; check nothing is lost",
                       formatter_class=Formatter)
    c.add_argument("services", nargs="*", action=options.ListAction, help="services to test (default: every manifest)")
    options.add_list(c, "--fault", dest="faults", names=FAULTS, default=list(FAULTS), aliases=("--faults",),
                     help=f"which faults, in the order given, of: {', '.join(FAULTS)} (default: all, "
                          "in that order)")
    c.add_argument("--profile", choices=list(PROFILES), default="full",
                   help="full (documented durations) or quick (CI's shorter subset)")
    options.add_out(c, "results.json, reliability.md and raw/ (default: results/chaos-<UTC time>)")
    c.add_argument("--docs", type=Path, metavar="FILE",
                   help="also write the table to this page (e.g. docs/reliability.md)")
    options.add_dry_run(c)
    c.set_defaults(func=cmd_chaos)


def cmd_chaos(args: argparse.Namespace) -> int:
    if args.dry_run:
        print_dry_run(args.services, args.faults, PROFILES[args.profile])
        return 0
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
    return FINDING if doc.failures() else OK


def print_dry_run(services: list[str], faults: list[str], profile: Profile) -> None:
    names = [m.name for m in (map(manifest.load, services) if services else manifest.load_all())]
    per_service = profile.repeats * sum(fault_seconds(f, profile) for f in faults)
    print(f"services:  {', '.join(names)} (one after the other, each built and started)")
    print(f"faults:    {', '.join(faults)} (on each service, in this order)")
    print(f"profile:   {profile.name}; each fault {profile.repeats} time(s) per service, the worst reported")
    print(f"expected:  about {human(len(names) * per_service)} under load ({human(per_service)} per "
          "service), plus builds and starts")


def fault_seconds(name: str, p: Profile) -> float:
    """What a fault holds the service under load, from the profile; within 10 % of the seconds
    the full run of 2026-12-01 recorded per fault (docs/results/2026-12-01-chaos)."""
    if name == "overload":
        return p.throughput_s + p.overload_s + p.recovery_window_s
    if name == "external":
        return 2 * p.before_s + p.stall_s + p.error_s + p.after_s + p.settle_s
    if name == "kill":
        return p.before_s + p.after_s + 2
    if name in ("postgres", "mariadb"):
        return p.before_s + p.outage_s + p.after_s
    if name == "restart-postgres-idle":
        return p.before_s + p.idle_s + 3 + p.cold_errors_s + p.recovery_limit_s + p.after_s
    if name in ("readonly-postgres", "combined"):
        return 3 * p.before_s + p.outage_s + p.after_s + 3
    if name == "trickle-external":
        return p.before_s + p.stall_s + p.after_s + p.trickle_s
    if name == "slowloris":
        return p.before_s + p.slow_clients_s + p.after_s
    if name == "sigterm":
        return max(p.before_s, 2 * p.in_flight_s) + p.after_s + 4
    if name == "memcached":
        return p.before_s + p.outage_s + p.after_s + p.recovery_limit_s
    return p.before_s + p.hang_s + p.after_s + p.recovery_limit_s  # hung, slow, black-holed, reset
