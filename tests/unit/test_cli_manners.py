"""The command line's manners, at parse level (no servers): lists given one way in every
command, --out a folder, --dry-run wherever load runs, one exit-code table."""

import argparse
import sys

import pytest

from loadtest import cli
from loadtest.chaos import runner as chaos_runner
from loadtest.chaos.faults import FAULTS
from loadtest.measurement import calibrate

from .test_cli import _subcommands


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


@pytest.mark.parametrize(("argv", "dest", "values"), [
    (["sweep", "--scenario", "fib", "--scenario", "users"], "scenario", ["fib", "users"]),
    (["sweep", "--scenario", "fib,users"], "scenario", ["fib", "users"]),
    (["calibrate", "--tool", "oha,wrk"], "tools", ["oha", "wrk"]),
    (["calibrate", "--tool", "oha", "--tool", "wrk"], "tools", ["oha", "wrk"]),
    (["calibrate", "--check", "ceilings,agreement"], "checks", ["ceilings", "agreement"]),
    (["chaos", "--fault", "kill", "--fault", "postgres,overload"], "faults", ["kill", "postgres", "overload"]),
    (["summary", "d", "--ratio", "a/b,c/d", "--ratio", "e/f"], "ratio", ["a/b", "c/d", "e/f"]),
    (["reproduce", "--with", "x,y", "--with", "z"], "with_dirs", ["x", "y", "z"]),
    (["sweep", "go_stdlib,rust_axum", "django"], "services", ["go_stdlib", "rust_axum", "django"]),
    (["chaos", "go_stdlib,rust_axum"], "services", ["go_stdlib", "rust_axum"]),
])
def test_a_list_is_a_repeatable_flag_that_also_takes_commas(argv, dest, values):
    assert [str(v) for v in getattr(parse(*argv), dest)] == values


def test_old_spellings_still_parse_but_are_not_shown(capsys):
    assert parse("chaos", "--faults", "kill", "postgres").faults == ["kill", "postgres"]
    assert parse("calibrate", "--tools", "oha", "k6", "--checks", "ceilings").tools == ["oha", "k6"]
    for command in ("chaos", "calibrate"):
        with pytest.raises(SystemExit):
            parse(command, "--help")
        out = capsys.readouterr().out
        assert "--faults" not in out and "--tools" not in out and "--checks" not in out


def test_a_given_list_replaces_the_default_and_the_default_is_every_name():
    assert parse("chaos").faults == list(FAULTS)
    assert parse("chaos", "--fault", "kill").faults == ["kill"]
    assert parse("calibrate").checks == list(calibrate.CHECKS)


def test_an_unknown_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        parse("chaos", "--fault", "kill,nope")
    assert e.value.code == 2 and "unknown 'nope'" in capsys.readouterr().err


def test_the_load_tool_option_has_one_name():
    names = {name: {s for a in p._actions for s in a.option_strings if "tool" in s and a.help != argparse.SUPPRESS}
             for name, p in _subcommands(cli.build_parser()).items()}
    assert {n for v in names.values() for n in v} == {"--tool"}
    assert names["sweep"] == names["calibrate"] == {"--tool"}


def test_chaos_help_names_each_fault_once(capsys):
    with pytest.raises(SystemExit):
        parse("chaos", "--help")
    out = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # undo argparse's wrapping
    assert all(out.count(f" {name},") + out.count(f" {name} ") <= 1 for name in FAULTS if name != "kill")
    assert out.count("reset-mariadb") == 1


def test_every_command_that_measures_has_a_dry_run():
    for name, p in _subcommands(cli.build_parser()).items():
        if name in ("sweep", "calibrate", "chaos", "reproduce", "instructions"):
            assert "--dry-run" in p._option_string_actions, name


def test_out_is_a_folder_everywhere():
    for name, p in _subcommands(cli.build_parser()).items():
        out = p._option_string_actions.get("--out")
        if out:
            assert out.metavar == "DIR" and "folder" in out.help, name


def _nothing_may_start(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("a dry run started something")
    monkeypatch.setattr(chaos_runner, "run", refuse)
    monkeypatch.setattr(calibrate, "measure", refuse)
    monkeypatch.setattr(calibrate, "service_checks", refuse)


def test_chaos_dry_run_prints_the_plan_and_starts_nothing(monkeypatch, capsys):
    _nothing_may_start(monkeypatch)
    assert cli.run(["chaos", "go_stdlib", "--fault", "kill,overload", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "kill, overload" in out and "go_stdlib" in out and "expected:" in out
    assert cli.run(["chaos", "--dry-run"]) == 0  # every service, every fault: about half an hour
    assert "min" in capsys.readouterr().out


def test_calibrate_dry_run_prints_the_plan_and_starts_nothing(monkeypatch, capsys):
    _nothing_may_start(monkeypatch)
    assert cli.run(["calibrate", "--dry-run", "--tool", "oha,wrk", "--duration", "5s"]) == 0
    out = capsys.readouterr().out
    assert "oha, wrk" in out and "0 min 10 s" in out and "agreement:" in out and "expected:" in out


def test_main_exits_with_the_error_class_code(monkeypatch, capsys):
    for argv, code in ((["chaos", "--dry-run", "no_such_service"], 2), (["sweep", "--bogus"], 2)):
        monkeypatch.setattr(sys, "argv", ["loadtest", *argv])
        with pytest.raises(SystemExit) as e:
            cli.main()
        assert e.value.code == code, argv
    assert "unknown service 'no_such_service'" in capsys.readouterr().err


def test_list_prints_json_for_a_script(capsys):
    import json

    assert cli.run(["list", "--format", "json"]) == 0
    sections = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in sections["faults"]] == list(FAULTS)
    assert {"services", "scenarios", "tools", "write-ups"} <= set(sections)


def test_every_option_with_a_default_says_it_in_its_help():
    missing = []
    for name, p in _subcommands(cli.build_parser()).items():
        formatter = p._get_formatter()
        for a in p._actions:
            if a.help in (None, argparse.SUPPRESS) or a.default in (None, False, argparse.SUPPRESS):
                continue
            text = formatter._get_help_string(a) if hasattr(formatter, "_get_help_string") else a.help
            if "default" not in text:
                missing.append(f"{name} {a.option_strings or a.dest}")
    assert not missing, missing
