"""Where the harness's subcommands (sweep, calibrate, report, compare, chaos) register."""

from __future__ import annotations

import argparse
import sys

from .scenarios import SCENARIOS


def register(sub: argparse._SubParsersAction) -> None:
    """Add each harness subcommand's parser; each module owns its arguments."""
    s = sub.add_parser("sweep", help="gate, then load every service level by level; write results/")
    s.add_argument("services", nargs="*", help="services to measure (default: every manifest)")
    s.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                   help="repeat for several (default: all six)")
    s.add_argument("--tool", choices=["oha", "k6"], default="oha", help="closed-loop generator")
    s.add_argument("--levels", help="users: start:stop:step or a list (default 10:100:10)")
    s.add_argument("--duration", help="per level (default 10s)")
    s.add_argument("--warmup", help="before the first level of each scenario (default 5s)")
    s.add_argument("--pause", help="between levels (default 2s)")
    s.add_argument("--quick", action="store_true",
                   help="a first look: devices-get and fib, 10/50/100 users, 2 s each")
    s.add_argument("--open-loop", action="store_true",
                   help="also constant arrival rate (k6) at 25/50/75/90%% of the closed-loop peak")
    s.add_argument("--no-keepalive", action="store_true", help="a new connection per request")
    s.add_argument("--fib-n", type=int, default=25)
    s.add_argument("--external-delay", type=int, default=500, help="mock delay in ms (fetch-external)")
    s.add_argument("--skip-gate", action="store_true",
                   help="DEVELOPMENT ONLY: measure without the contract gate (recorded in results)")
    s.add_argument("--runtime", choices=["native", "compose"], default="native",
                   help="native: each service in its own cgroup, servers on loopback (default); "
                        "compose: the compose stack, CPU and memory from the Docker Engine API")
    s.add_argument("--label", default="sweep")
    s.add_argument("--out", help="results directory (default results/<UTC time>-<label>)")
    s.set_defaults(func=cmd_sweep)

    c = sub.add_parser("calibrate", help="measure each load generator's ceiling on its core")
    c.add_argument("--users", type=int, default=64)
    c.add_argument("--duration", default="5s")
    c.add_argument("--tools", nargs="+", choices=["oha", "k6"], default=["oha", "k6"])
    c.set_defaults(func=cmd_calibrate)

    r = sub.add_parser("report", help="rebuild report.md and report.html from DIR/results.json")
    r.add_argument("dir")
    r.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="two runs side by side with ratios (B/A)")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--out", help="also write the markdown here")
    p.set_defaults(func=cmd_compare)

    from .chaos import cli as chaos_cli  # faults under load: loadtest/chaos/

    chaos_cli.register(sub)


def _console():
    from rich.console import Console

    return Console()


def cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import plan, report, sweep
    from .procs import InfraError

    try:
        p = plan.from_args(args)
    except ValueError as e:
        raise InfraError(str(e)) from e
    console = _console()
    rf = sweep.run(p, args.label, Path(args.out) if args.out else None, ["loadtest", *sys.argv[1:]], console)
    report.print_summary(rf.doc, console)
    console.print(f"results: {rf.path}\nreport:  {rf.dir / 'report.md'}\n         {rf.dir / 'report.html'}")
    failed = [n for n, s in rf.doc["services"].items() if s["status"] != "measured"]
    return 1 if failed else 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from . import calibrate

    return calibrate.cmd_calibrate(args, _console())


def cmd_report(args: argparse.Namespace) -> int:
    from . import report

    return report.cmd_report(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from . import compare

    return compare.cmd_compare(args)
