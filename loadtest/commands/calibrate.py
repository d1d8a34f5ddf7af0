"""`calibrate`: checks of the load generators on this machine (loadtest/measurement/calibrate.py)."""

from __future__ import annotations

import argparse

from rich.console import Console

from .. import tools
from ..core.errors import UsageError
from ..core.help import Formatter
from ..measurement import calibrate
from ..measurement.plan import human, parse_duration
from ..servers import manifest
from . import options

DESCRIPTION = """\
Checks of the load generators themselves, written to results/calibration.json (each check
replaces its own section; the others are kept). Benchmark checks, not tests: run them on a
quiet machine; the sweep reads the ceilings to flag generator-bound levels.

  ceilings   each tool against a trivial server (the external mock, delay 0, 1 vCPU): its
             ceiling, and closed_loop_default, the closed-loop tool (oha or wrk) with the
             highest ceiling
  agreement  wrk and oha against a real service at a level neither bounds: successful
             requests/s within 10 %
  open-loop  oha -q --latency-correction (the harness's open loop) and k6's constant arrival
             rate at a fraction of the service's closed-loop peak: p99 within 2x, rates held"""


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("calibrate", formatter_class=Formatter, description=DESCRIPTION,
                       help="check the load generators: ceilings, wrk/oha agreement, open loop")
    options.add_list(c, "--check", dest="checks", names=calibrate.CHECKS, default=list(calibrate.CHECKS),
                     aliases=("--checks",), help=f"which checks to run (always in this order): "
                                                 f"{', '.join(calibrate.CHECKS)} (default: all)")
    c.add_argument("--users", type=int, default=64, help="ceilings: concurrent connections of each tool")
    c.add_argument("--duration", default="5s", help="ceilings: how long each tool runs")
    options.add_list(c, "--tool", dest="tools", names=tools.TOOLS, default=list(tools.TOOLS), aliases=("--tools",),
                     help=f"ceilings: which load tools, of: {', '.join(tools.TOOLS)} (default: all)")
    c.add_argument("--service", default=calibrate.CheckPlan.service,
                   help="agreement, open-loop: the service measured (built and started in its 1-vCPU box)")
    c.add_argument("--scenario", choices=calibrate.CHECK_SCENARIOS, default=calibrate.CheckPlan.scenario,
                   help="agreement, open-loop: the request sent (reads only: no hooks run)")
    c.add_argument("--check-duration", default=f"{calibrate.CheckPlan.duration_s:g}s",
                   help="agreement, open-loop: how long each run lasts (whole seconds for wrk)")
    c.add_argument("--agreement-users", type=int, default=calibrate.CheckPlan.agreement_users,
                   help="agreement: connections of wrk and of oha (a level neither tool bounds)")
    c.add_argument("--peak-users", type=int, default=calibrate.CheckPlan.peak_users,
                   help="open-loop: connections of the closed-loop peak run, and of the open-loop runs")
    c.add_argument("--fraction", type=float, default=calibrate.CheckPlan.fraction,
                   help="open-loop: the arrival rate as a fraction of the closed-loop peak")
    options.add_dry_run(c)
    c.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    console = Console()
    if not 0 < args.fraction < 1:
        raise UsageError(f"--fraction {args.fraction}: a fraction of the peak, between 0 and 1")
    if args.dry_run:
        print_dry_run(args)
        return 0
    previous = calibrate.load()
    data = {}
    if "ceilings" in args.checks:
        data = calibrate.measure(args.users, parse_duration(args.duration), args.tools, console)
        _print_ceilings(console, data)
    if {"agreement", "open-loop"} & set(args.checks):
        manifest.load(args.service)  # an unknown service fails here, before anything starts
        plan = calibrate.CheckPlan(args.service, args.scenario, parse_duration(args.check_duration),
                                   args.agreement_users, args.peak_users, args.fraction)
        data |= calibrate.service_checks(plan, args.checks, calibrate.merge(previous, data), console)
        _print_checks(console, data)
    calibrate.save(calibrate.merge(previous, data))
    console.print(f"saved {calibrate.CALIBRATION_FILE}")
    return 0


def print_dry_run(args: argparse.Namespace) -> None:
    """The checks in the order they run and the time their load takes (builds and starts aside)."""
    each, total = parse_duration(args.check_duration), 0.0
    if "ceilings" in args.checks:
        seconds = len(args.tools) * parse_duration(args.duration)
        total += seconds
        print(f"ceilings:  {', '.join(args.tools)} against the trivial mock, {args.users} users, "
                      f"{args.duration} each: {human(seconds)}")
    if {"agreement", "open-loop"} & set(args.checks):
        manifest.load(args.service)  # an unknown service is a usage error here too
    if "agreement" in args.checks:
        total += 2 * each
        print(f"agreement: wrk then oha on {args.service} {args.scenario}, {args.agreement_users} "
                      f"users, {args.check_duration} each: {human(2 * each)}")
    if "open-loop" in args.checks:
        total += 3 * each
        print(f"open-loop: oha peak at {args.peak_users} users, then oha and k6 at "
                      f"{args.fraction:.0%} of it, {args.check_duration} each: {human(3 * each)}")
    print(f"expected:  about {human(total)} of load, plus building and starting what it needs; "
                  f"writes {calibrate.CALIBRATION_FILE}")


def _print_ceilings(console: Console, data: dict) -> None:
    for tool, c in data["tools"].items():
        console.print(f"{tool}: {c['rps']:,.0f} req/s, generator CPU {c['cpu_percent_of_core']:.0f} % "
                      f"of a core, target CPU {c['target_cpu_percent_of_quota'] or 0:.0f} % of its "
                      f"quota -> limited by {c['limited_by']}")
    console.print(f"closed-loop default: {data['closed_loop_default']} ({data['closed_loop_default_basis']})")


def _print_checks(console: Console, data: dict) -> None:
    if a := data.get("agreement"):
        rates = ", ".join(f"{name} {run['ok_rps'] or 0:,.0f} req/s" for name, run in a["runs"].items())
        console.print(f"agreement: {rates}, ratio {_num(a['ratio'])} -> agree: {a['agree']}"
                      + (f" (generator-bound: {', '.join(a['generator_bound'])})" if a["generator_bound"] else ""))
    if o := data.get("open_loop"):
        console.print(f"open loop at {o['rate']:,.0f}/s ({o['fraction']:.0%} of {o['peak']['ok_rps'] or 0:,.0f}):")
        for name, r in o["runs"].items():
            console.print(f"  {name}: sent {r['sent_rps']:,.0f}/s, p99 {_num(r['p99_ms'])} ms, dropped "
                          f"{r['dropped']}, CPU {r['cpu_us_per_request'] or 0:.0f} µs/request")
        console.print(f"  p99 ratio {_num(o.get('p99_ratio'))} (limit {calibrate.OPEN_LOOP_P99_LIMIT:g}x) "
                      f"-> within: {o['within']}")


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
