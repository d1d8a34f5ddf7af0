"""The chaos harness's pure parts, without any server: windows, metrics, the table."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from loadtest.chaos import cli, load, observe, table
from loadtest.chaos.context import FULL, PROFILES, Outcome
from loadtest.chaos.faults import FAULTS
from loadtest.chaos.load import Sample


def test_parse_metric_matches_labels_in_any_order():
    text = ('# TYPE app_op_errors_total counter\n'
            'app_op_errors_total{op="insert",db="postgres"} 2.0\n'
            'app_op_errors_total{db="memcache",op="set"} 7.0\n')
    assert observe.parse_metric(text, "app_op_errors_total", op="set", db="memcache") == 7.0
    assert observe.parse_metric(text, "app_op_errors_total", op="get", db="external") is None


def test_windows_and_recovery_helpers():
    samples = [Sample(0.0, 0.1, 201), Sample(1.0, 1.2, 503, json_detail=True),
               Sample(2.0, 2.5, None, "ConnectError"), Sample(3.0, 3.1, 201)]
    assert [s.start for s in load.started_between(samples, 1.0, 3.0)] == [1.0, 2.0]
    assert load.first_ok_end_after(samples, 1.0) == 3.1
    assert load.last_ok_end_before(samples, 2.9) == 0.1
    assert load.status_counts(samples) == {"201": 2, "503": 1, "error:ConnectError": 1}


def test_outcome_passes_only_with_every_criterion():
    o = Outcome("postgres", criteria={"a": True, "b": True})
    assert o.passed
    o.criteria["b"] = False
    assert not o.passed and o.as_dict()["failed"] == ["b"]
    assert not Outcome("kill", error="boom", criteria={"a": True}).passed


def test_table_marks_every_cell():
    ok = Outcome("postgres", criteria={"x": True}, cell="503 in ≤0.1 s").as_dict()
    bad = Outcome("kill", criteria={"nothing lost": False}, cell="gap 1.0 s").as_dict()
    doc = {"command": "uv run loadtest chaos", "date": "2025-01-01T00:00:00Z", "git_commit": "abc",
           "profile": FULL.__dict__ | {"name": "full"}, "faults": ["postgres", "kill"],
           "services": {"svc": {"status": "done", "faults": {"postgres": ok, "kill": bad}, "notes": []},
                        "gone": {"status": "not started", "error": "exit 1", "faults": {}}}}
    md = table.markdown(doc)
    assert "| svc | ✅ 503 in ≤0.1 s | ❌ gap 1.0 s |" in md
    assert "**svc / kill**: nothing lost" in md and "**gone**: not started" in md
    assert "`uv run loadtest chaos`" in md


def test_cli_offers_every_registered_fault_and_profile():
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["chaos"])
    assert args.faults == list(FAULTS) and args.profile == "full"
    assert set(FAULTS) == {"postgres", "memcached", "mariadb", "external", "overload", "kill"}
    assert set(PROFILES) == {"full", "quick"}
    md = table.markdown({"command": "c", "date": "d", "git_commit": "g", "profile": asdict(FULL),
                         "faults": list(FAULTS), "services": {}})
    for fault in FAULTS.values():  # every fault has its column and its criterion in the table
        assert fault.column.format(**table.template_values(asdict(FULL))) in md
