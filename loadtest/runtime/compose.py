"""`sweep --runtime compose`: the same sweep against the compose stack, the way the reference
write-ups ran it, with CPU and memory from the Docker Engine API (engine.py).

Everything goes through the real `docker compose` CLI from the repository root, with
compose/bench.yaml added: it publishes the databases, memcached and the mock on loopback at
db/infra.toml's ports, so the gate and the probes reach them as they reach the native servers.
Per service: build, `up -d --wait` (its profile: the servers and the service), the contract gate
against its published port, then per scenario `restart` (a fresh start) and /healthz. Afterwards
only what the sweep started is removed; volumes (the seeded databases) are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..core.config import ROOT, settings
from ..core.errors import InfraError
from ..core.sampler import Counts, Peaks
from ..records.level import ServiceCpu, ServiceMemory
from ..servers import procs
from ..servers.manifest import Manifest
from . import engine as docker_engine
from . import gate
from .isolation import Placement
from .service import poll_healthz

COMPOSE_FILES = ("compose.yaml", "compose/bench.yaml")
SERVICE_PORT = 8000  # every service listens on 8000 in its container (compose/services.yaml)
# compose service -> its db/infra.toml section (`mysql` runs MariaDB 10.11, as natively),
# and the variable compose/bench.yaml publishes it with.
INFRA = {"postgres": "postgres", "mysql": "mariadb", "memcached": "memcached",
         "external_mock": "external_mock"}
PORT_VARS = {"postgres": "BENCH_POSTGRES_PORT", "mysql": "BENCH_MYSQL_PORT",
             "memcached": "BENCH_MEMCACHED_PORT", "external_mock": "BENCH_MOCK_PORT"}
DB_PORTS = {"postgres": 5432, "mysql": 3306, "memcached": 11211}  # inside the compose network
HEALTHY_WITHIN_S = 120.0
MEMORY_SAMPLE_S = 0.5


def compose(*args: str, profiles: list[str] | tuple[str, ...] = ()) -> list[str]:
    """A `docker compose` command line with the harness's override, run from the root."""
    argv = ["docker", "compose"]
    for f in COMPOSE_FILES:
        argv += ["-f", f]
    for p in profiles:
        argv += ["--profile", p]
    return [*argv, *args]


def published_ports_env() -> dict[str, str]:
    """compose/bench.yaml's port variables: db/infra.toml's ports, BENCH_PORT_OFFSET included."""
    s = settings()
    return {var: str(s[INFRA[name]]["port"]) for name, var in PORT_VARS.items()}


def base_url(model: dict, service: str) -> str:
    """The service's URL from the rendered model (`docker compose config --format json`)."""
    for p in model["services"][service].get("ports", []):
        if p["target"] == SERVICE_PORT and p.get("published"):
            return f"http://{p.get('host_ip') or '127.0.0.1'}:{p['published']}"
    raise InfraError(f"compose: {service} publishes no port for {SERVICE_PORT} (compose/services.yaml)")


def placement(cpus: list[int] | None = None) -> Placement:
    """The generator stays pinned as natively; the container has a quota but no cpuset."""
    cpus = sorted(cpus if cpus is not None else os.sched_getaffinity(0))
    generator = cpus[1:2] or cpus
    return Placement(
        "compose", cpus, service_cpus=cpus, generator_cpus=generator, database_cpus=cpus,
        databases_share=("the databases, memcached and the mock run in containers over all cores, "
                         "sharing them with the service and the generator"),
        notes=[(f"compose: the service container has cpus=1 (a CFS quota: HostConfig.NanoCpus) "
                f"and a 2 GiB limit but no cpuset: it runs on any core, the generator's "
                f"{generator} included"),
               "compose: service CPU and memory from the Docker Engine API (stats, inspect)"])


def wait_healthy(url: str, alive: Callable[[], bool], what: str, timeout: float = HEALTHY_WITHIN_S) -> None:
    poll_healthz(url, timeout, what, lambda: None if alive() else f"{what} exited; see `docker compose logs`")


class ComposeRuntime:
    """The compose stack's containers; CPU and memory from the Docker Engine API."""

    name = "compose"

    def __init__(self, engine: docker_engine.Engine | None = None):
        self.engine = engine or docker_engine.connect()  # no engine: the error says what to do
        if not shutil.which("docker"):
            raise InfraError("--runtime compose: the docker CLI (with the Compose plugin) is not "
                             "on PATH")
        self.placement = placement()
        self._before: set[str] = set()  # compose services already running when the sweep began
        self._deployed: list[str] = []
        self._urls: dict[str, str] = {}
        self._servers: dict[str, str] = {}  # compose service -> container id, once up

    def run(self, argv: list[str], timeout: float = 600.0) -> str:
        env = {**os.environ, **published_ports_env()}
        try:
            r = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired as e:
            raise InfraError(f"{' '.join(argv)}: not done after {timeout:.0f} s") from e
        if r.returncode != 0:
            raise InfraError(f"{' '.join(argv)} failed (exit {r.returncode}):\n"
                             f"{(r.stdout + r.stderr)[-2000:]}")
        return r.stdout

    def tear_down(self, argv: list[str]) -> None:
        """A clean-up step: reported, never raised, so it cannot hide why a sweep ended."""
        try:
            self.run(argv)
        except InfraError as e:
            print(f"loadtest: compose clean-up failed: {e}", file=sys.stderr)

    # --- the stack ------------------------------------------------------------------------
    @contextmanager
    def servers(self, services: list[str]) -> Iterator[None]:
        self._before = set(self.run(compose("ps", "--services", "--status", "running",
                                            profiles=services)).split())
        for name, section in INFRA.items():
            s = settings()[section]
            if name not in self._before and procs.port_open(s["host"], s["port"]):
                raise InfraError(f"compose: {s['host']}:{s['port']} ({name}) is taken, by the "
                                 "native servers? Stop them (`uv run loadtest infra down`) or set "
                                 "BENCH_PORT_OFFSET")
        try:
            yield
        finally:
            started = [n for n in INFRA if n not in self._before]
            if self._deployed and not self._before:
                self.tear_down(compose("down", profiles=self._deployed))  # volumes are kept
            elif self._deployed and started:
                self.tear_down(compose("rm", "--stop", "--force", *started, profiles=self._deployed))

    @contextmanager
    def deployed(self, m: Manifest) -> Iterator[None]:
        svc = m.name
        self.run(compose("build", svc, profiles=[svc]), timeout=3600)
        self._deployed.append(svc)
        self.run(compose("up", "-d", "--wait", profiles=[svc]), timeout=900)
        try:
            if not self._servers:
                self._servers = {n: self._container(n, svc) for n in INFRA}
            container = self._container(svc, svc)
            wait_healthy(self.base_url(svc), lambda: self.running(container), svc)
            yield
        finally:
            if svc in self._before:  # leave it running, as found
                self.tear_down(compose("start", svc, profiles=[svc]))
            else:
                self.tear_down(compose("rm", "--stop", "--force", svc, profiles=[svc]))

    def base_url(self, svc: str) -> str:
        if svc not in self._urls:
            model = self.run(compose("config", "--format", "json", profiles=[svc]))
            self._urls[svc] = base_url(json.loads(model), svc)
        return self._urls[svc]

    def _container(self, name: str, profile: str) -> str:
        """The id of a compose service's running container, or ""."""
        return self.run(compose("ps", "-q", "--status", "running", name, profiles=[profile])).strip()

    def running(self, container: str) -> bool:
        try:
            return bool(container) and bool(self.engine.inspect(container)["State"]["Running"])
        except InfraError:
            return False

    # --- per service ----------------------------------------------------------------------
    def gate(self, m: Manifest, skip: bool) -> dict:
        return gate.run(m.name, skip=skip, base_url=self.base_url(m.name), mock_key=self.mock_key(m))

    def build(self, m: Manifest) -> None:
        """Nothing: deployed() built the image and started the stack before the gate."""

    def mock_key(self, m: Manifest) -> str:
        return m.name  # compose/services.yaml: EXTERNAL_URL=http://external-mock:28081/external/<name>

    def start(self, m: Manifest, mock_key: str, port: int | None = None,
              extra_env: dict[str, str] | None = None) -> ComposeHandle:
        """A fresh start, as natively: restart the container, then wait for /healthz. Its port
        and environment are the compose file's."""
        if port is not None or extra_env:
            raise InfraError(f"compose: {m.name}'s port and environment are compose.yaml's, not the harness's")
        svc = m.name
        self.run(compose("restart", svc, profiles=[svc]), timeout=120)
        container = self._container(svc, svc)
        if not container:
            raise InfraError(f"compose: {svc} is not running after a restart; see "
                             f"`docker compose logs {svc}`")
        handle = ComposeHandle(self, svc, container, self.base_url(svc))
        wait_healthy(handle.base_url, handle.alive, svc)
        return handle

    def server_cpu(self) -> docker_engine.ServerCpu:
        return docker_engine.ServerCpu(self.engine, {n: c for n, c in self._servers.items() if c})


class ComposeHandle:
    """One container start; figures from the engine's stats and inspect."""

    def __init__(self, runtime: ComposeRuntime, service: str, container: str, url: str):
        self.runtime, self.engine = runtime, runtime.engine
        self.service, self.container, self.base_url = service, container, url
        self.log = f"`docker compose logs {service}`"
        info = self.engine.inspect(container)
        self.pid = info["State"]["Pid"]  # in the host's pid namespace: /proc/<pid>/net is the container's
        self.quota_cores = docker_engine.quota_cores(info)
        self.memory_limit = docker_engine.memory_limit(info)
        self._sampler: Peaks | None = None

    def alive(self) -> bool:
        return self.runtime.running(self.container)

    def stop(self) -> None:
        if self._sampler:
            self._sampler.stop()
        self.runtime.tear_down(compose("stop", self.service, profiles=[self.service]))

    def cpu(self) -> docker_engine.CpuSample | None:
        try:
            return docker_engine.cpu_sample(self.engine.stats(self.container))
        except (InfraError, KeyError, ValueError):
            return None

    def cpu_figures(self, c0, c1, elapsed: float) -> ServiceCpu:
        """Over the engine's own sample times, which bracket the generator's `elapsed`."""
        return ServiceCpu(**docker_engine.cpu_figures(c0, c1, self.quota_cores))

    def reset_memory_peak(self) -> None:
        if self._sampler:
            self._sampler.stop()
        self._sampler = docker_engine.memory_sampler(self.engine.host, self.container, MEMORY_SAMPLE_S)
        self._sampler.start()

    def memory(self) -> ServiceMemory:
        """The fields mean what they mean natively: current and peak usage (page cache
        included), and the peak working set, `docker stats`' figure (usage - inactive file)."""
        sampler, self._sampler = self._sampler, None
        if sampler is None:
            sampler = docker_engine.memory_sampler(self.engine.host, self.container)
        else:
            sampler.stop()
        try:
            stats = self.engine.stats(self.container)  # the level's last moment too
            oom = self.engine.inspect(self.container)["State"].get("OOMKilled", False)
        except InfraError:
            stats, oom = {}, None
        for key, value in docker_engine.memory_figures(stats).items():
            if value is not None:
                sampler.peaks[key] = max(sampler.peaks.get(key) or 0, value)
        return ServiceMemory(
            current_bytes=docker_engine.memory_usage(stats), peak_bytes=sampler.peaks.get("usage"),
            peak_scope=f"level (Engine API stats every {MEMORY_SAMPLE_S:g} s)",
            oom_kills=None if oom is None else int(oom), working_set_bytes=docker_engine.working_set(stats),
            peak_working_set_bytes=sampler.peaks.get("working_set"), limit_bytes=self.memory_limit,
            source="docker-engine")

    def connections(self) -> Counts:
        return docker_engine.container_connections(self.pid, DB_PORTS)
