"""The harness's placement on cgroup v2, for real: scripts/guest/boot.sh boots a Debian 13
guest (kernel 6.12, the unified hierarchy, 2 vCPUs) under QEMU software emulation, where
scripts/guest/probe.py runs loadtest/runtime/isolation.py as native.py does and reports JSON.
Made in an emulated guest: these figures prove behaviour and are never compared with timings."""

from __future__ import annotations

import json

import pytest

from .conftest import RESULTS, ROOT, require_machine, run_script, tail

pytestmark = pytest.mark.timeout(3600)  # a cold cache debootstraps first; the guest is ~1/30 speed
GIB = 1024**3


@pytest.fixture(scope="module")
def guest() -> dict:
    require_machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result, console = RESULTS / "cgroup-v2.json", RESULTS / "cgroup-v2-console.log"
    result.unlink(missing_ok=True)
    code = run_script([str(ROOT / "scripts/guest/boot.sh"), str(result), str(console)], 3300)
    assert code == 0, f"boot.sh exit {code}; console:\n{tail(console)}"
    data = json.loads(result.read_text())
    assert "error" not in data, f"{data['error']}\nconsole:\n{tail(console)}"
    return data


def test_the_guest_is_emulated_debian_13_on_the_unified_hierarchy(guest):
    assert guest["emulated"] is True
    assert guest["kernel"].split(".")[:2] >= ["6", "1"], guest["kernel"]
    assert guest["nproc"] == 2
    assert {"cpu", "cpuset", "memory"} <= set(guest["controllers"].split())
    assert guest["mode"] == "cgroup-v2"
    assert guest["placement"]["mode"] == "cgroup-v2"
    assert guest["placement"]["service_cpus"] == [0] and guest["placement"]["generator_cpus"] == [1]


def test_the_service_runs_in_its_group_with_the_limits_read_back(guest):
    svc = guest["service"]
    lim = svc["limits"]
    assert lim["cpu.max"] == "100000 100000"  # 1 vCPU
    assert lim["memory.max"] == str(2 * GIB)
    assert lim["cpuset.cpus"] == "0" and lim["cpuset.cpus.effective"] == "0"
    assert {"cpu", "cpuset", "memory"} <= set(lim["cgroup.controllers"].split())
    assert str(svc["pid"]) in lim["cgroup.procs"].split()
    assert svc["pid_cgroup"] == f"0::/webstack-bench/go_stdlib-{guest['probe_pid']}"
    assert {"cpu", "cpuset", "memory"} <= set(guest["during"]["root_subtree_control"].split())


def test_the_loaded_service_is_accounted_by_its_group(guest):
    load = guest["service"]["load"]
    assert load["ok"] > 0 and load["errors"] == 0
    assert load["cpu"]["usage_s"] > 0 and load["cpu"]["nr_periods"] > 0
    assert load["figures"]["source"] == "cgroup"
    assert load["memory"]["current_bytes"] > 0 and load["memory"]["oom_kills"] == 0


def test_the_quota_throttles_two_cores_of_demand(guest):
    q = guest["quota"]
    assert q["limits"]["cpu.max"] == "100000 100000"
    assert q["limits"]["cpuset.cpus.effective"] == "0-1"
    assert q["cpu"]["nr_throttled"] > 0 and q["cpu"]["throttled_s"] > 0


def test_the_memory_limit_oom_kills_inside_its_group_and_the_rest_survives(guest):
    m = guest["memory"]
    assert m["limits"]["memory.max"] == str(64 * 1024**2)
    assert m["hog_returncode"] == -9 and m["hog_stdout"] == ""
    assert m["oom_kills"] >= 1
    assert m["service_alive"] and m["service_status_after"] == 200


def test_the_hierarchy_is_left_as_found(guest):
    assert guest["service_stopped"]
    assert guest["hierarchy_after"] == guest["hierarchy_before"]
    assert guest["restored"]
