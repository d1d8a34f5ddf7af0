"""`sweep`: gate, then load every service level by level; write results/ (loadtest/sweep.py)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from .. import report, runtime, sweep, tools
from ..core.errors import FINDING, OK
from ..core.help import Formatter
from ..measurement import calibrate, noise, plan
from ..measurement.plan import DEFAULTS, QUICK, human
from ..scenarios import SCENARIOS
from . import options


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("sweep", formatter_class=Formatter,
                       help="gate, then load every service level by level; write results/")
    s.add_argument("services", nargs="*", action=options.ListAction,
                   help="services to measure (default: every manifest); SERVICE~VARIANT is the service "
                        "with services/SERVICE/variants/VARIANT.patch applied, SERVICE~all all of them")
    options.add_list(s, "--scenario", dest="scenario", names=SCENARIOS,
                     help=f"scenarios to measure, one of: {', '.join(SCENARIOS)} (default: all; "
                          f"--quick {' and '.join(QUICK['scenarios'])})")
    s.add_argument("--tool", choices=list(tools.TOOLS),
                   help="closed-loop generator (default: the one `loadtest calibrate` found with the "
                        "highest ceiling on this machine, else oha)")
    s.add_argument("--levels", help=f"users: start:stop:step or a list (default {DEFAULTS['levels']}; "
                                    f"--quick {QUICK['levels']})")
    s.add_argument("--duration", help=f"per level (default {DEFAULTS['duration']}; --quick {QUICK['duration']})")
    s.add_argument("--warmup", help=f"before the first level of each scenario (default "
                                    f"{DEFAULTS['warmup']}; --quick {QUICK['warmup']})")
    s.add_argument("--pause", help=f"between levels (default {DEFAULTS['pause']}; --quick {QUICK['pause']})")
    s.add_argument("--rounds", type=int, help=f"rounds of the curve's interleaved cells (default {DEFAULTS['rounds']}; "
                                              f"--quick {QUICK['rounds']}); an interval needs 3 rounds or more")
    s.add_argument("--headline-rounds", type=int,
                   help=f"rounds of the headline part: README's comparisons (loadtest/headline.toml) "
                        f"measured in blocks, A B B A, at one plateau level, before the curve; a scenario's "
                        f"block comes in its share of them (headline.toml) (default "
                        f"{DEFAULTS['headline_rounds']}; --quick {QUICK['headline_rounds']}; 0: no headline part)")
    s.add_argument("--headline", action="store_true",
                   help="the headline part alone, without the 10 to 100 users curve")
    s.add_argument("--seed", type=int, help="seed of the measurement order (default: a random one, recorded)")
    s.add_argument("--quick", action="store_true",
                   help=f"a first look: {' and '.join(QUICK['scenarios'])}, {QUICK['levels']} users, "
                        f"{QUICK['duration']} each")
    s.add_argument("--open-loop", action="store_true",
                   help="also constant arrival rate at 25/50/75/90%% of the closed-loop peak")
    s.add_argument("--no-keepalive", action="store_true", help="a new connection per request")
    for scenario in SCENARIOS.values():  # each scenario's own settings, e.g. --fib-n
        for param in scenario.params:
            s.add_argument(param.flag, dest=param.name, type=int, default=param.default,
                           help=f"{param.help} ({scenario.name}; default: %(default)s)")
    s.add_argument("--skip-gate", action="store_true",
                   help="DEVELOPMENT ONLY: measure without the contract gate (recorded in results)")
    s.add_argument("--runtime", choices=list(runtime.RUNTIMES), default="native",
                   help="native: each service in its own cgroup, servers on loopback; compose: the "
                        "compose stack, CPU and memory from the Docker Engine API")
    s.add_argument("--label", default="sweep", help="the end of the results directory's name")
    options.add_out(s, "the run's results.json, reports and raw outputs (default: results/<UTC time>-<label>)")
    options.add_dry_run(s)
    s.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    p = plan.from_args(args)
    if args.dry_run:
        print_dry_run(p)
        return 0
    console = Console()
    rf = sweep.run(p, args.label, args.out, ["loadtest", *sys.argv[1:]], console)
    doc = rf.document()
    report.print_summary(doc, console)
    console.print(f"results: {rf.path}\nreport:  {rf.dir / 'report.md'}\n         {rf.dir / 'report.html'}")
    return FINDING if doc.failed_services() else OK


def print_dry_run(p: plan.SweepPlan) -> None:
    """Plain lines, never wrapped or cut: a script may read them."""
    print(f"services:  {', '.join(p.services)}")
    print(f"scenarios: {', '.join(p.scenarios)}")
    print(f"levels:    {p.levels} users{' + open loop at ' + str(p.open_loop_fractions) + ' of each peak' if p.open_loop else ''}")
    print(f"each:      {p.duration_s:g} s, warm-up {p.warmup_s:g} s, pause {p.pause_s:g} s; "
                  f"tools {', '.join(p.tools())}; runtime {p.runtime}; keep-alive {'on' if p.keepalive else 'off'}")
    h = p.headline()
    if p.headline_rounds and h.comparisons:
        pairs = ", ".join(f"{c.numerator}/{c.denominator} {c.scenario}" for c in h.comparisons)
        blocks = ", ".join(f"{scenario} {n}" for scenario, n in p.headline_blocks().items())
        print(f"headline:  {p.headline_rounds} rounds, {p.headline_visits()} visits in blocks at {h.users} users "
              f"(blocks: {blocks}); ratios: {pairs}")
    else:
        print("headline:  none")
    if p.curve:
        print(f"curve:     {p.rounds} rounds, {p.cells_per_round()} cells per round")
    else:
        print("curve:     none (--headline)")
    probe = p.probe()
    if probe:
        calibration = calibrate.load()
        last = calibration.noise if calibration else None
        sd = last.log_sd if last else None
        print(f"probe:     {probe.levels} visits of {' and '.join(probe.services)} in turn on {probe.scenario} "
              "before the headline part; "
              + (f"the last one here ({last.measured_at or '?'}): {noise.verdict(sd, probe.quiet_sd, p.headline_blocks())}"
                 if last and sd else "no earlier probe on this checkout to predict the precision from"))
    print(f"order:     seed {p.seed}")
    print(f"expected:  about {human(p.expected_seconds())}")
