"""Load generators. Each is one module that defines a `Tool`, registered in TOOLS below: how to
run it for a Load (argv, environment, where its output goes), how to read that output into one
ToolResult, its version and its shortest level. The accounting (requests/s, errors,
availability) is never trusted to a tool: loadtest/records/level.py computes it from the counts."""

from __future__ import annotations

import os

from ..core.errors import GeneratorError
from .ab import AB
from .base import (
    OPEN_LOOP_DROP_TOLERANCE,
    OPEN_LOOP_RATE_TOLERANCE,
    Invocation,
    Load,
    Tool,
    ToolResult,
    Windowed,
    open_loop_delivered,
    rate_held,
)
from .k6 import K6
from .locust import LOCUST
from .oha import OHA
from .oha_n import OHA_N
from .wrk import WRK

TOOLS: dict[str, Tool] = {}
# The open loop's tool unless asked otherwise: oha -q --latency-correction (lighter per request
# than k6's JavaScript VUs); k6 stays for those who script with it. BENCH_OPEN_LOOP_TOOL or
# open_loop_tool(name) overrides it.
DEFAULT_OPEN_LOOP = "oha"
# The closed loop's tool until `loadtest calibrate` finds the one with the highest ceiling here.
DEFAULT_CLOSED_LOOP = "oha"
# The closed loop's tools that `loadtest calibrate` compares for the highest ceiling.
CLOSED_LOOP_CANDIDATES = ("oha", "wrk")
# The two closed-loop tools whose figures `loadtest calibrate` checks against each other
# (ratio first / second), and the open loop's reference beside the harness's own (wrk2, the
# other constant-rate closed-loop tool people use, is not packaged).
AGREEMENT = ("wrk", "oha")
OPEN_LOOP_REFERENCE = "k6"
# The tool of `loadtest chaos`'s overload windows: one that is also a base.Windowed.
OVERLOAD = "oha"


def register(tool: Tool) -> Tool:
    """Add a tool (the built-in ones below, or one a test defines)."""
    TOOLS[tool.name] = tool
    return tool


def backfills_latency(name: str) -> bool:
    """The tool back-fills latency samples for coordinated omission (wrk): its mean is then not
    the mean time of the requests sent, so Little's law cannot check it. A tool says so with a
    `latency_backfilled = True` attribute."""
    return bool(getattr(TOOLS.get(name), "latency_backfilled", False))


def get(name: str) -> Tool:
    try:
        return TOOLS[name]
    except KeyError:
        raise GeneratorError(f"unknown load tool {name!r}; known: {', '.join(TOOLS)}") from None


def open_loop_tool(name: str | None = None) -> Tool:
    """The tool that runs constant-rate levels: `name`, else $BENCH_OPEN_LOOP_TOOL, else
    DEFAULT_OPEN_LOOP. Named explicitly, so registering a tool never changes it."""
    tool = get(name or os.environ.get("BENCH_OPEN_LOOP_TOOL") or DEFAULT_OPEN_LOOP)
    if not tool.open_loop:
        raise GeneratorError(f"{tool.name} has no open loop; open-loop tools: "
                             f"{', '.join(t.name for t in TOOLS.values() if t.open_loop)}")
    return tool


register(OHA)
register(K6)
register(WRK)
register(OHA_N)
register(AB)
register(LOCUST)

__all__ = [
    "AGREEMENT",
    "CLOSED_LOOP_CANDIDATES",
    "DEFAULT_CLOSED_LOOP",
    "DEFAULT_OPEN_LOOP",
    "OPEN_LOOP_DROP_TOLERANCE",
    "OPEN_LOOP_RATE_TOLERANCE",
    "OPEN_LOOP_REFERENCE",
    "OVERLOAD",
    "TOOLS",
    "Invocation",
    "Load",
    "Tool",
    "ToolResult",
    "Windowed",
    "backfills_latency",
    "get",
    "open_loop_delivered",
    "open_loop_tool",
    "rate_held",
    "register",
]
