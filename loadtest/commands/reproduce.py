"""`reproduce`: replay public write-ups with their own protocols and write their page,
reproductions.md, into the run's folder (loadtest/reproduce/); `--publish` also rewrites the
committed docs/reproductions.md and README's table, as a reference run does."""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shlex
import sys
from pathlib import Path

from rich.console import Console

from .. import reproduce
from ..core.config import ROOT
from ..core.errors import FINDING, OK, UsageError
from ..core.help import Formatter
from ..measurement.plan import human
from ..records import results
from ..reproduce import page, runner, saved
from ..reproduce.base import GATE_S
from . import options

PAGE = ROOT / "docs" / "reproductions.md"
README = ROOT / "README.md"


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("reproduce", formatter_class=Formatter,
                       help="replay public write-ups with their own protocols; write their page")
    s.add_argument("writeups", nargs="*", metavar="write-up", action=options.ListAction, help=f"one or more of: {', '.join(reproduce.PROTOCOLS)}")
    s.add_argument("--all", action="store_true", help="every write-up, in the page's order")
    s.add_argument("--rounds", type=int, help="interleaved rounds (default: each protocol's, 3)")
    s.add_argument("--scale", type=float, default=1.0,
                   help="multiply request counts and durations (1 = the protocol's; tests use tiny ones)")
    s.add_argument("--seed", type=int, help="seed of the measurement order (default: a random one, recorded)")
    s.add_argument("--skip-gate", action="store_true",
                   help="DEVELOPMENT ONLY: measure without the contract gate (recorded on the page)")
    options.add_list(s, "--with", dest="with_dirs", convert=Path, default=[], metavar="DIR",
                     help="also put on the page the write-ups saved in DIR (<write-up>.json of an earlier "
                          "run) that this command does not measure, each with how it was measured (a "
                          "later DIR wins; default: none); with no write-up named, only rewrite the page")
    s.add_argument("--publish", action="store_true",
                   help="also rewrite the committed docs/reproductions.md and README's table from this "
                        "page (a reference run on a quiet machine; default: off, the page stays in --out)")
    options.add_out(s, "reproductions.md, <write-up>.json and raw outputs of each replay "
                       "(default: results/<UTC time>-reproduce)")
    options.add_dry_run(s)
    s.set_defaults(func=cmd_reproduce)


def selected(args: argparse.Namespace) -> list[reproduce.Protocol]:
    if not args.all and not args.writeups and args.with_dirs:
        return []  # the page again from saved replays, nothing measured
    if args.all == bool(args.writeups):
        raise UsageError(f"name one or more write-ups ({', '.join(reproduce.PROTOCOLS)}) or --all")
    return list(reproduce.PROTOCOLS.values()) if args.all else [reproduce.get(n) for n in args.writeups]


def expected_seconds(protocols: list[reproduce.Protocol], scale: float, gate: bool, rounds: int | None) -> float:
    """Each protocol's estimate; a service shared by several is gated once per command."""
    total = sum(_with_rounds(p, rounds).expected_seconds(scale, gate=False) for p in protocols)
    services = {s for p in protocols for s in p.services()}
    return total + (len(services) * GATE_S if gate else 0)


def _with_rounds(p: reproduce.Protocol, rounds: int | None) -> reproduce.Protocol:
    return dataclasses.replace(p, rounds=rounds) if rounds else p


def cmd_reproduce(args: argparse.Namespace) -> int:
    protocols = selected(args)
    console = Console(soft_wrap=True) if args.dry_run else Console()  # a plan is never cut or wrapped
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    total = expected_seconds(protocols, args.scale, not args.skip_gate, args.rounds)
    for p in protocols:
        q = _with_rounds(p, args.rounds)
        console.print(f"{p.name}: {p.tool}; rungs {', '.join(p.services())}; {q.rounds} rounds; "
                      f"about {human(q.expected_seconds(args.scale, gate=False))}")
    console.print(f"expected: about {human(total)} (seed {seed})")
    if args.dry_run:
        return 0
    command = shlex.join(["loadtest", "reproduce", *sys.argv[2:]]) if sys.argv[1:2] == ["reproduce"] else "loadtest reproduce"
    started, opts = results.utc_now(), runner.Options(args.scale, args.rounds, seed, args.skip_gate)
    earlier = kept_replays(args.with_dirs, protocols)
    out = results.run_dir("reproduce", args.out)
    if not protocols:
        write_page(out, in_page_order(earlier), command, started, console, args.publish)
        return 0
    measured_by = {"command": command, "started_at": started, "commit": results.git("rev-parse", "--short", "HEAD")}
    replays = []
    for p in protocols:
        replays.append(runner.run(p, opts, out, console))
        replays[-1].measured_by = measured_by
        (out / f"{p.name}.json").write_text(json.dumps(saved.dump(replays[-1], measured_by), indent=1))
        # after each: a long run keeps what it did
        write_page(out, in_page_order([*replays, *earlier]), command, started, console, args.publish)
    failed = [f for r in replays for f in r.failures]
    return FINDING if failed else OK


def write_page(out: Path, replays: list[runner.Replay], command: str, started: str, console,
               publish: bool = False) -> None:
    """The page in the run's folder; published, also the committed page and README's table."""
    text = page.render(replays, command, started)
    for path in (out / PAGE.name, *([PAGE] if publish else [])):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        console.print(f"page: {path}")
    if publish and page.update_readme(README, replays, "docs/reproductions.md"):
        console.print(f"summary: {README}")


def kept_replays(directories: list[Path], measured: list[reproduce.Protocol]) -> list[runner.Replay]:
    """The replays saved in `directories` of the write-ups not measured now; where several
    directories hold one write-up, the last one given."""
    names = {p.name for p in measured}
    files: dict[str, Path] = {}
    for directory in directories:
        found = {name: directory / f"{name}.json" for name in reproduce.PROTOCOLS
                 if name not in names and (directory / f"{name}.json").exists()}
        if not found:
            raise UsageError(f"--with {directory}: no saved write-up (<write-up>.json) there")
        files.update(found)
    return [saved.load(json.loads(f.read_text())) for f in files.values()]


def in_page_order(replays: list[runner.Replay]) -> list[runner.Replay]:
    order = list(reproduce.PROTOCOLS)
    return sorted(replays, key=lambda r: order.index(r.protocol.name))
