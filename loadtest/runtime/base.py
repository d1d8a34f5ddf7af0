"""The interface every runtime implements (see loadtest/runtime/__init__.py)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from ..records.level import ServiceCpu, ServiceMemory
from ..servers.manifest import Manifest
from .isolation import Placement


class Sampler(Protocol):
    """Samples during a level: start() before the load, finish() after it."""

    def start(self) -> object: ...
    def finish(self) -> dict: ...


class ServerCpu(Protocol):
    def percent(self, seconds: float) -> dict[str, dict]: ...


class Handle(Protocol):
    """One fresh start of a service, for one scenario."""

    base_url: str
    log: str  # where to look when it died

    def alive(self) -> bool: ...
    def stop(self) -> None: ...
    def cpu(self) -> object: ...  # an opaque sample, before and after a level
    def cpu_figures(self, c0: object, c1: object, elapsed: float) -> ServiceCpu: ...
    def reset_memory_peak(self) -> None: ...  # before a level
    def memory(self) -> ServiceMemory: ...  # after it
    def connections(self) -> Sampler: ...  # db_connections


class Runtime(Protocol):
    name: str
    placement: Placement

    def servers(self, services: list[str]) -> AbstractContextManager: ...  # up inside, as found after
    def deployed(self, m: Manifest) -> AbstractContextManager: ...  # the service can start inside
    def gate(self, m: Manifest, skip: bool) -> dict: ...
    def build(self, m: Manifest) -> None: ...
    def mock_key(self, m: Manifest) -> str: ...  # the key of its EXTERNAL_URL on the mock
    def start(self, m: Manifest, mock_key: str, port: int | None = None,
              extra_env: dict[str, str] | None = None) -> Handle: ...  # port/env: natively only
    def server_cpu(self) -> ServerCpu: ...
