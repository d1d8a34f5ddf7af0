"""The topology file, the profiles and the commands a topology would run; nothing is built.

tests/topology builds real namespaces (root needed); these need nothing but Python."""

from __future__ import annotations

import copy

import pytest

from loadtest.topology import netns, rtt, spec
from loadtest.topology.rtt import LinkRtt

DEFAULT = spec.load()
TWO_HOSTS = {"name": "two", "subnet": "10.203.1.0/29", "hosts": {
    "load": {"roles": ["generator"], "address": "10.203.1.1"},
    "app": {"roles": ["service", "postgres", "mariadb", "memcached", "upstream"],
            "address": "10.203.1.2"}}}


def raw() -> dict:
    return copy.deepcopy(TWO_HOSTS)


# --- the file ----------------------------------------------------------------------------------

def test_the_default_file_has_four_hosts_on_a_private_subnet():
    assert DEFAULT.name == "hosts" and str(DEFAULT.subnet) == "10.203.0.0/24"
    assert [h.name for h in DEFAULT.hosts] == ["generator", "services", "databases", "upstream"]
    assert DEFAULT.subnet.is_private
    assert all(h.reach == spec.Reach("netns") for h in DEFAULT.hosts)
    assert DEFAULT.address("postgres") == DEFAULT.address("memcached") == "10.203.0.30"
    assert DEFAULT.address("service") == "10.203.0.20"


def test_every_role_is_placed_once():
    for role in spec.ROLES:
        assert sum(role in h.roles for h in DEFAULT.hosts) == 1


def test_links_are_the_pairs_that_talk_each_once():
    assert [(a.name, b.name) for a, b in DEFAULT.links()] == [
        ("generator", "services"), ("services", "databases"), ("services", "upstream")]
    two = spec.parse(raw())
    assert [(a.name, b.name) for a, b in two.links()] == [("load", "app")]


def test_the_record_names_hosts_roles_addresses_and_reach():
    rec = spec.parse(raw()).record()
    assert rec == {"name": "two", "subnet": "10.203.1.0/29", "hosts": [
        {"name": "load", "roles": ["generator"], "address": "10.203.1.1", "reach": "netns"},
        {"name": "app", "roles": ["service", "postgres", "mariadb", "memcached", "upstream"],
         "address": "10.203.1.2", "reach": "netns"}]}


def test_reach_is_netns_ssh_or_docker():
    assert spec.Reach.parse("netns") == spec.Reach("netns")
    assert spec.Reach.parse("ssh://bench@db1.example") == spec.Reach("ssh", "bench@db1.example")
    assert spec.Reach.parse("docker://db-host") == spec.Reach("docker", "db-host")
    assert str(spec.Reach.parse("ssh://bench@db1:2222")) == "ssh://bench@db1:2222"
    for bad in ("ssh", "ssh://", "kubectl://pod", "db1.example"):
        with pytest.raises(spec.TopologyFileError, match="reach"):
            spec.Reach.parse(bad)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(subnet="8.8.8.0/24"), "private range"),
    (lambda d: d.update(subnet="127.0.0.0/8"), "private range"),
    (lambda d: d.update(subnet="10.203.1.0/30"), "at least /29"),
    (lambda d: d.update(subnet="10.203.1.0/33"), "not an IPv4 network"),
    (lambda d: d.update(colour="blue"), "unknown key"),
    (lambda d: d.update(hosts={}), r"no \[hosts"),
    (lambda d: d["hosts"]["load"].update(address="10.203.2.1"), "not a host address"),
    (lambda d: d["hosts"]["load"].update(address="10.203.1.0"), "not a host address"),
    (lambda d: d["hosts"]["load"].update(address="10.203.1.7"), "not a host address"),
    (lambda d: d["hosts"]["load"].update(address="10.203.1.2"), "share an address"),
    (lambda d: d["hosts"]["load"].update(address="nowhere"), "not an IPv4 address"),
    (lambda d: d["hosts"]["load"].update(roles=["generator", "postgres"]), "'postgres' is played by"),
    (lambda d: d["hosts"]["load"].update(roles=["loadgen"]), "unknown role"),
    (lambda d: d["hosts"]["load"].update(roles=[]), "non-empty list"),
    (lambda d: d["hosts"]["load"].update(port=22), "unknown key"),
    (lambda d: d["hosts"]["app"]["roles"].remove("upstream"), "'upstream' is played by no host"),
    (lambda d: d["hosts"].update(Load=d["hosts"].pop("load")), "host name"),
    (lambda d: d["hosts"].update(switch=d["hosts"].pop("load")), "host name"),
    (lambda d: d["hosts"].update(generatorhost=d["hosts"].pop("load")), "host name"),
])
def test_a_mistake_is_named(edit, message):
    data = raw()
    edit(data)
    with pytest.raises(spec.TopologyFileError, match=message):
        spec.parse(data)


def test_a_file_error_names_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('subnet = "10.203.1.0/24"\n[hosts.a]\nroles = ["generator"]\naddress = "10.203.1.1"\n')
    with pytest.raises(spec.TopologyFileError, match=r"mine\.toml: role 'service'"):
        spec.load(path)
    path.write_text("subnet = [")
    with pytest.raises(spec.TopologyFileError, match=r"mine\.toml"):
        spec.load(path)


def test_the_name_defaults_to_the_file_name(tmp_path):
    data = raw()
    del data["name"]
    path = tmp_path / "lab.toml"
    path.write_text(_toml(data))
    assert spec.load(path).name == "lab"


def _toml(data: dict) -> str:
    lines = [f'subnet = "{data["subnet"]}"']
    for name, host in data["hosts"].items():
        roles = ", ".join(f'"{r}"' for r in host["roles"])
        lines += [f"[hosts.{name}]", f"roles = [{roles}]", f'address = "{host["address"]}"']
    return "\n".join(lines) + "\n"


# --- the profiles ------------------------------------------------------------------------------

def test_profiles_and_their_delay_per_direction():
    assert {n: p.rtt_ms for n, p in spec.PROFILES.items()} == {
        "loopback": 0.0, "rack": 0.1, "zone": 0.5, "region": 2.0}
    assert {n: p.delay_us for n, p in spec.PROFILES.items()} == {
        "loopback": 0, "rack": 50, "zone": 250, "region": 1000}


def test_an_unknown_profile_lists_the_known_ones():
    with pytest.raises(spec.TopologyFileError, match="loopback, rack, zone, region"):
        spec.profile("lan")


# --- the commands ------------------------------------------------------------------------------

def test_names_carry_the_prefix_and_the_tag():
    names = netns.Names("t1")
    assert names.switch == "wsb-t1-switch" and names.namespace("databases") == "wsb-t1-databases"
    assert names.port("databases") == "wsb-databases"
    longest = max((names.port(h.name) for h in DEFAULT.hosts), key=len)
    assert len(longest) <= 15 and len(names.port("a" * 11)) <= 15  # IFNAMSIZ
    for bad in ("", "Main", "with-dash", "ninechars"):
        with pytest.raises(spec.TopologyFileError, match="tag"):
            netns.Names(bad)


def test_up_builds_the_switch_then_one_namespace_and_veth_per_host():
    cmds = netns.up_commands(spec.parse(raw()), netns.Names("t1"))
    assert cmds == [
        ["ip", "netns", "add", "wsb-t1-switch"],
        ["ip", "-n", "wsb-t1-switch", "link", "add", "wsb-br", "type", "bridge"],
        ["ip", "-n", "wsb-t1-switch", "link", "set", "wsb-br", "up"],
        ["ip", "netns", "add", "wsb-t1-load"],
        ["ip", "-n", "wsb-t1-load", "link", "set", "lo", "up"],
        ["ip", "link", "add", "wsb0", "netns", "wsb-t1-load", "type", "veth", "peer", "name",
         "wsb-load", "netns", "wsb-t1-switch"],
        ["ip", "-n", "wsb-t1-switch", "link", "set", "wsb-load", "master", "wsb-br"],
        ["ip", "-n", "wsb-t1-switch", "link", "set", "wsb-load", "up"],
        ["ip", "-n", "wsb-t1-load", "addr", "add", "10.203.1.1/29", "dev", "wsb0"],
        ["ip", "-n", "wsb-t1-load", "link", "set", "wsb0", "up"],
        ["ip", "netns", "add", "wsb-t1-app"],
        ["ip", "-n", "wsb-t1-app", "link", "set", "lo", "up"],
        ["ip", "link", "add", "wsb0", "netns", "wsb-t1-app", "type", "veth", "peer", "name",
         "wsb-app", "netns", "wsb-t1-switch"],
        ["ip", "-n", "wsb-t1-switch", "link", "set", "wsb-app", "master", "wsb-br"],
        ["ip", "-n", "wsb-t1-switch", "link", "set", "wsb-app", "up"],
        ["ip", "-n", "wsb-t1-app", "addr", "add", "10.203.1.2/29", "dev", "wsb0"],
        ["ip", "-n", "wsb-t1-app", "link", "set", "wsb0", "up"],
    ]


def test_nothing_is_created_outside_our_namespaces():
    """Every command names one of our namespaces, so none creates a link on the machine itself."""
    names = netns.Names("t1")
    for cmd in netns.up_commands(DEFAULT, names) + netns.shape_commands(
            DEFAULT, names, spec.profile("zone")):
        assert any(arg.startswith("wsb-t1-") for arg in cmd), cmd
        if cmd[:3] == ["ip", "link", "add"]:
            assert cmd.count("netns") == 2, cmd


@pytest.mark.parametrize(("name", "delay"), [("rack", "50us"), ("zone", "250us"), ("region", "1000us")])
def test_shape_puts_half_the_round_trip_on_every_host(name, delay):
    cmds = netns.shape_commands(DEFAULT, netns.Names("t1"), spec.profile(name))
    assert cmds == [["tc", "-n", f"wsb-t1-{h.name}", "qdisc", "add", "dev", "wsb0", "root",
                     "netem", "delay", delay, "limit", "10000"] for h in DEFAULT.hosts]


def test_loopback_shapes_nothing():
    assert netns.shape_commands(DEFAULT, netns.Names("t1"), spec.profile("loopback")) == []


def test_netem_is_probed_in_the_switch_and_removed():
    assert netns.netem_probe_commands(netns.Names("t1")) == [
        ["tc", "-n", "wsb-t1-switch", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1us"],
        ["tc", "-n", "wsb-t1-switch", "qdisc", "del", "dev", "lo", "root"]]


class FakeIp:
    """Answers `ip netns list` and `ip netns pids` from a set of namespaces; records the rest."""

    def __init__(self, existing: list[str]):
        self.existing, self.calls = set(existing), []

    def __call__(self, argv: list[str]) -> str:
        self.calls.append(argv)
        if argv == ["ip", "netns", "list"]:
            return "".join(f"{ns} (id: {i})\n" for i, ns in enumerate(sorted(self.existing)))
        if argv[:3] == ["ip", "netns", "pids"]:
            return ""
        if argv[:3] == ["ip", "netns", "del"]:
            self.existing.discard(argv[3])
        return ""


def test_down_deletes_exactly_this_tags_namespaces_switch_last_and_is_idempotent():
    fake = FakeIp(["wsb-t1-switch", "wsb-t1-app", "wsb-t1-load", "wsb-t2-app", "wsb-t10-x",
                   "other"])
    net = netns.Network(spec.parse(raw()), spec.profile("loopback"), tag="t1", runner=fake)
    net.down()
    deleted = [c[3] for c in fake.calls if c[:3] == ["ip", "netns", "del"]]
    assert deleted == ["wsb-t1-app", "wsb-t1-load", "wsb-t1-switch"]
    assert fake.existing == {"wsb-t2-app", "wsb-t10-x", "other"}
    fake.calls.clear()
    net.down()
    assert fake.calls == [["ip", "netns", "list"]]


def test_down_commands():
    assert netns.down_commands(["wsb-t1-a", "wsb-t1-switch"]) == [
        ["ip", "netns", "del", "wsb-t1-a"], ["ip", "netns", "del", "wsb-t1-switch"]]


def test_hosts_on_real_machines_are_not_built_here():
    data = raw()
    data["hosts"]["app"]["reach"] = "ssh://bench@app.example"
    with pytest.raises(spec.TopologyFileError, match="SSH or Docker"):
        netns.Network(spec.parse(data), spec.profile("zone"))


def test_exec_argv_by_host_or_role():
    net = netns.Network(DEFAULT, spec.profile("loopback"), tag="t1", runner=FakeIp([]))
    assert net.exec_argv("mariadb") == ["ip", "netns", "exec", "wsb-t1-databases"]
    assert net.exec_argv("services") == net.exec_argv("service")


# --- the check ---------------------------------------------------------------------------------

def test_a_link_is_held_to_its_added_round_trip_within_20_percent():
    assert LinkRtt("a", "b", floor_ms=0.03, rtt_ms=0.53, target_ms=0.5).within()
    assert LinkRtt("a", "b", floor_ms=0.03, rtt_ms=0.63, target_ms=0.5).within()  # +20 %
    assert not LinkRtt("a", "b", floor_ms=0.03, rtt_ms=0.64, target_ms=0.5).within()
    assert not LinkRtt("a", "b", floor_ms=0.03, rtt_ms=0.42, target_ms=0.5).within()
    assert LinkRtt("a", "b", floor_ms=0.03, rtt_ms=0.03, target_ms=0.0).within()  # loopback


def test_check_names_every_link_off_its_profile():
    links = [LinkRtt("g", "s", 0.02, 0.12, 0.1), LinkRtt("s", "d", 0.02, 0.35, 0.1),
             LinkRtt("s", "u", 0.02, 0.03, 0.1)]
    with pytest.raises(spec.TopologyError) as e:
        rtt.check(links)
    assert "s-d added 0.330 ms" in str(e.value) and "s-u added 0.010 ms" in str(e.value)
    assert "g-s" not in str(e.value)
    rtt.check(links[:1])


def test_a_link_record():
    assert LinkRtt("g", "s", 0.02, 0.52, 0.5).record() == {
        "a": "g", "b": "s", "floor_ms": 0.02, "rtt_ms": 0.52, "added_ms": 0.5, "target_ms": 0.5}
