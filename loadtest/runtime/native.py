"""The native runtime: the harness's own servers on loopback, each service started from its
manifest inside its own cgroup (isolation.ServiceBox: 1 vCPU, 2 GiB, its own core)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from ..core.sampler import Counts
from ..records.level import ServiceCpu, ServiceMemory
from ..servers import infra
from ..servers.manifest import Manifest
from . import gate, isolation, probes, service


class NativeRuntime:
    """Each service from its manifest in its own 1-vCPU / 2 GiB cgroup; the servers on loopback."""

    name = "native"

    def __init__(self, placement: isolation.Placement | None = None):
        self.placement = placement or isolation.placement()

    def servers(self, services: list[str]) -> AbstractContextManager:
        return infra.as_found()

    @contextmanager
    def deployed(self, m: Manifest) -> Iterator[None]:
        yield  # started per scenario

    def gate(self, m: Manifest, skip: bool) -> dict:
        return gate.run(m.name, skip=skip)

    def build(self, m: Manifest) -> None:
        service.build(m)

    def mock_key(self, m: Manifest) -> str:
        return f"bench-{m.name}"

    def start(self, m: Manifest, mock_key: str, port: int | None = None,
              extra_env: dict[str, str] | None = None) -> NativeHandle:
        """The service in a new box; on `port` (a free one if None), `extra_env` over its own."""
        box = isolation.ServiceBox(m.name, self.placement)
        try:
            box.create()
            running = service.start(m, port=port, mock_key=mock_key, extra_env=extra_env, prefix=box.prefix())
        except BaseException:
            box.cleanup()
            raise
        box.attach(running.pid)
        return NativeHandle(running, box)

    def server_cpu(self) -> probes.ServerCpu:
        return probes.ServerCpu()


class NativeHandle:
    """A service process started from its manifest inside its ServiceBox."""

    def __init__(self, running: service.Running, box: isolation.ServiceBox):
        self.running, self.box = running, box
        self.base_url, self.log = running.base_url, str(running.log)

    def alive(self) -> bool:
        return self.running.alive()

    def stop(self) -> None:
        try:
            self.running.stop()
        finally:
            self.box.cleanup()

    def cpu(self) -> isolation.CpuSample | None:
        return self.box.cpu(self.running.pid)

    def cpu_figures(self, c0, c1, elapsed: float) -> ServiceCpu:
        return service_cpu(c0, c1, elapsed, self.box.placement, self.box.mode)

    def reset_memory_peak(self) -> None:
        self.box.reset_memory_peak()

    def memory(self) -> ServiceMemory:
        return ServiceMemory(**self.box.memory(self.running.pid))

    def connections(self) -> Counts:
        return probes.connection_sampler(self.running.pid)


def service_cpu(c0, c1, elapsed: float, placement: isolation.Placement, mode: str) -> ServiceCpu:
    """A level's service CPU from two isolation.CpuSample: cgroup counters, or psutil in taskset mode."""
    if c0 is None or c1 is None or elapsed <= 0:
        return ServiceCpu(source="none")
    usage = (c1.usage_ns - c0.usage_ns) / 1e9
    cgroup = mode.startswith("cgroup")
    return ServiceCpu(
        percent_of_quota=100.0 * usage / elapsed / placement.cpu_quota_cores,
        usage_s=usage,
        nr_periods=c1.nr_periods - c0.nr_periods if cgroup else None,
        nr_throttled=c1.nr_throttled - c0.nr_throttled if cgroup else None,
        throttled_s=(c1.throttled_ns - c0.throttled_ns) / 1e9 if cgroup else None,
        user_s=_split(c0.user_ns, c1.user_ns),
        system_s=_split(c0.system_ns, c1.system_ns),
        source="cgroup" if cgroup else "psutil",
    )


def _split(before: int | None, after: int | None) -> float | None:
    return None if before is None or after is None else (after - before) / 1e9
