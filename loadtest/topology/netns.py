"""A topology built on this machine: one network namespace per host, joined by a bridge.

Each host gets a namespace `wsb-<tag>-<host>` with one interface (`wsb0`) at its address; the
other end of its veth pair sits in a switch namespace `wsb-<tag>-switch`, enslaved to the bridge
there. The bridge has no address and no uplink: the subnet exists only between these namespaces,
and neither the machine's firewall nor its br_netfilter settings see the traffic. A profile's
delay is a netem qdisc on every host's `wsb0`, half the round trip each, so any two hosts are
one round trip apart.

Everything lives inside namespaces named with the tag, so teardown is: stop what still runs in
them, delete them. It is idempotent, runs from the context manager's __exit__ (an error, Ctrl-C),
from atexit and on SIGTERM, and up() first removes what a killed run of the same tag left.
The commands are planned by pure functions (tested without root) and run through iproute2."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Self

from . import rtt
from .rtt import LinkRtt
from .spec import Profile, Topology, TopologyError, TopologyFileError

PREFIX = "wsb-"
NIC = "wsb0"  # each host's interface, inside its namespace
BRIDGE = "wsb-br"  # inside the switch namespace
NETEM_LIMIT = 10000  # packets netem may hold; its default (1000) drops under load at 2 ms
TAG = re.compile(r"^[a-z0-9]{1,8}$")

Runner = Callable[[list[str]], str]


class Names:
    """The names of one topology instance's objects; the tag keeps two instances apart."""

    def __init__(self, tag: str) -> None:
        if not TAG.match(tag):
            raise TopologyFileError(f"topology tag {tag!r}: 1 to 8 lowercase letters or digits")
        self.tag = tag
        self.prefix = f"{PREFIX}{tag}-"
        self.switch = f"{self.prefix}switch"

    def namespace(self, host: str) -> str:
        return f"{self.prefix}{host}"

    @staticmethod
    def port(host: str) -> str:
        """The switch-side end of a host's veth pair."""
        return f"{PREFIX}{host}"


def up_commands(topology: Topology, names: Names) -> list[list[str]]:
    """The commands that build the topology, the switch first."""
    sw = names.switch
    cmds = [["ip", "netns", "add", sw],
            ["ip", "-n", sw, "link", "add", BRIDGE, "type", "bridge"],
            ["ip", "-n", sw, "link", "set", BRIDGE, "up"]]
    for host in topology.hosts:
        ns, port = names.namespace(host.name), names.port(host.name)
        cmds += [["ip", "netns", "add", ns],
                 ["ip", "-n", ns, "link", "set", "lo", "up"],
                 # both ends are created inside their namespaces: none ever appears on the machine
                 ["ip", "link", "add", NIC, "netns", ns, "type", "veth", "peer", "name", port,
                  "netns", sw],
                 ["ip", "-n", sw, "link", "set", port, "master", BRIDGE],
                 ["ip", "-n", sw, "link", "set", port, "up"],
                 ["ip", "-n", ns, "addr", "add", f"{host.address}/{topology.subnet.prefixlen}",
                  "dev", NIC],
                 ["ip", "-n", ns, "link", "set", NIC, "up"]]
    return cmds


def netem_probe_commands(names: Names) -> list[list[str]]:
    """Whether this kernel has netem, asked on the switch's loopback before any link exists."""
    return [["tc", "-n", names.switch, "qdisc", "add", "dev", "lo", "root", "netem", "delay",
             "1us"],
            ["tc", "-n", names.switch, "qdisc", "del", "dev", "lo", "root"]]


def shape_commands(topology: Topology, names: Names, profile: Profile) -> list[list[str]]:
    """The profile's delay on every host's egress: half the round trip each way."""
    if not profile.delay_us:
        return []
    return [["tc", "-n", names.namespace(h.name), "qdisc", "add", "dev", NIC, "root", "netem",
             "delay", f"{profile.delay_us}us", "limit", str(NETEM_LIMIT)]
            for h in topology.hosts]


def down_commands(namespaces: list[str]) -> list[list[str]]:
    return [["ip", "netns", "del", ns] for ns in namespaces]


def run(argv: list[str]) -> str:
    """Run one iproute2 command; a failure is a TopologyError with its message."""
    out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    if out.returncode:
        raise TopologyError(f"`{' '.join(argv)}` failed: {out.stderr.strip() or out.returncode}")
    return out.stdout


def namespaces(names: Names, runner: Runner = run) -> list[str]:
    """This instance's namespaces that exist now, the switch last."""
    listed = [line.split()[0] for line in runner(["ip", "netns", "list"]).splitlines() if line]
    ours = [ns for ns in listed if ns.startswith(names.prefix)]
    return sorted(ours, key=lambda ns: (ns == names.switch, ns))


class Network:
    """A topology's namespaces with a profile's delay, measured; a context manager.

        with Network(spec.load(), spec.profile("zone"), tag="main") as net:
            subprocess.run([*net.exec_argv("service"), "./server"])  # runs on the service host
    """

    def __init__(self, topology: Topology, profile: Profile, tag: str = "main",
                 count: int = 200, runner: Runner = run) -> None:
        remote = [h.name for h in topology.hosts if h.reach.kind != "netns"]
        if remote:
            raise TopologyFileError(f"host(s) {', '.join(remote)} are reached over SSH or Docker: "
                                    "those tools drive real machines (docs/topology.md); this "
                                    "runtime builds namespaces on this machine only")
        self.topology, self.profile, self.names = topology, profile, Names(tag)
        self.count, self.runner = count, runner
        self.links: list[LinkRtt] = []
        self._sigterm = None
        self._armed = False

    def __enter__(self) -> Self:
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    def exec_argv(self, role_or_host: str) -> list[str]:
        """The prefix that runs a command on a host (named, or by a role it plays)."""
        names = {h.name for h in self.topology.hosts}
        host = role_or_host if role_or_host in names else self.topology.host(role_or_host).name
        return ["ip", "netns", "exec", self.names.namespace(host)]

    def up(self) -> None:
        """Build, measure the floor, apply the delay, measure again and hold it to the profile."""
        if os.geteuid() != 0 or not (shutil.which("ip") and shutil.which("tc")):
            raise TopologyError("a topology needs root (CAP_NET_ADMIN) and iproute2's ip and tc")
        self._arm()
        try:
            self.down(disarm=False)  # what a killed run of this tag left behind
            build = up_commands(self.topology, self.names)
            for argv in build[:1]:
                self.runner(argv)
            if self.profile.delay_us:
                self._require_netem()
            for argv in build[1:]:
                self.runner(argv)
            floor = self._measure()
            for argv in shape_commands(self.topology, self.names, self.profile):
                self.runner(argv)
            delayed = self._measure() if self.profile.delay_us else floor
            self.links = [LinkRtt(a.name, b.name, floor[a.name, b.name], delayed[a.name, b.name],
                                  self.profile.rtt_ms) for a, b in self.topology.links()]
            rtt.check(self.links)
        except BaseException:
            self.down()
            raise

    def down(self, disarm: bool = True) -> None:
        """Stop what still runs in this instance's namespaces and delete them; idempotent.
        Ctrl-C and SIGTERM are held until it is done, so a second Ctrl-C cannot cut it short."""
        held = threading.current_thread() is threading.main_thread()
        if held:
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            found = namespaces(self.names, self.runner)
            for ns in found:
                self._stop_processes(ns)
            for argv in down_commands(found):
                self.runner(argv)
            if disarm:
                self._disarm()
        finally:
            if held:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def record(self) -> dict:
        """What a run records: the topology, the profile and each link's measured round trip."""
        return {"topology": self.topology.record(), "tag": self.names.tag,
                "profile": {"name": self.profile.name, "rtt_ms": self.profile.rtt_ms,
                            "delay_per_direction_us": self.profile.delay_us},
                "links": [link.record() for link in self.links]}

    def _require_netem(self) -> None:
        try:
            for argv in netem_probe_commands(self.names):
                self.runner(argv)
        except TopologyError as e:
            raise TopologyError(
                f"this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), so profile "
                f"{self.profile.name!r} cannot delay a link ({e}). Load it (`modprobe sch_netem`, "
                "in most distributions' kernels) or use the loopback profile") from None

    def _measure(self) -> dict[tuple[str, str], float]:
        return {(a.name, b.name): rtt.measure(self.exec_argv(a.name), self.exec_argv(b.name),
                                              str(b.address), self.count)
                for a, b in self.topology.links()}

    def _stop_processes(self, ns: str) -> None:
        """Kill what a run left in one of our namespaces: it would keep the namespace alive."""
        pids = [int(p) for p in self.runner(["ip", "netns", "pids", ns]).split()
                if int(p) != os.getpid()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.02)

    def _arm(self) -> None:
        if self._armed:
            return
        atexit.register(self.down)
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL):
            self._sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self._armed = True

    def _disarm(self) -> None:
        if not self._armed:
            return
        atexit.unregister(self.down)
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)
            self._sigterm = None
        self._armed = False


def _alive(pid: int) -> bool:
    """Whether a process still runs (a zombie has left its namespaces already)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _exit_on_sigterm(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C does, so __exit__ and atexit tear the topology down."""
    raise SystemExit(128 + signum)
