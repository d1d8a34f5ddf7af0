"""Where a sweep runs each service, behind one interface: natively in its own cgroup
(native.py, with isolation.py's box; the default) or as a compose container (compose.py, with
engine.py's Docker Engine client). sweep.py drives both the same way, so the loop, the levels
and the results document are one code path. Beside them, what starting and watching a
service takes: service.py (build, start, stop), gate.py (the contract gate), probes.py
(CPU and connections around a level) and generator.py (the load tool on its own core)."""

from __future__ import annotations

from .base import Handle, Runtime, Sampler, ServerCpu
from .compose import ComposeRuntime
from .native import NativeRuntime

# A new runtime is one module with a class implementing base.Runtime, registered here.
RUNTIMES: dict[str, type] = {"native": NativeRuntime, "compose": ComposeRuntime}


def make(name: str) -> Runtime:
    """The runtime a sweep asked for; compose fails here, before anything starts, without an engine."""
    return RUNTIMES[name]()


__all__ = ["RUNTIMES", "Handle", "Runtime", "Sampler", "ServerCpu", "make"]
