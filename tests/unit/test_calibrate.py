"""loadtest calibrate's figures, on the outputs of a real (short, busy-machine) calibrate run:
tests/fixtures/wrk/calibrate/ holds its calibration.json and the raw tool outputs it parsed."""

import argparse
import json
from pathlib import Path

import pytest

from loadtest import tools
from loadtest.commands import calibrate as command
from loadtest.measurement import calibrate
from loadtest.records.calibration import Calibration
from loadtest.scenarios import SCENARIOS
from loadtest.tools import Load

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wrk" / "calibrate"
RECORDED = json.loads((FIXTURES / "calibration.json").read_text())
USERS = SCENARIOS["users"]


def figures(name, tool, load, recorded):
    """The run's figures rebuilt from its raw output and the CPU the run recorded."""
    result = tools.get(tool).parse((FIXTURES / f"{name}.json").read_bytes(), load)
    cpu_of_core = recorded["cpu_percent_of_core"] / 100
    sent = result.sent
    cpu_s = recorded["cpu_us_per_request"] * sent / 1e6
    target = recorded["target_cpu_percent_of_quota"] / 100
    return calibrate.run_figures(result, load, cpu_s, cpu_of_core, target)


def test_run_figures_rebuild_the_recorded_agreement():
    a = RECORDED["agreement"]
    runs = {t: figures(f"agreement.10.{t}", t, Load(USERS, 10, 2), a["runs"][t]) for t in ("wrk", "oha")}
    for t, run in runs.items():
        assert run == pytest.approx(a["runs"][t])
    out = calibrate.agreement_figures(runs["wrk"], runs["oha"])
    assert out["ratio"] == pytest.approx(1585.57 / 1647.24, rel=1e-4)
    assert out["agree"] is True and out["generator_bound"] == []


def test_agreement_says_nothing_when_a_tool_bounded_its_run():
    wrk_run, oha_run = dict(RECORDED["agreement"]["runs"]["wrk"]), RECORDED["agreement"]["runs"]["oha"]
    wrk_run["generator_bound"] = True
    assert calibrate.agreement_figures(wrk_run, oha_run)["agree"] is None
    wrk_run.update(generator_bound=False, ok_rps=oha_run["ok_rps"] * 1.15)
    assert calibrate.agreement_figures(wrk_run, oha_run)["agree"] is False
    wrk_run["ok_rps"] = 0.0
    assert calibrate.agreement_figures(wrk_run, oha_run)["ratio"] is None


def test_open_loop_figures_from_the_recorded_runs():
    o = RECORDED["open_loop"]
    load = Load(USERS, 50, 2, rate=o["rate"])
    runs = {t: figures(f"open.423.{t}", t, load, o["runs"][t]) for t in ("oha", "k6")}
    assert runs["oha"]["arrivals"] == 846 and runs["oha"]["dropped"] == 0
    assert runs["k6"]["sent_rps"] == pytest.approx(423.5)
    out = calibrate.open_loop_figures(runs, o["rate"])
    assert out["harness"] == tools.DEFAULT_OPEN_LOOP == "oha" and out["reference"] == "k6"
    assert out["delivered"] == {"oha": True, "k6": True}
    assert out["p99_ratio"] == pytest.approx(12.235141 / 43.5181307)
    assert out["within"] is True and out["lightest"] == "oha"


def test_open_loop_check_void_when_a_tool_did_not_hold_the_rate():
    runs = {t: dict(r) for t, r in RECORDED["open_loop"]["runs"].items()}
    runs["oha"]["dropped"] = 3
    out = calibrate.open_loop_figures(runs, RECORDED["open_loop"]["rate"])
    assert out["delivered"]["oha"] is False and out["within"] is None
    runs["oha"].update(dropped=0, p99_ms=runs["k6"]["p99_ms"] * 2.5)
    assert calibrate.open_loop_figures(runs, RECORDED["open_loop"]["rate"])["within"] is False


def test_closed_loop_default_is_the_highest_saturated_ceiling():
    # on the busy machine no tool saturated itself: no default, and why
    recorded = calibrate.closed_loop_default(RECORDED["tools"])
    assert recorded["closed_loop_default"] is None and RECORDED["closed_loop_default"] is None
    ceilings = {n: {**c, "limited_by": "generator"} for n, c in RECORDED["tools"].items()}
    ceilings["k6"]["rps"] = 1e9  # k6 is not a closed-loop candidate
    out = calibrate.closed_loop_default(ceilings)
    assert out["closed_loop_default"] == "wrk" and "wrk 12,576/s" in out["closed_loop_default_basis"]
    ceilings["wrk"]["limited_by"] = "target (lower bound)"
    assert calibrate.closed_loop_default(ceilings)["closed_loop_default"] == "oha"
    assert calibrate.closed_loop_tool(Calibration(closed_loop_default="wrk")) == "wrk"
    assert calibrate.closed_loop_tool(None) is None


def test_closed_loop_default_when_the_target_saturated_first():
    # a quiet Intel Xeon: the trivial target's 1-vCPU box was the limit for both tools; wrk
    # needed 53 % of its core for what took oha 82 %, so its estimated ceiling is the highest
    target = "target (lower bound)"
    ceilings = {"oha": {"rps": 58_994, "cpu_percent_of_core": 82.0, "limited_by": target},
                "wrk": {"rps": 57_514, "cpu_percent_of_core": 53.0, "limited_by": target},
                "k6": {"rps": 7_842, "cpu_percent_of_core": 99.0, "limited_by": "generator"}}
    out = calibrate.closed_loop_default(ceilings)
    assert out["closed_loop_default"] == "wrk"
    assert "estimated" in out["closed_loop_default_basis"] and "wrk ~108,517/s" in out["closed_loop_default_basis"]
    assert calibrate.estimated_ceiling(ceilings["oha"]) == 58_994 / 0.82
    ceilings["wrk"]["limited_by"] = "neither (contention?)"  # a disturbed run proves nothing
    assert calibrate.closed_loop_default(ceilings)["closed_loop_default"] == "oha"
    ceilings["oha"]["cpu_percent_of_core"] = 0.0  # no CPU figure: no estimate
    assert calibrate.closed_loop_default(ceilings)["closed_loop_default"] is None


def test_ceiling_limits_and_use():
    assert calibrate.limited_by(0.95, 0.5) == "target (lower bound)"
    assert calibrate.limited_by(0.5, 0.95) == "generator"
    assert calibrate.limited_by(None, 0.5) == "neither (contention?)"
    assert calibrate.ceiling(Calibration.model_validate(RECORDED), "wrk") is None  # not saturated: no ceiling
    assert calibrate.ceiling(Calibration.model_validate({"tools": {"wrk": {"rps": 5.0, "limited_by": "generator"}}}),
                             "wrk") == 5.0
    assert calibrate.ceiling(None, "wrk") is None


def test_merge_keeps_the_sections_of_checks_not_run():
    merged = calibrate.merge(Calibration.model_validate(RECORDED), {"tools": {}, "closed_loop_default": None})
    kept = merged.model_dump(mode="json", exclude_unset=True)
    assert kept["agreement"] == RECORDED["agreement"] and merged.tools == {} and merged.closed_loop_default is None
    assert set(calibrate.merge(None, {"x": 1}).model_dump(exclude_unset=True)) == {"x", "measured_at"}


def test_wrk_ceiling_output_parses():
    r = tools.get("wrk").parse((FIXTURES / "ceiling.64.wrk.json").read_bytes(),
                               Load(calibrate.TRIVIAL, 64, 2))
    assert r.status_codes["200"] / r.duration_s == pytest.approx(RECORDED["tools"]["wrk"]["rps"])


def test_help_documents_every_option():
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for action in sub.choices["calibrate"]._actions:
        assert action.help, action.dest
    assert set(calibrate.CHECK_SCENARIOS) == {"devices-get", "users", "fib"}
