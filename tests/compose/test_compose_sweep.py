"""The harness's compose runtime end to end: `loadtest/sweep.sh --runtime compose` on the stack
it brings up itself (build, up --wait, /healthz, a restart per scenario, Engine API stats), two
services, two one-second levels, then results.json against loadtest/results.schema.json.

--skip-gate: test_compose_stack.py has just run the full contract suite in the same containers;
the gate under compose is that same suite (loadtest/runtime/gate.py), so it is not run a second time.
"""

from __future__ import annotations

import subprocess

import pytest

from loadtest.core.config import ROOT
from loadtest.records import document, results

from .conftest import SERVICES, compose

SMOKE = ["fastapi_tuned", "go_stdlib"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    compose("down", "--remove-orphans", profiles=SERVICES, timeout=300)  # the sweep starts from nothing
    out = tmp_path_factory.mktemp("compose-smoke") / "run"
    cmd = [str(ROOT / "loadtest" / "sweep.sh"), "--runtime", "compose", *SMOKE,
           "--scenario", "devices-get", "--levels", "1,2", "--duration", "1s", "--warmup", "0",
           "--pause", "0", "--headline-rounds", "0", "--skip-gate", "--label", "compose-smoke", "--out", str(out)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200,
                              stdin=subprocess.DEVNULL, check=False)
        assert proc.returncode == 0, f"sweep failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        yield out
    finally:
        compose("down", "-v", "--remove-orphans", profiles=SERVICES, timeout=300)


@pytest.mark.timeout(1500)
def test_results_validate(run_dir):
    doc = document.read(run_dir)  # the schema and the models accept it
    assert doc.run.status == "complete"
    assert doc.environment.placement.mode == "compose"


def test_every_level_measured_from_the_engine(run_dir):
    doc = results.load(run_dir)
    levels = doc["levels"]
    assert {(lv["service"], lv["users"]) for lv in levels} == {(s, u) for s in SMOKE for u in (1, 2)}
    for lv in levels:
        where = f"{lv['service']} at {lv['users']} users"
        assert lv["requests"] > 0 and lv["errors"]["total"] == 0, where
        assert lv["service_cpu"]["source"] == "docker-engine", where
        assert lv["service_cpu"]["percent_of_quota"] is not None, where
        assert lv["service_memory"]["limit_bytes"] == 2 * 1024**3, where
        assert {"postgres", "mysql", "memcached"} <= set(lv["databases"]), where
    for name in SMOKE:
        assert doc["services"][name]["status"] == "measured", doc["services"][name].get("error")
