"""Real topologies on this machine: network namespaces, veth pairs, a bridge and netem.

They need root and iproute2; each test checks that nothing of ours (a namespace, a link, a qdisc)
is left on the machine afterwards, whatever happened inside."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from loadtest.topology import netns

if os.geteuid() != 0 or not (shutil.which("ip") and shutil.which("tc")):
    pytest.skip("topology tests need root and iproute2", allow_module_level=True)

TAG = f"t{os.getpid() % 1_000_000}"  # this session's instance: wsb-<TAG>-<host>


def _netem_available() -> bool:
    ns = f"{netns.PREFIX}{TAG}-probe"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return subprocess.run(["tc", "-n", ns, "qdisc", "add", "dev", "lo", "root", "netem",
                               "delay", "1us"], capture_output=True, check=False).returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=True)


NETEM = _netem_available()


def ours_on_the_machine() -> list[str]:
    """Every namespace, link and qdisc of ours the machine shows (the wsb- prefix)."""
    out = []
    for argv in (["ip", "netns", "list"], ["ip", "-o", "link", "show"], ["tc", "qdisc", "show"]):
        text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        out += [f"{' '.join(argv)}: {line}" for line in text.splitlines()
                if netns.PREFIX in line or "netem" in line]
    return out


@pytest.fixture
def tag():
    """The tag to build with; fails the test if anything of ours was left behind."""
    before = ours_on_the_machine()
    yield TAG
    assert ours_on_the_machine() == before, "left behind"
    assert not [line for line in before if f"{netns.PREFIX}{TAG}-" in line]
