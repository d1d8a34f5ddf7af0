"""`python -m loadtest.topology check|down`: try a topology on this machine, or remove one.

check builds the topology, measures each link under a profile, prints what a run would record
and tears it down; down removes what a killed run (SIGKILL) left under a tag. Both need root."""

from __future__ import annotations

import argparse
import json
import sys

from . import netns, spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.topology", description=__doc__)
    parser.add_argument("action", choices=["check", "down"])
    parser.add_argument("--file", default=spec.DEFAULT_FILE, help="topology file (default: %(default)s)")
    parser.add_argument("--profile", default="loopback", choices=list(spec.PROFILES))
    parser.add_argument("--tag", default="main", help="names the instance: wsb-<tag>-<host>")
    args = parser.parse_args(argv)
    try:
        net = netns.Network(spec.load(args.file), spec.profile(args.profile), tag=args.tag)
        if args.action == "down":
            net.down()
            return 0
        with net:
            print(json.dumps(net.record(), indent=2))
    except spec.TopologyError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
