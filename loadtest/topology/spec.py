"""The topology file and the network profiles: where each part of a run lives, and how far apart.

A topology names hosts, the roles each one plays and how to reach it. The same file describes
network namespaces on this machine (`reach = "netns"`, built by netns.py) and real machines
(`reach = "ssh://user@host"` or `"docker://context"`, driven by those tools; see
docs/topology.md). Parsing is pure: nothing here touches the machine."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import USAGE, HarnessError

DEFAULT_FILE = Path(__file__).with_name("hosts.toml")

# Every part of a run, each on exactly one host.
ROLES = ("generator", "service", "postgres", "mariadb", "memcached", "upstream")
# Who talks to whom: the links whose round trip a run measures and holds to its profile.
TALKS = (("generator", "service"), ("service", "postgres"), ("service", "mariadb"),
         ("service", "memcached"), ("service", "upstream"))

# A host name becomes an interface name "wsb-<host>" (IFNAMSIZ: 15 characters at most).
HOST_NAME = re.compile(r"^[a-z][a-z0-9]{0,10}$")
RESERVED = {"switch"}  # the namespace that holds the bridge (netns.py)
REACH_KINDS = ("netns", "ssh", "docker")


class TopologyError(HarnessError):
    """The topology could not be built, measured or torn down on this machine."""


class TopologyFileError(TopologyError, ValueError):
    """A topology file or a profile name the harness cannot use."""

    exit_code = USAGE


@dataclass(frozen=True)
class Profile:
    """A named distance between hosts: the round trip a link adds, split evenly per direction."""

    name: str
    rtt_ms: float
    about: str

    @property
    def delay_us(self) -> int:
        """The netem delay on each host's egress: half the round trip, in microseconds."""
        return round(self.rtt_ms * 1000 / 2)


PROFILES = {p.name: p for p in (
    Profile("loopback", 0.0, "no added delay: the kernel's TCP stack and a bridge, nothing else"),
    Profile("rack", 0.1, "two machines on one top-of-rack switch"),
    Profile("zone", 0.5, "two machines in one cloud availability zone"),
    Profile("region", 2.0, "two availability zones of one cloud region"),
)}


def profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise TopologyFileError(f"unknown network profile {name!r}: choose one of "
                                f"{', '.join(PROFILES)}") from None


@dataclass(frozen=True)
class Reach:
    """How a host is reached: a namespace built here, an SSH destination or a Docker context."""

    kind: str
    target: str = ""

    @classmethod
    def parse(cls, text: str) -> Reach:
        if text == "netns":
            return cls("netns")
        kind, sep, target = text.partition("://")
        if not sep or kind not in REACH_KINDS[1:] or not target:
            raise TopologyFileError(f"reach {text!r}: write \"netns\", \"ssh://user@host\" or "
                                    "\"docker://context-name\"")
        return cls(kind, target)

    def __str__(self) -> str:
        return self.kind if self.kind == "netns" else f"{self.kind}://{self.target}"


@dataclass(frozen=True)
class Host:
    name: str
    roles: tuple[str, ...]
    address: ipaddress.IPv4Address
    reach: Reach


@dataclass(frozen=True)
class Topology:
    name: str
    subnet: ipaddress.IPv4Network
    hosts: tuple[Host, ...]

    def host(self, role: str) -> Host:
        """The host that plays `role`."""
        return next(h for h in self.hosts if role in h.roles)

    def address(self, role: str) -> str:
        """The address a part connects to in order to reach `role` (instead of 127.0.0.1)."""
        return str(self.host(role).address)

    def links(self) -> list[tuple[Host, Host]]:
        """The pairs of distinct hosts that talk during a run, in TALKS order, each once."""
        out: list[tuple[Host, Host]] = []
        for a, b in TALKS:
            pair = (self.host(a), self.host(b))
            if pair[0] != pair[1] and pair not in out:
                out.append(pair)
        return out

    def record(self) -> dict:
        """The topology as a run records it."""
        return {"name": self.name, "subnet": str(self.subnet),
                "hosts": [{"name": h.name, "roles": list(h.roles), "address": str(h.address),
                           "reach": str(h.reach)} for h in self.hosts]}


def load(path: Path | str = DEFAULT_FILE) -> Topology:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise TopologyFileError(f"{path}: {e}") from None
    try:
        return parse(data, default_name=path.stem)
    except TopologyFileError as e:
        raise TopologyFileError(f"{path}: {e}") from None


def parse(data: dict, default_name: str = "hosts") -> Topology:
    """A topology from a topology file's table; every mistake is one sentence naming the field."""
    unknown = set(data) - {"name", "subnet", "hosts"}
    if unknown:
        raise TopologyFileError(f"unknown key(s) {', '.join(sorted(unknown))}: the file has "
                                "name, subnet and [hosts.<name>] tables")
    try:
        subnet = ipaddress.IPv4Network(data.get("subnet", ""))
    except ValueError:
        raise TopologyFileError(f"subnet {data.get('subnet')!r} is not an IPv4 network "
                                "such as \"10.203.0.0/24\"") from None
    if not subnet.is_private or subnet.is_loopback or subnet.prefixlen > 29:
        raise TopologyFileError(f"subnet {subnet}: use a private range (10/8, 172.16/12, "
                                "192.168/16) of at least /29")
    tables = data.get("hosts")
    if not isinstance(tables, dict) or not tables:
        raise TopologyFileError("no [hosts.<name>] table")
    hosts = tuple(_host(name, table, subnet) for name, table in tables.items())
    _check_unique(hosts)
    return Topology(str(data.get("name", default_name)), subnet, hosts)


def _host(name: str, table: dict, subnet: ipaddress.IPv4Network) -> Host:
    where = f"hosts.{name}"
    if not HOST_NAME.match(name) or name in RESERVED:
        raise TopologyFileError(f"{where}: a host name is a lowercase letter, then up to 10 "
                                "lowercase letters or digits, and not \"switch\"")
    unknown = set(table) - {"roles", "address", "reach"}
    if unknown:
        raise TopologyFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    roles = table.get("roles")
    if not isinstance(roles, list) or not roles:
        raise TopologyFileError(f"{where}: roles is a non-empty list, e.g. [\"service\"]")
    for role in roles:
        if role not in ROLES:
            raise TopologyFileError(f"{where}: unknown role {role!r}: roles are {', '.join(ROLES)}")
    try:
        address = ipaddress.IPv4Address(table.get("address", ""))
    except ValueError:
        raise TopologyFileError(f"{where}: address {table.get('address')!r} is not an IPv4 "
                                "address") from None
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise TopologyFileError(f"{where}: address {address} is not a host address of {subnet}")
    return Host(name, tuple(roles), address, Reach.parse(table.get("reach", "netns")))


def _check_unique(hosts: tuple[Host, ...]) -> None:
    for role in ROLES:
        playing = [h.name for h in hosts if role in h.roles]
        if len(playing) != 1:
            raise TopologyFileError(f"role {role!r} is played by "
                                    f"{', '.join(playing) or 'no host'}: each role has one host")
    addresses = [h.address for h in hosts]
    if len(set(addresses)) != len(addresses):
        raise TopologyFileError("two hosts share an address")
