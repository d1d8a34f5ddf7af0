"""What limited a level, and whether its figures add up: level.classify, generator_bound and
littles_law, on hand-made figures for each rule and on every level of the committed reference
run, whose recorded bounds they must give again."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from loadtest.records import level as lv
from loadtest.records.level import Level
from loadtest.scenarios import SCENARIOS

REFERENCE_RUN = Path(__file__).parents[2] / "docs" / "results" / "2026-12-01-full" / "results.json"
IDLE = {"percent_of_quota": 40.0, "nr_periods": 100, "nr_throttled": 0}
BUSY = {"percent_of_quota": 97.0, "nr_periods": 100, "nr_throttled": 0}
QUIET_DB = {"postgres": {"cpu_percent_of_core": 30.0}}
QUIET_HOST = {"busy_cores": 1.2}


def classify(gen=False, service=IDLE, databases=QUIET_DB, host=QUIET_HOST, cores=2, upstream=False):
    return lv.classify(gen, lv.ServiceCpu(**service), databases, host, cores, upstream)


def test_each_bound_by_its_own_rule():
    assert classify(gen=True) == "generator"
    assert classify(service=BUSY) == "service"
    assert classify(service={"percent_of_quota": 70.0, "nr_periods": 100, "nr_throttled": 25}) == "service"
    assert classify(upstream=True) == "upstream"
    assert classify(databases={"mariadb": {"cpu_percent_of_core": 95.0}}) == "database"
    assert classify(host={"busy_cores": 1.95}) == "machine"
    assert classify() == "unknown"


def test_first_match_wins():
    # a busy generator makes the figure a floor, whatever else was busy
    assert classify(gen=True, service=BUSY, upstream=True) == "generator"
    # a service at its quota is the limit even while a database is busy too
    assert classify(service=BUSY, databases={"postgres": {"cpu_percent_of_core": 99.0}}) == "service"
    assert classify(databases={"postgres": {"cpu_percent_of_core": 99.0}}, host={"busy_cores": 2.0}) == "database"


def test_the_external_mock_is_not_a_database():
    assert classify(databases={"external_mock": {"cpu_percent_of_core": 99.0}}) == "unknown"


def test_missing_figures_do_not_invent_a_bound():
    assert classify(service={}, databases={}, host=None) == "unknown"
    assert classify(host={"busy_cores": 1.9}, cores=4) == "unknown"  # half of four cores is not the machine


def test_generator_bound_needs_a_busy_tool_and_a_service_with_room_or_the_tool_ceiling():
    assert lv.generator_bound(0.95, 0.50, 10_000, None)
    assert not lv.generator_bound(0.95, 0.97, 10_000, None)  # both saturated: the service's figure
    assert not lv.generator_bound(0.50, 0.50, 10_000, None)
    assert lv.generator_bound(0.50, 0.50, 95_000, 100_000)  # at 90 % of the calibrated ceiling


def test_littles_law():
    assert lv.littles_law(100, 2_000.0, 50.0) == {"in_flight": 100.0, "ratio": 1.0, "flagged": False}
    off = lv.littles_law(100, 2_000.0, 40.0)  # 80 in flight for 100 users: time lost outside requests
    assert off["flagged"] and off["ratio"] == pytest.approx(0.8)
    assert lv.littles_law(100, None, 50.0) is None and lv.littles_law(100, 2_000.0, None) is None


def test_the_reference_run_classifies_again_as_recorded():
    doc = json.loads(REFERENCE_RUN.read_text())
    levels = [Level.model_validate(d) for d in doc["levels"]]
    cores = doc["environment"]["cpu_count"]
    seen = Counter()
    for level in levels:
        again = lv.classify(level.generator.bound, level.service_cpu, level.databases,
                            level.host_cpu, cores, SCENARIOS[level.scenario].upstream)
        assert again == level.bound, (level.service, level.scenario, level.users, level.round)
        seen[again] += 1
    assert len(levels) == 540 and seen["generator"] == 0
    assert {"service", "database", "upstream", "unknown"} <= set(seen)
