"""Sweep planning: levels, durations, expected time, placement."""

import argparse

import pytest

from loadtest.measurement import plan
from loadtest.records.calibration import Calibration
from loadtest.records.level import generator_bound, short_of_rate_by_generator
from loadtest.runtime import isolation


def test_parse_levels():
    assert plan.parse_levels("10:100:10") == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert plan.parse_levels("1,5") == [1, 5]
    for bad in ("0:10:5", "x", "", "10:1:-1"):
        with pytest.raises(ValueError):
            plan.parse_levels(bad)


def test_parse_duration():
    assert plan.parse_duration("10s") == 10 and plan.parse_duration("500ms") == 0.5
    assert plan.parse_duration("2m") == 120 and plan.parse_duration("3") == 3
    with pytest.raises(ValueError):
        plan.parse_duration("ten")


def args(**kw):
    base = {"services": ["go_stdlib"], "scenario": None, "tool": None, "levels": None,
            "duration": None, "warmup": None, "pause": None, "quick": False, "open_loop": False,
            "no_keepalive": False, "fib_n": 25, "external_delay_ms": 500, "skip_gate": False,
            "runtime": "native", "rounds": None, "seed": None, "headline": False,
            "headline_rounds": None}
    return argparse.Namespace(**{**base, **kw})


def test_defaults_are_the_reference_protocol_within_70_minutes():
    p = plan.from_args(args(services=None))
    assert len(p.services) == 6 and len(p.scenarios) == 6 and p.rounds >= 2 and p.curve
    assert p.levels[0] == 10 and p.levels[-1] == 100
    assert p.expected_seconds() <= 70 * 60
    # the estimate adds up: every round of the curve measures every cell once, and the headline
    # part visits each service of a scenario's comparisons twice per round
    cells = 6 * 6 * len(p.levels)
    assert p.cells_per_round() == cells
    h = p.headline()
    assert h.comparisons and p.headline_rounds >= 6
    assert p.headline_visits() == sum(2 * len(m) * n for m, n in zip(h.groups().values(), p.headline_blocks().values(),
                                                                     strict=True))
    visits = p.rounds * cells + p.headline_visits()
    assert p.expected_seconds() >= visits * (p.duration_s + p.pause_s)


def test_the_headline_part_alone_takes_about_forty_minutes():
    p = plan.from_args(args(services=None, headline=True))
    assert not p.curve and p.cells_per_round() == 0
    assert 30 * 60 <= p.expected_seconds() <= 45 * 60


def test_headline_comparisons_are_the_measured_ones():
    p = plan.from_args(args(services=["go_stdlib", "fastapi_tuned", "django"]))
    names = {(c.numerator, c.denominator) for c in p.headline().comparisons}
    assert ("go_stdlib", "fastapi_tuned") in names and ("fastapi_tuned", "django") in names
    assert all({a, b} <= {"go_stdlib", "fastapi_tuned", "django"} for a, b in names)
    with pytest.raises(ValueError):  # nothing to compare: --headline would measure nothing
        plan.from_args(args(services=["go_stdlib"], headline=True))


def test_seed_is_recorded_or_given():
    assert plan.from_args(args(seed=7)).seed == 7
    assert isinstance(plan.from_args(args()).seed, int)


def test_quick_is_a_few_minutes_with_rounds():
    p = plan.from_args(args(quick=True, services=None))
    p.skip_gate = True
    assert p.rounds >= 2 and 60 <= p.expected_seconds() <= 600


def test_unknown_scenario_is_an_error():
    with pytest.raises(ValueError):
        plan.from_args(args(scenario=["nope"]))


def test_placement_two_cores_and_one():
    two = isolation.placement([0, 1], mode="cgroup-v1")
    assert two.service_cpus == [0] and two.generator_cpus == [1] and two.database_cpus == [0, 1]
    assert "sharing" in two.databases_share
    four = isolation.placement([0, 1, 2, 3], mode="cgroup-v1")
    assert four.database_cpus == [2, 3]
    one = isolation.placement([0], mode="taskset")
    assert one.service_cpus == one.generator_cpus == [0]
    assert any("watchdog" in n for n in one.notes) and any("one core" in n for n in one.notes)


def test_taskset_prefix_execs_in_place():
    box = isolation.ServiceBox("x", isolation.placement([0, 1], mode="taskset"))
    assert box.prefix() == ["taskset", "-c", "0"]


def test_generator_bound():
    assert generator_bound(0.97, 0.40, 1000, None)  # generator saturated, service idle
    assert not generator_bound(0.97, 0.99, 1000, None)  # both busy: the service limits
    assert generator_bound(0.50, 0.50, 9500, 10000)  # at the calibrated ceiling
    assert not generator_bound(0.50, None, 100, None)


def test_an_open_loop_shortfall_is_the_generators_unless_the_service_was_saturated():
    assert short_of_rate_by_generator(False, 0.40)  # k6 out of VUs or CPU, service idle
    assert not short_of_rate_by_generator(False, 0.97)  # service saturated: its overload
    assert short_of_rate_by_generator(False, None)  # no service figure: not the service's
    assert not short_of_rate_by_generator(True, 0.40)  # the rate went out


def test_the_closed_loop_tool_is_given_or_calibrated_or_oha(monkeypatch):
    monkeypatch.setattr(plan.calibrate, "load", lambda: None)
    p = plan.from_args(args())
    assert (p.tool, p.tool_basis) == ("oha", "default")
    monkeypatch.setattr(plan.calibrate, "load", lambda: Calibration(closed_loop_default="wrk"))
    p = plan.from_args(args())
    assert (p.tool, p.tool_basis) == ("wrk", "calibration")
    assert plan.from_args(args(tool="oha")).tool_basis == "given"
