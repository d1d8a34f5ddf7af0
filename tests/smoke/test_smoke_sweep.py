"""A real end-to-end sweep: two services that pass the contract gate, two levels of one second,
devices-get and devices-post, two interleaved rounds (the curve alone); then the results must
validate, every cell be measured once per round, and the numbers be sane. Then the headline part
alone, two rounds of blocks after the noise probe: every visit in a block, A B B A.

SMOKE_SERVICES="a b" picks the services (default: fastapi_tuned and go_stdlib). The test skips
only when a named service has no manifest yet."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from loadtest import analysis
from loadtest.core.config import ROOT, SERVICES_DIR
from loadtest.measurement import headline
from loadtest.records import document, results

SERVICES = os.environ.get("SMOKE_SERVICES", "fastapi_tuned go_stdlib").split()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    missing = [s for s in SERVICES if not (SERVICES_DIR / s / "service.toml").exists()]
    if missing:
        pytest.skip(f"no manifest yet for {', '.join(missing)} (services/<name>/service.toml)")
    out = tmp_path_factory.mktemp("smoke") / "run"
    cmd = [str(ROOT / "loadtest" / "sweep.sh"), *SERVICES, "--scenario", "devices-get",
           "--scenario", "devices-post", "--levels", "5,10", "--duration", "1s", "--warmup", "0.5s",
           "--pause", "0.2s", "--rounds", "2", "--headline-rounds", "0", "--seed", "1", "--label", "smoke",
           "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"sweep failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return out


@pytest.fixture(scope="module")
def headline_dir(tmp_path_factory, run_dir):  # after the first: its gate already passed
    out = tmp_path_factory.mktemp("smoke") / "headline"
    cmd = [str(ROOT / "loadtest" / "sweep.sh"), *SERVICES, "--scenario", "devices-get", "--headline",
           "--headline-rounds", "4", "--duration", "1s", "--warmup", "0.5s", "--pause", "0.2s", "--seed", "1",
           "--skip-gate", "--label", "smoke-headline", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"sweep failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return out


def test_the_headline_part_visits_in_blocks_after_the_noise_probe(headline_dir):
    doc = document.read(headline_dir)  # the schema and the models accept it
    probe = doc.run.noise_probe
    assert sorted(probe.ok_rps) == sorted(probe.services) and all(len(v) >= 2 for v in probe.ok_rps.values())
    assert probe.log_sd is not None and probe.target_half_width in (0.05, 0.10)
    levels = doc.measured()
    assert levels and all(lv.block is not None for lv in levels)
    blocks: dict[int, list[str]] = {}
    for lv in levels:
        blocks.setdefault(lv.block, []).append(lv.service)
    n = headline.load().blocks("devices-get", 4)
    assert len(blocks) == n >= 2  # its share of the four rounds
    for order in blocks.values():
        assert order == order[::-1] and sorted(set(order)) == sorted(SERVICES)  # A B B A
    plateaus = analysis.plateaus(levels)
    ratio = analysis.plateau_ratio(plateaus[("devices-get", SERVICES[1])], plateaus[("devices-get", SERVICES[0])])
    assert ratio.n == n and ratio.value > 0


def test_results_validate(run_dir):
    doc = document.read(run_dir)  # the schema and the models accept it
    assert doc.run.status == "complete"
    assert not doc.run.options.skip_gate


def test_every_service_passed_the_gate_and_was_measured(run_dir):
    doc = results.load(run_dir)
    for name in SERVICES:
        s = doc["services"][name]
        assert s["gate"]["status"] == "passed", s["gate"]["output_tail"]
        assert s["status"] == "measured", s.get("error")


def test_numbers_are_sane(run_dir):
    doc = results.load(run_dir)
    levels = doc["levels"]
    cells = [(lv["service"], lv["scenario"], lv["users"], lv["round"]) for lv in levels]
    assert sorted(cells) == sorted((s, sc, u, r) for s in SERVICES for sc in ("devices-get", "devices-post")
                                   for u in (5, 10) for r in (1, 2))  # every cell, once per round
    for lv in levels:
        where = f"{lv['service']} at {lv['users']} users"
        assert lv["requests"] > 0 and lv["rps"] > 0, where
        assert lv["errors"]["total"] == 0, f"{where}: {lv['errors']}"
        assert lv["availability"] == 1.0, where
        assert 0 < lv["latency_ms"]["p50"] <= lv["latency_ms"]["p99"] <= lv["latency_ms"]["max"], where
        assert 0.5 <= lv["duration_s"] <= 3, where
        assert lv["service_alive"], where
        assert lv["service_cpu"]["percent_of_quota"] is not None, where
        assert lv["service_memory"]["current_bytes"], where
        assert (run_dir / lv["raw"]).exists(), where
        assert lv["cpu_per_request_us"] > 0 and lv["bound"], where
        if lv["scenario"] == "devices-post":
            assert lv["check"]["consistent"], f"{where}: {lv['check']}"


def test_two_rounds_give_an_estimate_without_an_interval(run_dir):
    plateaus = analysis.plateaus(document.read(run_dir).measured())
    for name in SERVICES:
        p = plateaus[("devices-get", name)]
        assert p.ok_rps.n == 2 and p.ok_rps.value > 0 and not p.ok_rps.has_interval


def test_placement_recorded(run_dir):
    pl = results.load(run_dir)["environment"]["placement"]
    assert pl["mode"] in ("cgroup-v1", "cgroup-v2", "taskset")
    assert pl["service_cpus"] and pl["generator_cpus"] and pl["databases_share"]
    if len(pl["cpus_online"]) >= 2:
        assert set(pl["service_cpus"]).isdisjoint(pl["generator_cpus"])


def test_reports_written(run_dir):
    assert "## devices-get" in (run_dir / "report.md").read_text()
    page = (run_dir / "report.html").read_text()
    bundle = re.search(r'<script[^>]+src="(\.\./plotly-[^"]+\.js)"', page)
    assert bundle, "report.html loads plotly.js from the file beside the run"
    assert (run_dir / bundle.group(1)).stat().st_size > 1_000_000
