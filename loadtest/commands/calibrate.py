"""`calibrate`: each load generator's ceiling on its core (loadtest/calibrate.py)."""

from __future__ import annotations

import argparse

from rich.console import Console

from .. import calibrate, tools
from ..plan import parse_duration


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("calibrate", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       help="measure each load generator's ceiling on its core")
    c.add_argument("--users", type=int, default=64, help="concurrent connections of each tool")
    c.add_argument("--duration", default="5s", help="how long each tool runs")
    c.add_argument("--tools", nargs="+", choices=list(tools.TOOLS), default=list(tools.TOOLS),
                   help="which tools")
    c.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    console = Console()
    data = calibrate.measure(args.users, parse_duration(args.duration), args.tools, console)
    calibrate.save(data)
    for tool, c in data["tools"].items():
        console.print(f"{tool}: {c['rps']:,.0f} req/s, generator CPU {c['cpu_percent_of_core']:.0f} % "
                      f"of a core, target CPU {c['target_cpu_percent_of_quota'] or 0:.0f} % of its "
                      f"quota -> limited by {c['limited_by']}")
    console.print(f"saved {calibrate.CALIBRATION_FILE}")
    return 0
