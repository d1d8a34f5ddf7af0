"""Debian 13 for real, at host speed: scripts/guest/chroot.sh enters the guest's debootstrap
tree as a chroot (private mount, pid and network namespaces), runs scripts/setup.sh from a
fresh clone, then the contract suite against go_stdlib and fastapi_tuned on the PostgreSQL 17,
MariaDB 11.8 and memcached that the harness starts from Debian 13's packages. The cgroup is
not under test here (tests/guest/test_cgroup_v2.py is)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from .conftest import RESULTS, ROOT, require_machine, run_script, tail

pytestmark = pytest.mark.timeout(3600)
SERVICES = ("go_stdlib", "fastapi_tuned")


@pytest.fixture(scope="module")
def chroot() -> dict:
    require_machine()
    out = RESULTS / "debian13"
    code = run_script([str(ROOT / "scripts/guest/chroot.sh"), str(out)], 3300)
    setup, test = out / "setup.log", out / "test.log"
    assert (out / "junit.xml").exists(), (
        f"chroot.sh exit {code}, no junit.xml\nsetup.log:\n{tail(setup)}\ntest.log:\n{tail(test)}")
    outcomes: dict[str, Counter] = {name: Counter() for name in SERVICES}
    failed = []
    for case in ET.parse(out / "junit.xml").iter("testcase"):
        name = case.get("name", "")
        service = next((s for s in SERVICES if s in name), None)  # parametrized: name[go_stdlib-...]
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        if service:
            outcomes[service][kind] += 1
        if kind in ("failure", "error"):
            failed.append(f"{case.get('classname')}::{name}")
    return {"returncode": code, "outcomes": outcomes, "failed": failed,
            "versions": json.loads((out / "versions.json").read_text()), "test_log": tail(test, 15)}


def test_setup_and_the_servers_are_debian_13s(chroot):
    v = chroot["versions"]
    assert "13" in v["os"] and "trixie" in v["os"], v
    assert v["postgres"].startswith("17."), v
    assert v["mariadb"].startswith("11.8."), v
    assert v["memcached"], v
    assert v["python"].startswith("3.13."), v
    # Debian's golang-go 1.24, which fetched the 1.26 of go_stdlib's go.mod (GOTOOLCHAIN=auto)
    assert "go1.24" in v["go"] and "go1.26" in v["go_for_go_stdlib"], v


@pytest.mark.parametrize("service", SERVICES)
def test_the_contract_suite_passes_on_debian_13(chroot, service):
    counts = chroot["outcomes"][service]
    assert counts["passed"] > 0, chroot["test_log"]
    assert not chroot["failed"], "\n".join(chroot["failed"]) + "\n" + chroot["test_log"]
    assert counts["failure"] == counts["error"] == 0
    assert chroot["returncode"] == 0, chroot["test_log"]
