"""The subcommands of `loadtest`. Each module registers its own parsers and arguments; a new
command is one module added to COMMANDS."""

from __future__ import annotations

import argparse

from ..chaos import cli as chaos
from . import calibrate, instructions, listing, reports, reproduce, servers, sweep

COMMANDS = (servers, sweep, calibrate, instructions, reports, chaos, listing, reproduce)


def register_all(sub: argparse._SubParsersAction) -> None:
    for module in COMMANDS:
        module.register(sub)
