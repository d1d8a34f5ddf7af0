"""`list`: what the harness knows: services and their variants, scenarios, load tools, faults,
runtimes and the write-ups `reproduce` replays."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from .. import reproduce, runtime, tools
from ..chaos.context import FULL
from ..chaos.faults import FAULTS
from ..chaos.table import template_values
from ..core.help import Formatter
from ..scenarios import SCENARIOS
from ..servers import manifest, variants


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", formatter_class=Formatter,
                       help="list services, variants, scenarios, load tools, faults, runtimes, write-ups")
    p.add_argument("--format", choices=("terminal", "json"), default="terminal",
                   help="json: {section: [{name, description}]}, each in its registry's order")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    sections = {
        "services": [(m.name, m.summary) for m in manifest.load_all()],
        "variants": [(name, variants.description(name))
                     for m in manifest.load_all() for name in variants.names(m.name)],
        "scenarios": [(s.name, f"{s.method} {s.path}: {s.summary}") for s in SCENARIOS.values()],
        "tools": [(t.name, "closed and open loop" if t.open_loop else "closed loop")
                  for t in tools.TOOLS.values()],
        "faults": [(f.name, f.column.format(**template_values(asdict(FULL)))) for f in FAULTS.values()],
        "runtimes": [(name, (cls.__doc__ or "").strip().split("\n")[0]) for name, cls in runtime.RUNTIMES.items()],
        "write-ups": [(p.name, p.title) for p in reproduce.PROTOCOLS.values()],
    }
    if args.format == "json":
        print(json.dumps({title: [{"name": n, "description": d} for n, d in rows] for title, rows in sections.items()},
                         indent=1, ensure_ascii=False))
        return 0
    for title, rows in sections.items():
        print(f"{title}:")
        for name, text in rows:
            print(f"  {name:<34} {text}".rstrip())
    return 0
