"""The default four-host topology built for real: reachability, isolation, measured round trips
per profile, and teardown after a clean exit, an error, Ctrl-C, SIGTERM and SIGKILL."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from loadtest.topology import netns, spec

from .conftest import NETEM, ours_on_the_machine

ROOT = spec.DEFAULT_FILE.parents[2]
DEFAULT = spec.load()
NO_NETEM = "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM)"


def namespaces(tag: str) -> list[str]:
    return netns.namespaces(netns.Names(tag))


def test_four_hosts_reach_each_other_and_nothing_else(tag):
    with netns.Network(DEFAULT, spec.profile("loopback"), tag=tag) as net:
        assert sorted(namespaces(tag)) == sorted(
            [f"wsb-{tag}-{h}" for h in ("generator", "services", "databases", "upstream", "switch")])
        for host in DEFAULT.hosts:
            shown = _run([*net.exec_argv(host.name), "ip", "-4", "-o", "addr", "show", "wsb0"])
            assert f"inet {host.address}/24" in shown
            routes = [r.strip() for r in _run([*net.exec_argv(host.name), "ip", "route"]).splitlines()]
            assert routes == [f"10.203.0.0/24 dev wsb0 proto kernel scope link src {host.address}"]
        # nothing leaves the machine: no route out of a host, and the bridge has no address
        out = subprocess.run([*net.exec_argv("service"), sys.executable, "-c",
                              "import socket; socket.create_connection(('192.0.2.1', 80), 2)"],
                             capture_output=True, text=True, check=False)
        assert "Network is unreachable" in out.stderr
        assert "inet " not in _run(["ip", "-n", f"wsb-{tag}-switch", "-4", "addr"])
        # the links were measured: a real TCP round trip, nothing added
        record = net.record()
        assert [(link["a"], link["b"]) for link in record["links"]] == [
            ("generator", "services"), ("services", "databases"), ("services", "upstream")]
        for link in record["links"]:
            assert 0 < link["floor_ms"] == link["rtt_ms"] < 5 and link["added_ms"] == 0
            print(f"loopback {link['a']}-{link['b']}: {link['rtt_ms'] * 1000:.0f} us")
        assert record["profile"] == {"name": "loopback", "rtt_ms": 0.0, "delay_per_direction_us": 0}
    assert namespaces(tag) == []


@pytest.mark.skipif(not NETEM, reason=NO_NETEM)
@pytest.mark.parametrize("name", ["rack", "zone", "region"])
def test_a_profile_adds_its_round_trip_on_every_link(tag, name):
    profile = spec.profile(name)
    with netns.Network(DEFAULT, profile, tag=tag) as net:
        for host in DEFAULT.hosts:
            qdisc = _run(["tc", "-n", f"wsb-{tag}-{host.name}", "qdisc", "show", "dev", "wsb0"])
            assert "netem" in qdisc and "limit 10000" in qdisc, qdisc
            assert _delay_us(qdisc) == pytest.approx(profile.delay_us), qdisc
        for link in net.links:
            print(f"{name} {link.a}-{link.b}: floor {link.floor_ms * 1000:.0f} us, measured "
                  f"{link.rtt_ms * 1000:.0f} us, added {link.added_ms * 1000:.0f} us "
                  f"(profile {profile.rtt_ms * 1000:.0f} us)")
            assert abs(link.added_ms - profile.rtt_ms) <= 0.2 * profile.rtt_ms


@pytest.mark.skipif(NETEM, reason="this kernel has netem")
def test_without_netem_a_delay_profile_fails_before_any_host_exists(tag):
    calls = []

    def recording(argv):
        calls.append(argv)
        return netns.run(argv)

    with pytest.raises(spec.TopologyError, match=r"no netem qdisc \(CONFIG_NET_SCH_NETEM\)"):
        netns.Network(DEFAULT, spec.profile("zone"), tag=tag, runner=recording).up()
    added = [c[3] for c in calls if c[:3] == ["ip", "netns", "add"]]
    assert added == [f"wsb-{tag}-switch"]


def test_an_error_inside_tears_down_and_stops_what_runs_in_the_hosts(tag):
    with (pytest.raises(RuntimeError, match="the run failed"),
          netns.Network(DEFAULT, spec.profile("loopback"), tag=tag, count=20) as net):
        left = subprocess.Popen([*net.exec_argv("databases"), "sleep", "60"])
        time.sleep(0.2)
        raise RuntimeError("the run failed")
    assert left.wait(timeout=10) == -signal.SIGKILL
    assert namespaces(tag) == []


def test_ctrl_c_inside_tears_down(tag):
    with (pytest.raises(KeyboardInterrupt),
          netns.Network(DEFAULT, spec.profile("loopback"), tag=tag, count=20)):
        raise KeyboardInterrupt
    assert namespaces(tag) == []


def test_a_failure_while_building_tears_down_what_was_built(tag):
    def failing(argv):
        if argv[:3] == ["ip", "link", "add"] and f"wsb-{tag}-databases" in argv:
            raise spec.TopologyError("injected: no more veths")
        return netns.run(argv)

    with pytest.raises(spec.TopologyError, match="injected"):
        netns.Network(DEFAULT, spec.profile("loopback"), tag=tag, runner=failing).up()
    assert namespaces(tag) == []


def test_a_second_teardown_does_nothing(tag):
    net = netns.Network(DEFAULT, spec.profile("loopback"), tag=tag, count=20)
    with net:
        pass
    net.down()
    net.down()
    assert namespaces(tag) == []


CHILD = textwrap.dedent("""
    import sys, time
    from loadtest.topology import netns, spec
    with netns.Network(spec.load(), spec.profile("loopback"), tag=sys.argv[1], count=20):
        print("up", flush=True)
        time.sleep(60)
""")


def _child(tag: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", CHILD, tag], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline() == "up\n", child.communicate(timeout=10)[1]
    assert len(namespaces(tag)) == 5
    return child


# Python dies of an uncaught KeyboardInterrupt by SIGINT; SIGTERM becomes SystemExit(143).
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, -signal.SIGINT), (signal.SIGTERM, 143)])
def test_a_signal_tears_down(tag, sig, status):
    child = _child(tag)
    child.send_signal(sig)
    assert child.wait(timeout=30) == status
    assert namespaces(tag) == []


def test_after_sigkill_the_next_run_or_down_removes_the_leftovers(tag):
    child = _child(tag)
    child.kill()
    child.wait(timeout=10)
    assert len(namespaces(tag)) == 5 and any(f"wsb-{tag}-" in line for line in ours_on_the_machine())
    with netns.Network(DEFAULT, spec.profile("loopback"), tag=tag, count=20):
        assert len(namespaces(tag)) == 5
    child = _child(tag)
    child.kill()
    child.wait(timeout=10)
    down = subprocess.run([sys.executable, "-m", "loadtest.topology", "down", "--tag", tag],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    assert down.returncode == 0, down.stderr
    assert namespaces(tag) == []


def _delay_us(qdisc: str) -> float:
    """netem's delay as `tc qdisc show` prints it ("delay 50us", "delay 1ms"), in µs."""
    value, unit = re.search(r"delay ([\d.]+)(us|ms|s)\b", qdisc).groups()
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
