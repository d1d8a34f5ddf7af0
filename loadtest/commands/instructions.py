"""`instructions`: instructions per request under valgrind's cachegrind (loadtest/measurement/instructions.py)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import UTC, datetime

from ..core.config import RESULTS_DIR
from ..core.errors import FINDING, OK, UsageError
from ..core.help import Formatter
from ..measurement import instructions
from ..scenarios import SCENARIOS
from ..servers import manifest, variants
from . import options

DEFAULT_SCENARIOS = [name for name, s in SCENARIOS.items() if not s.upstream and not s.params]

DESCRIPTION = f"""\
Instructions per request: each service runs under valgrind's cachegrind (its whole process
tree), is sent a fixed number of requests of one scenario on one keep-alive connection, and
is stopped; the figure is the difference between two such counts, (I(N2) - I(N1)) / (N2 - N1),
so start-up, warm-up (the first N1 requests) and shutdown cancel. Each pair is counted twice to
show how well the figure repeats. Writes instructions.json and instructions.md in --out.

A count, the same whatever else the machine is doing. What it is not:
{chr(10).join(textwrap.fill(text, 94, initial_indent="  - ", subsequent_indent="    ") for text in instructions.NOT)}
A service under cachegrind runs 30-50x slower: start-up takes a minute, and a scenario whose
parameter scales its work needs a small value."""


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("instructions", formatter_class=Formatter, description=DESCRIPTION,
                       help="instructions per request under cachegrind (a count, not a time)")
    c.add_argument("services", nargs="+", action=options.ListAction,
                   help="services to count; SERVICE~VARIANT is a variant, SERVICE~all all of them")
    options.add_list(c, "--scenario", dest="scenarios", names=SCENARIOS, default=DEFAULT_SCENARIOS,
                     help=f"scenarios, of: {', '.join(SCENARIOS)} (default: those that neither wait on "
                          f"an upstream nor take a parameter: {', '.join(DEFAULT_SCENARIOS)})")
    options.add_list(c, "--counts", dest="counts", convert=int, metavar="N1,N2",
                     default=list(instructions.COUNTS),
                     help=f"the two request counts (default: {','.join(map(str, instructions.COUNTS))})")
    c.add_argument("--repeats", type=int, default=instructions.REPEATS,
                   help="how many times each pair of counts is made (2: their difference is reported)")
    for scenario in SCENARIOS.values():  # each scenario's own settings
        for param in scenario.params:
            c.add_argument(param.flag, dest=param.name, type=int, default=param.default,
                           help=f"{param.help} ({scenario.name}; default: %(default)s; keep it small)")
    c.add_argument("--by-layer", action="store_true",
                   help="count under callgrind instead (slower) and split each request's instructions by "
                        "layer: HTTP server, event loop, driver, JSON, interpreter, GC... "
                        "(loadtest/measurement/layers.toml; default: off)")
    c.add_argument("--skip-gate", action="store_true",
                   help="DEVELOPMENT ONLY: count without the contract gate (recorded)")
    options.add_out(c, "instructions.json, instructions.md and raw/ (valgrind's files per run) "
                       "(default: results/<UTC time>-instructions)")
    options.add_dry_run(c)
    c.set_defaults(func=cmd_instructions)


def plan_from(args: argparse.Namespace) -> instructions.Plan:
    if len(args.counts) != 2:
        raise UsageError(f"--counts {','.join(map(str, args.counts))}: exactly two request counts, N1,N2")
    services = variants.expand(args.services)
    for name in services:
        manifest.load(name)  # an unknown service or variant fails here, before anything starts
    params = {p.name: getattr(args, p.name) for s in SCENARIOS.values() for p in s.params}
    return instructions.Plan(services, list(args.scenarios), (args.counts[0], args.counts[1]),
                             args.repeats, params, args.skip_gate, args.by_layer)


def cmd_instructions(args: argparse.Namespace) -> int:
    plan = plan_from(args)
    if args.dry_run:
        print("\n".join(plan.lines()))
        return OK
    out = args.out or RESULTS_DIR / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-instructions"
    options.out_file(out, "instructions.json")  # a file given as --out is refused before anything runs
    doc = instructions.measure(plan, out, ["loadtest", *sys.argv[1:]])
    print(instructions.markdown(doc))
    print(f"written: {out / 'instructions.json'}, {out / 'instructions.md'}")
    failed = [name for name, entry in doc["services"].items() if entry["status"] != "measured"]
    return FINDING if failed else OK
