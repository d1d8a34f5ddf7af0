"""Where the harness's subcommands (sweep, calibrate, report, compare, chaos) register."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add each harness subcommand's parser; each module owns its arguments."""
