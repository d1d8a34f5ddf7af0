"""Placement and limits: each service in its own cgroup (1 vCPU, 2 GiB, its own core), the
load generator on another core, the databases on what is left.

Three modes, chosen by what the machine allows and always recorded in the results:
- "cgroup-v1": cpu, cpuacct, cpuset and memory hierarchies mounted separately and writable;
- "cgroup-v2": the unified hierarchy at /sys/fs/cgroup with cpu, cpuset and memory controllers;
- "taskset":   cgroups cannot be written: the service is pinned with taskset and a watchdog
               kills it when the RSS of its process tree goes over the memory limit.

Our groups are created under the cgroup this process already lives in (per hierarchy), so the
limits of whatever runs us still apply. A launcher prefix writes its own pid into the group and
then exec's the service, so the pid the harness tracks is the service itself.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from ..core.sampler import Peaks
from ..servers.procs import tree, tree_cpu_times, tree_rss

CGROUP_ROOT = Path("/sys/fs/cgroup")
CPU_QUOTA_US = 100_000  # 1 vCPU: quota == period
CPU_PERIOD_US = 100_000
MEMORY_LIMIT = 2 * 1024**3
V1_CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory")
V2_CONTROLLERS = ("cpu", "cpuset", "memory")
# The controllers this process turned on in the root's cgroup.subtree_control (they were off
# when it created the shared parent group); turned off again when that group goes.
_V2_ENABLED_AT_ROOT: set[str] = set()


@dataclass
class Placement:
    """Who runs where; stored with every result."""

    mode: str  # cgroup-v1 | cgroup-v2 | taskset
    cpus_online: list[int]
    service_cpus: list[int]
    generator_cpus: list[int]
    database_cpus: list[int]
    databases_share: str  # a sentence: with whom the databases share their cores
    cpu_quota_cores: float = CPU_QUOTA_US / CPU_PERIOD_US
    memory_limit_bytes: int = MEMORY_LIMIT
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def placement(cpus: list[int] | None = None, mode: str | None = None) -> Placement:
    """Decide the cores: service on the first, generator on the second, databases on the rest."""
    cpus = sorted(cpus if cpus is not None else os.sched_getaffinity(0))
    mode = mode or detect_mode()
    notes = []
    if mode == "taskset":
        notes.append(f"cgroups not writable ({_why_not_writable()}): service pinned with taskset, "
                     f"memory enforced by a watchdog on the RSS of its process tree, no CPU quota")
    if len(cpus) >= 2:
        service, generator, rest = cpus[:1], cpus[1:2], cpus[2:]
    else:
        service, generator, rest = cpus, cpus, []
        notes.append("one core: service and load generator share it; results are not comparable "
                     "to a two-core run")
    if rest:
        databases, share = rest, "databases and the harness have the remaining cores to themselves"
    else:
        databases = cpus
        share = ("no core left: databases (PostgreSQL, MariaDB, memcached, the external mock) and "
                 "the harness float over all cores, sharing them with the service and the generator")
    return Placement(mode, cpus, service, generator, databases, share, notes=notes)


def detect_mode() -> str:
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        controllers = (CGROUP_ROOT / "cgroup.controllers").read_text().split()
        if {"cpu", "cpuset", "memory"} <= set(controllers) and os.access(CGROUP_ROOT, os.W_OK):
            return "cgroup-v2"
        return "taskset"
    if all(_v1_base(c) is not None and os.access(_v1_base(c), os.W_OK) for c in V1_CONTROLLERS):
        return "cgroup-v1"
    return "taskset"


def _why_not_writable() -> str:
    if os.geteuid() != 0:
        return "not root"
    if not CGROUP_ROOT.exists():
        return f"{CGROUP_ROOT} missing"
    return "controllers missing or read-only"


def _own_v1_path(controller: str) -> str:
    """This process's cgroup in one v1 hierarchy, from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    return "/"


def _v1_base(controller: str) -> Path | None:
    mount = CGROUP_ROOT / controller
    if not (mount / "cgroup.procs").exists():
        return None
    return mount / _own_v1_path(controller).lstrip("/")


def _write(path: Path, value: str | int) -> None:
    path.write_text(f"{value}\n")


def _ns(usec: int | None) -> int | None:
    return None if usec is None else usec * 1000


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _read_kv(path: Path) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in (line.split() for line in path.read_text().splitlines())}
    except (OSError, ValueError):
        return {}


@dataclass
class CpuSample:
    usage_ns: int
    nr_periods: int
    nr_throttled: int
    throttled_ns: int
    user_ns: int | None = None  # the usage in user space and in the kernel, where the source splits it
    system_ns: int | None = None


class ServiceBox:
    """The cgroup (or taskset + watchdog) one service runs in, from launch to cleanup."""

    def __init__(self, name: str, placement: Placement):
        self.name = f"{name}-{os.getpid()}"
        self.placement = placement
        self.mode = placement.mode
        self.dirs: dict[str, Path] = {}
        self.watchdog: MemoryWatchdog | None = None
        self.peak_resettable = False

    # --- set-up -------------------------------------------------------------------------
    def create(self) -> None:
        cpus = ",".join(map(str, self.placement.service_cpus))
        if self.mode == "cgroup-v1":
            for c in V1_CONTROLLERS:
                d = _v1_base(c) / "webstack-bench" / self.name
                d.mkdir(parents=True, exist_ok=True)
                self.dirs[c] = d
            cpuset_parent = self.dirs["cpuset"].parent
            for f in ("cpuset.cpus", "cpuset.mems"):  # an empty parent cpuset refuses children
                if not (cpuset_parent / f).read_text().strip():
                    _write(cpuset_parent / f, (cpuset_parent.parent / f).read_text().strip())
            _write(self.dirs["cpuset"] / "cpuset.cpus", cpus)
            _write(self.dirs["cpuset"] / "cpuset.mems", (cpuset_parent / "cpuset.mems").read_text().strip())
            _write(self.dirs["cpu"] / "cpu.cfs_period_us", CPU_PERIOD_US)
            _write(self.dirs["cpu"] / "cpu.cfs_quota_us", CPU_QUOTA_US)
            _write(self.dirs["memory"] / "memory.limit_in_bytes", MEMORY_LIMIT)
            self.peak_resettable = True
        elif self.mode == "cgroup-v2":
            parent = CGROUP_ROOT / "webstack-bench"
            _v2_enable(CGROUP_ROOT, parent)
            d = parent / self.name
            d.mkdir(exist_ok=True)
            _write(d / "cpu.max", f"{CPU_QUOTA_US} {CPU_PERIOD_US}")
            _write(d / "cpuset.cpus", cpus)
            _write(d / "memory.max", MEMORY_LIMIT)
            self.dirs = {c: d for c in ("cpu", "cpuacct", "cpuset", "memory")}
            self.peak_resettable = (d / "memory.peak").exists()

    def prefix(self) -> list[str]:
        """The launcher: join the group (or pin), then exec the service in place."""
        cpus = ",".join(map(str, self.placement.service_cpus))
        if self.mode == "taskset":
            return ["taskset", "-c", cpus]
        procs = sorted({str(d / "cgroup.procs") for d in self.dirs.values()})
        joins = "; ".join(f"echo $$ > {shlex.quote(p)}" for p in procs)
        return ["sh", "-c", f'{joins} && exec "$@"', "cgexec"]

    def attach(self, pid: int) -> None:
        """After launch: start the memory sampler; in taskset mode it also enforces the limit
        (a cgroup enforces its own)."""
        taskset = self.mode == "taskset"
        self.watchdog = MemoryWatchdog(pid, MEMORY_LIMIT if taskset else None,
                                       working_set=None if taskset else self.working_set)
        self.watchdog.start()

    # --- measurements -------------------------------------------------------------------
    def cpu(self, pid: int | None = None) -> CpuSample | None:
        if self.mode == "cgroup-v1":
            stat = _read_kv(self.dirs["cpu"] / "cpu.stat")
            acct = self.dirs["cpuacct"]
            return CpuSample(_read_int(acct / "cpuacct.usage") or 0,
                             stat.get("nr_periods", 0), stat.get("nr_throttled", 0),
                             stat.get("throttled_time", 0),
                             _read_int(acct / "cpuacct.usage_user"), _read_int(acct / "cpuacct.usage_sys"))
        if self.mode == "cgroup-v2":
            stat = _read_kv(self.dirs["cpu"] / "cpu.stat")
            return CpuSample(stat.get("usage_usec", 0) * 1000, stat.get("nr_periods", 0),
                             stat.get("nr_throttled", 0), stat.get("throttled_usec", 0) * 1000,
                             _ns(stat.get("user_usec")), _ns(stat.get("system_usec")))
        if pid is not None:
            user, system = tree_cpu_times(pid)
            return CpuSample(int((user + system) * 1e9), 0, 0, 0, int(user * 1e9), int(system * 1e9))
        return None

    def reset_memory_peak(self) -> None:
        try:
            if self.mode == "cgroup-v1":
                _write(self.dirs["memory"] / "memory.max_usage_in_bytes", 0)
            elif self.mode == "cgroup-v2" and self.peak_resettable:
                _write(self.dirs["memory"] / "memory.peak", 0)  # resets it (Linux >= 6.12)
        except OSError:
            self.peak_resettable = False
        if self.watchdog:
            self.watchdog.reset()

    def working_set(self) -> int | None:
        """The cgroup's usage minus its inactive file cache (docker stats' and the kubelet's
        formula), in bytes."""
        m = self.dirs.get("memory")
        if m is None:
            return None
        if self.mode == "cgroup-v1":
            usage, inactive = _read_int(m / "memory.usage_in_bytes"), "total_inactive_file"
        else:
            usage, inactive = _read_int(m / "memory.current"), "inactive_file"
        if usage is None:
            return None
        return max(0, usage - _read_kv(m / "memory.stat").get(inactive, 0))

    def memory(self, pid: int | None = None) -> dict:
        """Current and peak bytes (the cgroup's own peak, page cache included), whether the
        peak covers the level or the service's life, and the sampled peaks of the tree's RSS
        and of the working set (every 0.2 s, so a spike shorter than that can be missed)."""
        scope = "level" if self.peak_resettable else "since-start"
        wd = self.watchdog
        if wd is not None and pid is not None:
            wd.sample()  # the level's last moment too
        sampled = {"peak_rss_bytes": wd.peak if wd else None,
                   "peak_working_set_bytes": wd.peak_working_set if wd else None}
        if self.mode == "cgroup-v1":
            m = self.dirs["memory"]
            return {"current_bytes": _read_int(m / "memory.usage_in_bytes"),
                    "peak_bytes": _read_int(m / "memory.max_usage_in_bytes"), "peak_scope": scope,
                    "oom_kills": _read_kv(m / "memory.oom_control").get("oom_kill", 0), **sampled}
        if self.mode == "cgroup-v2":
            m = self.dirs["memory"]
            return {"current_bytes": _read_int(m / "memory.current"),
                    "peak_bytes": _read_int(m / "memory.peak"), "peak_scope": scope,
                    "oom_kills": _read_kv(m / "memory.events").get("oom_kill", 0), **sampled}
        current = tree_rss(pid) if pid else None
        return {"current_bytes": current, "peak_bytes": wd.peak if wd else current,
                "peak_scope": "level (RSS sampled every 0.2 s)",
                "oom_kills": 1 if wd and wd.killed else 0, **sampled}

    # --- tear-down ----------------------------------------------------------------------
    def cleanup(self) -> None:
        if self.watchdog:
            self.watchdog.stop()
        for d in sorted(set(self.dirs.values()), key=lambda p: -len(p.parts)):
            _kill_leftovers(d)
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still has tasks that are exiting
                    time.sleep(0.1)
            try:  # the shared parent goes too once no other sweep uses it
                d.parent.rmdir()
            except OSError:
                pass
            else:
                if self.mode == "cgroup-v2":
                    _v2_release(CGROUP_ROOT)
        self.dirs = {}


def _v2_enable(root: Path, parent: Path) -> None:
    """Hand cpu, cpuset and memory down from the root to our shared parent group, remembering
    which of them the root did not hand down before, so that _v2_release can undo it."""
    if not parent.exists():
        before = set((root / "cgroup.subtree_control").read_text().split())
        _V2_ENABLED_AT_ROOT.update(c for c in V2_CONTROLLERS if c not in before)
    _write(root / "cgroup.subtree_control", " ".join(f"+{c}" for c in V2_CONTROLLERS))
    parent.mkdir(exist_ok=True)
    _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in V2_CONTROLLERS))


def _v2_release(root: Path) -> None:
    """Once the shared parent group is gone: the root's subtree_control as we found it."""
    if _V2_ENABLED_AT_ROOT:
        try:
            _write(root / "cgroup.subtree_control", " ".join(f"-{c}" for c in sorted(_V2_ENABLED_AT_ROOT)))
        except OSError:  # another group uses them meanwhile: leave them on
            pass
        _V2_ENABLED_AT_ROOT.clear()


def _kill_leftovers(d: Path) -> None:
    """A service that forked workers may leave them behind in its group: end them too."""
    try:
        pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
    except OSError:
        return
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


class MemoryWatchdog:
    """Samples the service's memory every `interval` s and keeps the peaks: the RSS of its
    process tree and, in a cgroup, the working set (usage minus inactive file cache, what
    `docker stats` and `kubectl top` report; the cgroup's own peak also counts page cache).
    With a `limit` (taskset mode, no cgroup to enforce one) it kills the tree over it."""

    def __init__(self, pid: int, limit: int | None = None, interval: float = 0.2,
                 working_set: Callable[[], int | None] | None = None):
        self.pid, self.limit, self.working_set = pid, limit, working_set
        self.killed = False
        self._peaks = Peaks(self._read, interval, name=f"memory-watchdog-{pid}", on_sample=self._enforce)

    def _read(self) -> dict[str, int | None]:
        return {"rss": tree_rss(self.pid), "working_set": self.working_set() if self.working_set else None}

    def _enforce(self, values: dict[str, int | None]) -> bool:
        if self.limit is None or (values["rss"] or 0) <= self.limit:
            return True
        for p in reversed(tree(self.pid)):
            try:
                p.kill()
            except psutil.Error:
                pass
        self.killed = True
        return False

    @property
    def peak(self) -> int:
        return self._peaks.peaks.get("rss") or 0

    @property
    def peak_working_set(self) -> int | None:
        return self._peaks.peaks.get("working_set")

    def sample(self) -> None:
        self._peaks.sample()

    def reset(self) -> None:
        self._peaks.reset()

    def start(self) -> None:
        self._peaks.start()

    def stop(self) -> None:
        self._peaks.stop()
