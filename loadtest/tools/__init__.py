"""Load generators. Each is one module that defines a `Tool`, registered in TOOLS below: how to
run it for a Load (argv, environment, where its output goes), how to read that output into one
ToolResult, its version and its shortest level. The accounting (requests/s, errors,
availability) is never trusted to a tool: loadtest/level.py computes it from the counts."""

from __future__ import annotations

from ..errors import GeneratorError
from .ab import AB
from .base import Invocation, Load, Tool, ToolResult
from .k6 import K6
from .locust import LOCUST
from .oha import OHA
from .oha_n import OHA_N

TOOLS: dict[str, Tool] = {}


def register(tool: Tool) -> Tool:
    """Add a tool (the built-in ones below, or one a test defines)."""
    TOOLS[tool.name] = tool
    return tool


def get(name: str) -> Tool:
    try:
        return TOOLS[name]
    except KeyError:
        raise GeneratorError(f"unknown load tool {name!r}; known: {', '.join(TOOLS)}") from None


def open_loop_tool() -> Tool:
    """The tool that runs constant-rate levels."""
    return next(t for t in TOOLS.values() if t.open_loop)


register(OHA)
register(K6)
register(AB)
register(LOCUST)
register(OHA_N)

__all__ = ["TOOLS", "Invocation", "Load", "Tool", "ToolResult", "get", "open_loop_tool", "register"]
