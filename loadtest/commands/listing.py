"""`list`: what the harness knows: services, scenarios, load tools, faults, runtimes."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from .. import manifest, runtime, tools
from ..chaos.context import FULL
from ..chaos.faults import FAULTS
from ..chaos.table import template_values
from ..scenarios import SCENARIOS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list services, scenarios, load tools, faults and runtimes")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    sections = {
        "services": [(m.name, m.summary) for m in manifest.load_all()],
        "scenarios": [(s.name, f"{s.method} {s.path}: {s.summary}") for s in SCENARIOS.values()],
        "tools": [(t.name, "closed and open loop" if t.open_loop else "closed loop")
                  for t in tools.TOOLS.values()],
        "faults": [(f.name, f.column.format(**template_values(asdict(FULL)))) for f in FAULTS.values()],
        "runtimes": [(name, "") for name in runtime.RUNTIMES],
    }
    for title, rows in sections.items():
        print(f"{title}:")
        for name, text in rows:
            print(f"  {name:<16} {text}".rstrip())
    return 0
