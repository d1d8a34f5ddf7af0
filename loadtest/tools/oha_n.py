"""oha bounded by a request count (`-n`) instead of a duration: how the FastAPI-vs-Axum
write-up ran it (`oha -n 50000 -c 10 --disable-keepalive`). The same binary, flags and parser as
oha.py; only the bound differs. A count-bounded load (loadtest.reproduce's CountedLoad)
carries `requests`; its duration_s is the time bound the generator enforces (generator.run
kills a tool that overruns it by 60 s)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from . import oha
from .base import Invocation, Load, ToolResult


def argv(url: str, users: int, requests: int, keepalive: bool = True, timeout_s: float = 30) -> list[str]:
    cmd = oha.argv(url, users, 1, keepalive=keepalive, finish_in_flight=False, timeout_s=timeout_s)
    z = cmd.index("-z")
    return [*cmd[:z], "-n", str(requests), *cmd[z + 2:]]


class OhaCountTool:
    name = "oha-n"
    min_duration_s = 0.0
    open_loop = False
    raw_suffix = "json"  # of its raw output file

    @cache  # noqa: B019 -- one instance, one version per run
    def version(self) -> str | None:
        return oha.OHA.version()

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        s = load.scenario
        if s.method != "GET":
            raise FileNotFoundError(f"oha-n adapter: GET scenarios only, not {s.name}")
        requests = getattr(load, "requests", None) or load.users
        return Invocation(argv(s.url(base_url, load.params), load.users, requests, load.keepalive),
                          stdout=raw_path)

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        return oha.parse(raw)


OHA_N = OhaCountTool()
